package toolkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func journalOf(n int) *Journal {
	j := NewJournal(0)
	for i := range n {
		m := "GET"
		if i%3 == 0 {
			m = "POST"
		}
		j.Record(Entry{Method: m, Path: "/orders/" + strconv.Itoa(i), Status: 200})
	}
	return j
}

func readEntries(t testing.TB, j *Journal, query string) (*httptest.ResponseRecorder, []Entry) {
	t.Helper()
	w := httptest.NewRecorder()
	ServeEntries(w, httptest.NewRequest("GET", "/__firedrill/requests"+query, nil), j)
	var got []Entry
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET %s: not a JSON array of entries: %v\n%s", query, err, w.Body)
		}
	}
	return w, got
}

// TestServeEntriesPages: limit and after page the journal, oldest first;
// each page but the last names the next one, in NextHeader and in a Link
// that keeps the filter; following them reads every entry once.
func TestServeEntriesPages(t *testing.T) {
	t.Parallel()
	j := journalOf(25)
	tests := []struct {
		query string
		want  []int // the pages' sizes
		seq   func(k int) uint64
	}{
		{"?limit=10", []int{10, 10, 5}, func(k int) uint64 { return uint64(k + 1) }},
		{"?limit=25", []int{25}, func(k int) uint64 { return uint64(k + 1) }},
		{"?method=POST&limit=4", []int{4, 4, 1}, func(k int) uint64 { return uint64(3*k + 1) }},
		{"?after=20", []int{5}, func(k int) uint64 { return uint64(k + 21) }},
		{"?after=20&limit=2", []int{2, 2, 1}, func(k int) uint64 { return uint64(k + 21) }},
		{"?after=99&limit=2", []int{0}, nil},
	}
	for _, tt := range tests {
		query, k := tt.query, 0
		for p, size := range tt.want {
			w, got := readEntries(t, j, query)
			if w.Code != 200 || len(got) != size {
				t.Fatalf("%s page %d (%s): %d, %d entries, want %d", tt.query, p, query, w.Code, len(got), size)
			}
			for _, e := range got {
				if e.Seq != tt.seq(k) {
					t.Fatalf("%s page %d: entry %d has seq %d, want %d", tt.query, p, k, e.Seq, tt.seq(k))
				}
				k++
			}
			next, link := w.Header().Get(NextHeader), w.Header().Get("Link")
			if p == len(tt.want)-1 {
				if next != "" || link != "" {
					t.Fatalf("%s: the last page names a next one: %q %q", tt.query, next, link)
				}
				break
			}
			if next != strconv.FormatUint(got[len(got)-1].Seq, 10) || !strings.HasPrefix(link, "</__firedrill/requests?") || !strings.HasSuffix(link, `>; rel="next"`) {
				t.Fatalf("%s page %d: next %q, link %q", tt.query, p, next, link)
			}
			u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
			if err != nil || u.Query().Get("after") != next {
				t.Fatalf("%s: link %q does not carry after=%s", tt.query, link, next)
			}
			query = "?" + u.RawQuery
		}
	}
	// Without limit: the whole journal, no next page; an empty one is [].
	if w, got := readEntries(t, j, ""); len(got) != 25 || w.Header().Get(NextHeader) != "" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("whole journal: %d entries, headers %v", len(got), w.Header())
	}
	if w, _ := readEntries(t, NewJournal(1), ""); strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("empty journal: %q, want []", w.Body)
	}
	if got := j.Entries(Filter{After: 5, Limit: 3}); len(got) != 3 || got[0].Seq != 6 || got[2].Seq != 8 {
		t.Errorf("Entries after 5, limit 3: %+v", got)
	}
}

// TestServeEntriesRefusesBadPages: after and limit are checked like the
// filter, and named.
func TestServeEntriesRefusesBadPages(t *testing.T) {
	t.Parallel()
	j := journalOf(3)
	for _, q := range []string{"?limit=0", "?limit=-1", "?limit=x", "?after=-1", "?after=x", "?after=1&after=2", "?limit=1&limit=2"} {
		w, _ := readEntries(t, j, q)
		name := strings.SplitN(strings.TrimPrefix(q, "?"), "=", 2)[0]
		if w.Code != 400 || !strings.Contains(w.Body.String(), `"name":"`+name+`"`) {
			t.Errorf("GET %s: %d %s, want 400 naming %s", q, w.Code, w.Body, name)
		}
	}
	if vs := ParseReset(map[string][]string{"limit": {"5"}, "after": {"1"}}); len(vs) != 2 || !strings.Contains(vs[0].Message, "no filter") {
		t.Errorf("DELETE with a page: %+v, want both refused", vs)
	}
}

// sizeWriter is a ResponseWriter that keeps the largest single write and
// can run a function at its first one.
type sizeWriter struct {
	h        http.Header
	n, max   int
	writes   int
	onFirst  func()
	firstRan bool
}

func (w *sizeWriter) Header() http.Header { return w.h }
func (w *sizeWriter) WriteHeader(int)     {}
func (w *sizeWriter) Write(b []byte) (int, error) {
	if !w.firstRan && w.onFirst != nil {
		w.firstRan = true
		w.onFirst()
	}
	w.writes++
	w.n += len(b)
	w.max = max(w.max, len(b))
	return len(b), nil
}

// TestServeEntriesStreams: a read of a large journal goes out in small
// writes, never one buffer of the whole answer, and the journal's lock is
// not held while the reader writes: the mock records meanwhile.
func TestServeEntriesStreams(t *testing.T) {
	t.Parallel()
	j := NewJournal(0)
	j.SetMaxBodyBytes(64 << 20)
	body := []byte(`{"note":"` + strings.Repeat("x", 4000) + `"}`)
	for range 2000 {
		j.Record(Entry{Method: "POST", Path: "/orders", Status: 201, Body: body})
	}
	recorded := make(chan uint64, 1)
	w := &sizeWriter{h: http.Header{}, onFirst: func() {
		done := make(chan uint64, 1)
		go func() { done <- j.Record(Entry{Method: "GET"}) }()
		select {
		case seq := <-done:
			recorded <- seq
		case <-time.After(10 * time.Second):
			recorded <- 0
		}
	}}
	ServeEntries(w, httptest.NewRequest("GET", "/__firedrill/requests", nil), j)
	if seq := <-recorded; seq != 2001 {
		t.Fatalf("Record waited on a journal read in progress (seq %d)", seq)
	}
	if w.n < 2000*len(body) || w.max > 64<<10 || w.writes < 100 {
		t.Errorf("%d bytes in %d writes, the largest %d: want the journal streamed in writes of at most 64 KiB", w.n, w.writes, w.max)
	}
}
