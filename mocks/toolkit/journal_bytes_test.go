package toolkit

import (
	"crypto/sha256"
	"encoding/hex"
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

// TestJournalBodyBudget: past the body budget the oldest entries lose
// their bodies first, say so in Truncated and keep a digest of the request
// body; the rest of each entry, and the newest bodies, stay whole.
func TestJournalBodyBudget(t *testing.T) {
	t.Parallel()
	j := NewJournal(1000)
	j.SetMaxBodyBytes(10 << 10)
	body := func(i int) []byte { return []byte(strings.Repeat(string(rune('a'+i%26)), 1000)) }
	for i := range 100 {
		j.Record(Entry{Method: "POST", Status: 201, Body: body(i), ResponseBody: []byte(`{"id":1}`)})
	}
	st := j.Stats()
	if st.BodyBytes > 10<<10 || st.BodyBytes < 9<<10 {
		t.Errorf("kept %d bytes of bodies, want just under the budget of %d", st.BodyBytes, 10<<10)
	}
	kept := j.Entries(Filter{})
	if len(kept) != 100 {
		t.Fatalf("kept %d entries, want all 100: the body budget drops bodies, not entries", len(kept))
	}
	bare := 0
	for i, e := range kept {
		if len(e.Body) == 0 {
			bare++
			sum := sha256.Sum256(body(i))
			if e.BodyDigest != hex.EncodeToString(sum[:]) || e.ResponseBody != nil ||
				strings.Join(e.Truncated, ",") != "body,response_body" || e.Status != 201 || e.Method != "POST" {
				t.Fatalf("entry %d lost its body: %+v, want empty bodies, the digest, both marked truncated", e.Seq, e)
			}
			continue
		}
		if i < bare || e.BodyDigest != "" || e.Truncated != nil || string(e.Body) != string(body(i)) {
			t.Fatalf("entry %d kept its body but %+v: bodies must go oldest first and stay whole otherwise", e.Seq, e)
		}
	}
	if uint64(bare) != st.BodiesDropped || bare < 80 || st.BodiesDroppedBytes != int64(bare)*1008 {
		t.Errorf("%d entries bare, stats %+v", bare, st)
	}
	// The byte count follows: a bare entry weighs less.
	var sum int64
	for _, e := range kept {
		sum += entrySize(&e)
	}
	if st.KeptBytes != sum {
		t.Errorf("kept bytes %d, entries weigh %d", st.KeptBytes, sum)
	}
	// The newest entry keeps its bodies whatever the budget; dropping
	// entries by count gives their body bytes back.
	j.SetMaxBodyBytes(1)
	if e := j.Entries(Filter{})[99]; len(e.Body) != 1000 || j.Stats().BodyBytes != 1008 {
		t.Errorf("newest entry %+v, body bytes %d", e, j.Stats().BodyBytes)
	}
	small := NewJournal(2)
	for i := range 5 {
		small.Record(Entry{Body: body(i)})
	}
	if st := small.Stats(); st.BodyBytes != 2000 || st.BodiesDropped != 0 || st.MaxBodyBytes != DefaultJournalBodyBytes {
		t.Errorf("a ring by count: %+v", st)
	}
	j.Reset()
	if st := j.Stats(); st.BodyBytes != 0 || st.BodiesDropped != 0 || st.BodiesDroppedBytes != 0 {
		t.Errorf("Reset left %+v", st)
	}
	j.Record(Entry{Body: body(0)})
	j.Record(Entry{Body: body(1)})
	if e := j.Entries(Filter{}); len(e[0].Body) != 0 || len(e[1].Body) != 1000 {
		t.Errorf("after Reset the budget no longer applies: %+v", e)
	}
}
