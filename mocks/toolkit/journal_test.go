package toolkit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

func TestJournalRingKeepsNewest(t *testing.T) {
	t.Parallel()
	j := NewJournal(3)
	for i := 1; i <= 5; i++ {
		j.Record(Entry{Status: 200 + i})
	}
	got := j.Entries(Filter{})
	if len(got) != 3 {
		t.Fatalf("kept %d entries, want 3", len(got))
	}
	for i, want := range []uint64{3, 4, 5} {
		if got[i].Seq != want {
			t.Errorf("entry %d has seq %d, want %d", i, got[i].Seq, want)
		}
	}
	if j.Total() != 5 {
		t.Errorf("Total = %d, want 5", j.Total())
	}
	j.Reset()
	if len(j.Entries(Filter{})) != 0 || j.Total() != 0 {
		t.Error("Reset left entries behind")
	}
}

func TestJournalFilter(t *testing.T) {
	t.Parallel()
	j := NewJournal(10)
	t0 := time.Now()
	j.Record(Entry{Operation: "createOrder", Method: "POST", Status: 201, Time: t0})
	j.Record(Entry{Operation: "getOrder", Method: "GET", Status: 404, Time: t0.Add(time.Second)})
	j.Record(Entry{Operation: "getOrder", Method: "GET", Status: 200, Time: t0.Add(2 * time.Second)})
	tests := []struct {
		f    Filter
		want int
	}{
		{Filter{}, 3},
		{Filter{Operation: "getOrder"}, 2},
		{Filter{Status: 404}, 1},
		{Filter{Method: "POST"}, 1},
		{Filter{Since: t0.Add(time.Second)}, 2},
		{Filter{Until: t0}, 1},
	}
	for _, tt := range tests {
		if got := len(j.Entries(tt.f)); got != tt.want {
			t.Errorf("%+v matched %d, want %d", tt.f, got, tt.want)
		}
	}
}

func TestJournalConcurrentRecordsAreAllCounted(t *testing.T) {
	t.Parallel()
	j := NewJournal(100)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				j.Record(Entry{Body: make([]byte, MaxJournalBody+1)})
			}
		}()
	}
	wg.Wait()
	if j.Total() != 8000 {
		t.Fatalf("Total = %d, want 8000", j.Total())
	}
	for _, e := range j.Entries(Filter{}) {
		if len(e.Body) > MaxJournalBody || cap(e.Body) > MaxJournalBody {
			t.Fatalf("a body over MaxJournalBody was kept whole (len %d, cap %d)", len(e.Body), cap(e.Body))
		}
	}
}

// TestJournalBodiesReadAsText: a UTF-8 body is written into the journal's
// JSON as its text, which a reader of /__firedrill/requests can read; a
// binary one as base64 in an object; both come back byte for byte.
func TestJournalBodiesReadAsText(t *testing.T) {
	t.Parallel()
	text := `{"reference":"order-1","note":"café ☕"}`
	binary := []byte{0x1f, 0x8b, 0x08, 0x00, 0xff, 'a'} // a gzip header: not UTF-8
	in := Entry{Body: Body(text), ResponseBody: binary}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["body"] != text {
		t.Errorf("body in the journal: %#v, want the text %q", raw["body"], text)
	}
	if obj, ok := raw["response_body"].(map[string]any); !ok || obj["base64"] != base64.StdEncoding.EncodeToString(binary) {
		t.Errorf("binary response body in the journal: %#v, want {\"base64\": ...}", raw["response_body"])
	}
	var out Entry
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if string(out.Body) != text || !bytes.Equal(out.ResponseBody, binary) {
		t.Errorf("bodies after a round trip: %q, %v", out.Body, out.ResponseBody)
	}
	if b, _ := json.Marshal(Entry{}); bytes.Contains(b, []byte("body")) {
		t.Errorf("an entry without bodies writes them: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"body": 12}`), &out); err == nil {
		t.Error("a body that is neither text nor base64 is accepted")
	}
}

// TestJournalCountsChanges: reads (GET, HEAD, OPTIONS) are recorded but
// are no change; every other method is, a GraphQL POST included; the
// ring dropping entries does not lower the count, Reset does.
func TestJournalCountsChanges(t *testing.T) {
	t.Parallel()
	j := NewJournal(2)
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "GET"} {
		j.Record(Entry{Method: m, Path: "/x"})
	}
	if j.Total() != 8 || j.Changes() != 4 || j.Stats().Changes != 4 {
		t.Errorf("total %d, changes %d (stats %d), want 8 and 4", j.Total(), j.Changes(), j.Stats().Changes)
	}
	j.Reset()
	if j.Changes() != 0 {
		t.Errorf("changes %d after Reset", j.Changes())
	}
}
