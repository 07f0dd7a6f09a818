package openapi

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestMemoryStaysBounded pushes many requests through a mock and checks the
// heap stops growing once the journal's ring is full; as a negative control,
// a journal large enough to keep every request must trip the same check.
// FIREDRILL_MEMORY_REQUESTS=1000000 runs the figure quoted in the README
// (default journal size); the RSS of the test process is logged.
//
// Not parallel: the heap is measured while no other test allocates.
func TestMemoryStaysBounded(t *testing.T) {
	ring, n := 1000, 8_000
	if s := os.Getenv("FIREDRILL_MEMORY_REQUESTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 4*toolkit.DefaultJournalSize {
			t.Fatalf("FIREDRILL_MEMORY_REQUESTS=%q: want a number >= %d", s, 4*toolkit.DefaultJournalSize)
		}
		ring, n = toolkit.DefaultJournalSize, v
	}
	full, end := pushRequests(t, ring, n)
	t.Logf("%d requests, journal of %d: heap %.1f MiB once the journal is full, %.1f MiB at the end; %s", n, ring, mib(full), mib(end), rss())
	if grew(full, end) {
		t.Errorf("the heap grew from %.1f MiB to %.1f MiB after the journal was full: something keeps every request", mib(full), mib(end))
	}
	if end > 100<<20 {
		t.Errorf("heap %.1f MiB, want under 100 MiB", mib(end))
	}
	if os.Getenv("FIREDRILL_MEMORY_REQUESTS") == "" {
		// Negative control: a journal that keeps everything must be caught.
		full, end := pushRequests(t, n, n)
		t.Logf("negative control, a journal keeping all %d: %.1f → %.1f MiB", n, mib(full), mib(end))
		if !grew(full, end) {
			t.Errorf("a journal keeping all %d requests went unnoticed: %.1f → %.1f MiB", n, mib(full), mib(end))
		}
	}
}

// grew reports a heap that kept growing by more than 4 MiB once the journal
// was full. The bar is absolute: a ring-bounded journal adds nothing after
// that point, while the negative control's 5,333 extra entries add about
// 14 MiB, and a bar relative to the heap would miss them when other tests
// of the package (-count=3) have left the heap large.
func grew(full, end uint64) bool { return end > full+(4<<20) }

// pushRequests sends n requests (POSTs with a body and GETs) through a mock
// whose journal keeps ring entries, and returns the live heap after 2*ring
// (or n/3) requests and at the end.
func pushRequests(t *testing.T, ring, n int) (full, end uint64) {
	m := newPetstore(t, WithJournalSize(ring))
	body := `{"name":"` + strings.Repeat("x", 60) + `","species":"dog","tags":["a","b","c"]}`
	// Refused for a name over 64 characters, and journaled with its 4 KiB body.
	big := `{"name":"` + strings.Repeat("y", 4096) + `","species":"dog"}`
	send := func(i int) {
		var req *http.Request
		switch i % 3 {
		case 0:
			req, _ = http.NewRequest("POST", "/v1/pets", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		case 1:
			req, _ = http.NewRequest("POST", "/v1/pets", strings.NewReader(big))
			req.Header.Set("Content-Type", "application/json")
		default:
			req, _ = http.NewRequest("GET", "/v1/pets/"+strconv.Itoa(i%1000+1), nil)
		}
		req.Header.Set(key, "k")
		w := newRecorder()
		m.ServeHTTP(w, req)
		if refused := i%3 == 1; (refused && w.code != 400) || (!refused && w.code >= 300) {
			t.Fatalf("request %d: %d", i, w.code)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	warm := min(2*ring, n/3)
	for i := range warm {
		send(i)
	}
	full = heap()
	for i := warm; i < n; i++ {
		send(i)
	}
	end = heap()
	if m.Journal().Total() != uint64(n) || len(m.Journal().Entries(toolkit.Filter{})) != min(ring, n) {
		t.Fatalf("journal total %d, kept %d", m.Journal().Total(), len(m.Journal().Entries(toolkit.Filter{})))
	}
	return full, end
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rss reads the resident set size of the process (Linux).
func rss() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "RSS unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return "RSS " + strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	return "RSS unknown"
}
