package toolkit

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestJournalBoundedByBytes: past its byte bound the journal drops its
// oldest entries, keeps the newest, and says how many entries and bytes it
// dropped.
func TestJournalBoundedByBytes(t *testing.T) {
	t.Parallel()
	j := NewJournal(1000)
	j.SetMaxBytes(1 << 20)
	for range 100 {
		j.Record(Entry{Method: "POST", Body: make([]byte, 60<<10)})
	}
	st := j.Stats()
	if st.KeptBytes > 1<<20 {
		t.Errorf("kept %d bytes, over the bound of %d", st.KeptBytes, 1<<20)
	}
	kept := j.Entries(Filter{})
	if len(kept) == 0 || len(kept) >= 100 || kept[len(kept)-1].Seq != 100 {
		t.Fatalf("kept %d entries (last %v), want the newest few", len(kept), kept)
	}
	if st.Total != 100 || st.Kept != len(kept) || st.Dropped != uint64(100-len(kept)) {
		t.Errorf("stats %+v: want total 100, kept %d, dropped %d", st, len(kept), 100-len(kept))
	}
	if st.DroppedBytes < int64(st.Dropped)*60<<10 {
		t.Errorf("dropped %d entries but only %d bytes", st.Dropped, st.DroppedBytes)
	}
	// Tightening the bound drops at once; Reset clears the counts.
	j.SetMaxBytes(200 << 10)
	if st2 := j.Stats(); st2.KeptBytes > 200<<10 || st2.Dropped <= st.Dropped {
		t.Errorf("after SetMaxBytes(200 KiB): %+v", st2)
	}
	j.Reset()
	if st := j.Stats(); st.Total != 0 || st.Dropped != 0 || st.DroppedBytes != 0 || st.KeptBytes != 0 {
		t.Errorf("Reset left %+v", st)
	}
}

// TestJournalCountRingStillCounts: the ring by count reports its drops too.
func TestJournalCountRingStillCounts(t *testing.T) {
	t.Parallel()
	j := NewJournal(3)
	for range 5 {
		j.Record(Entry{Method: "GET"})
	}
	if st := j.Stats(); st.Kept != 3 || st.Dropped != 2 || st.DroppedBytes <= 0 || st.MaxBytes != DefaultJournalBytes {
		t.Errorf("stats %+v: want 3 kept, 2 dropped, default byte bound", st)
	}
}

// TestJournalTruncatesLongHeadersAndQuery: header values, the query and the
// idempotency key longer than MaxJournalValue are kept cut, the entry says
// what was cut, and the request's own header is left alone.
func TestJournalTruncatesLongHeadersAndQuery(t *testing.T) {
	t.Parallel()
	j := NewJournal(10)
	big := strings.Repeat("a", 900<<10)
	h := http.Header{"X-Big": {big}, "Accept": {"application/json"}}
	j.Record(Entry{Method: "GET", Header: h, Query: "q=" + big, IdempotencyKey: big,
		Body: make([]byte, MaxJournalBody+1), ResponseHeader: http.Header{"X-Echo": {big}}})
	e := j.Entries(Filter{})[0]
	if got := len(e.Header.Get("X-Big")); got != MaxJournalValue {
		t.Errorf("X-Big kept %d bytes, want %d", got, MaxJournalValue)
	}
	if e.Header.Get("Accept") != "application/json" {
		t.Errorf("a short header was changed: %q", e.Header.Get("Accept"))
	}
	if len(e.Query) != MaxJournalValue || len(e.IdempotencyKey) != MaxJournalValue || len(e.ResponseHeader.Get("X-Echo")) != MaxJournalValue {
		t.Errorf("kept query %d, key %d, response header %d bytes, want %d each", len(e.Query), len(e.IdempotencyKey), len(e.ResponseHeader.Get("X-Echo")), MaxJournalValue)
	}
	want := []string{"header X-Big", "query", "idempotency_key", "body", "response_header X-Echo"}
	if strings.Join(e.Truncated, ",") != strings.Join(want, ",") {
		t.Errorf("Truncated = %q, want %q", e.Truncated, want)
	}
	if len(h.Get("X-Big")) != len(big) {
		t.Error("Record changed the request's header")
	}
	short := Entry{Method: "GET", Header: http.Header{"Accept": {"x"}}, Query: "a=1"}
	j.Record(short)
	if e := j.Entries(Filter{})[1]; e.Truncated != nil {
		t.Errorf("a short entry is marked truncated: %q", e.Truncated)
	}
}

// TestJournalHeapStaysBounded: 300 requests with a 900 KB header each (270
// MB sent) leave the journal's heap small: what is kept is a copy of the
// cut value, not a window on the whole one.
func TestJournalHeapStaysBounded(t *testing.T) {
	j := NewJournal(0)
	for i := range 300 {
		big := strings.Repeat(string(rune('a'+i%26)), 900<<10)
		j.Record(Entry{Method: "GET", Header: http.Header{"X-Big": {big}}, Query: big})
	}
	if heap := heapInuse(); heap > 200<<20 {
		t.Fatalf("heap in use %d MiB after 300 entries with 900 KB headers, want under 200 MiB", heap>>20)
	}
	runtime.KeepAlive(j)
}

// heapInuse is the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
