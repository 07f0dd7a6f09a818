package openapi

import (
	"bufio"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestMemoryStaysBounded pushes many requests through a mock, then reads
// its journal three times through GET /__firedrill/requests, and checks
// that memory stays bounded all along:
//
//   - the heap stops growing once the journal's ring is full; as a negative
//     control, a journal large enough to keep every request must trip the
//     same check;
//   - the bodies the journal keeps stay within its body budget, and the heap
//     the journal holds with them; as a negative control, a budget that
//     keeps every body must trip that bound;
//   - a read streams: it reaches the client in writes of at most 64 KiB,
//     never as one buffer of the whole journal.
//
// FIREDRILL_MEMORY_REQUESTS=1000000 runs the figure quoted in the README
// (default journal and budget, the soft memory limit of firedrill mock) and
// holds the process's RSS after the reads (VmRSS, Linux) under 64 MiB; run
// it alone (-run 'TestMemoryStaysBounded$'),
// as RSS counts whatever other tests left behind.
//
// Not parallel: the heap is measured while no other test allocates.
func TestMemoryStaysBounded(t *testing.T) {
	ring, n, budget := 1000, 8_000, int64(256<<10)
	full := os.Getenv("FIREDRILL_MEMORY_REQUESTS") != ""
	if full {
		v, err := strconv.Atoi(os.Getenv("FIREDRILL_MEMORY_REQUESTS"))
		if err != nil || v < 4*toolkit.DefaultJournalSize {
			t.Fatalf("FIREDRILL_MEMORY_REQUESTS=%q: want a number >= %d", os.Getenv("FIREDRILL_MEMORY_REQUESTS"), 4*toolkit.DefaultJournalSize)
		}
		ring, n, budget = toolkit.DefaultJournalSize, v, toolkit.DefaultJournalBodyBytes
		// The soft limit firedrill mock sets (cmd/firedrill), for the RSS
		// of a mock process.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(toolkit.MockMemoryLimit))
	}
	p := pushRequests(t, ring, n, budget)
	t.Logf("%d requests, journal of %d: heap %.1f MiB once the journal is full, %.1f MiB at the end (%.1f MiB of bodies kept, %d entries' bodies dropped); %s",
		n, ring, mib(p.full), mib(p.end), mib(uint64(p.stats.BodyBytes)), p.stats.BodiesDropped, rss(t))
	if grew(p.full, p.end) {
		t.Errorf("the heap grew from %.1f MiB to %.1f MiB after the journal was full: something keeps every request", mib(p.full), mib(p.end))
	}
	if p.end > 100<<20 {
		t.Errorf("heap %.1f MiB, want under 100 MiB", mib(p.end))
	}
	if p.stats.BodyBytes > budget || p.stats.BodiesDropped == 0 {
		t.Errorf("journal stats %+v: want bodies within the budget of %d bytes, the oldest dropped", p.stats, budget)
	}
	for i := range 3 {
		w := readJournal(t, p.m)
		t.Logf("read %d: %.1f MiB in %d writes, the largest %d bytes; %s", i+1, mib(uint64(w.n)), w.writes, w.max, rss(t))
		if w.max > 64<<10 || w.n < ring*200 {
			t.Errorf("read %d: %d bytes, the largest write %d bytes: want the journal streamed in writes of at most 64 KiB", i+1, w.n, w.max)
		}
	}
	if kib := rssKiB(); full && kib > 64<<10 {
		t.Errorf("RSS %.1f MiB after %d requests and three journal reads, want under 64 MiB", float64(kib)/1024, n)
	}
	h := held(p.m)
	t.Logf("the journal holds %.1f MiB", mib(h))
	if bound := heldBound(ring, budget); h > bound {
		t.Errorf("the journal holds %.1f MiB, over %.1f MiB for %d entries and %.1f MiB of bodies: bodies are kept past the budget",
			mib(h), mib(bound), ring, mib(uint64(budget)))
	}
	if !full {
		// Negative controls: a journal that keeps every entry, or every
		// body, must be caught.
		all := pushRequests(t, n, n, int64(n)<<20)
		t.Logf("negative control, a journal keeping all %d: %.1f → %.1f MiB", n, mib(all.full), mib(all.end))
		if !grew(all.full, all.end) {
			t.Errorf("a journal keeping all %d requests went unnoticed: %.1f → %.1f MiB", n, mib(all.full), mib(all.end))
		}
		bodies := held(pushRequests(t, ring, n, int64(n)<<20).m)
		t.Logf("negative control, a journal keeping every body: holds %.1f MiB", mib(bodies))
		if bodies <= heldBound(ring, budget) {
			t.Errorf("a journal keeping every body went unnoticed: it holds %.1f MiB", mib(bodies))
		}
	}
}

// heldBound is the most a journal of ring entries and a body budget may
// hold: the bodies, and 2 KiB for each entry's struct, strings, headers
// and the copy of a cut body's prefix.
func heldBound(ring int, budget int64) uint64 { return uint64(budget) + uint64(ring)*2048 }

// grew reports a heap that kept growing by more than 4 MiB once the journal
// was full. The bar is absolute: a ring-bounded journal adds nothing after
// that point, while the negative control's 5,333 extra entries add about
// 14 MiB, and a bar relative to the heap would miss them when other tests
// of the package (-count=3) have left the heap large.
func grew(full, end uint64) bool { return end > full+(4<<20) }

type pushed struct {
	m         *Mock
	full, end uint64
	stats     toolkit.JournalStats
}

// pushRequests sends n requests (POSTs with a body and GETs) through a mock
// whose journal keeps ring entries and budget bytes of bodies, and returns
// the live heap after 2*ring (or n/3) requests and at the end.
func pushRequests(t *testing.T, ring, n int, budget int64) pushed {
	m := newPetstore(t, WithJournalSize(ring))
	m.Journal().SetMaxBodyBytes(budget)
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
	warm := min(2*ring, n/3)
	for i := range warm {
		send(i)
	}
	p := pushed{m: m, full: heap()}
	for i := warm; i < n; i++ {
		send(i)
	}
	p.end = heap()
	p.stats = m.Journal().Stats()
	if p.stats.Total != uint64(n) || p.stats.Kept != min(ring, n) {
		t.Fatalf("journal stats %+v, want total %d, kept %d", p.stats, n, min(ring, n))
	}
	return p
}

// held is the heap m's journal holds: what its Reset frees.
func held(m *Mock) uint64 {
	before := heap()
	m.Journal().Reset()
	return before - min(before, heap())
}

// heap is the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// writeSizes is a ResponseWriter that keeps nothing but the size of the
// answer and of its largest write, as a client reading it would.
type writeSizes struct {
	h              http.Header
	code           int
	n, max, writes int
}

func (w *writeSizes) Header() http.Header { return w.h }
func (w *writeSizes) WriteHeader(c int)   { w.code = c }
func (w *writeSizes) Write(b []byte) (int, error) {
	w.n += len(b)
	w.max = max(w.max, len(b))
	w.writes++
	return len(b), nil
}

// readJournal reads the whole journal through the admin API.
func readJournal(t *testing.T, m *Mock) *writeSizes {
	req, _ := http.NewRequest("GET", toolkit.AdminPrefix+"requests", nil)
	w := &writeSizes{h: http.Header{}}
	m.ServeHTTP(w, req)
	if w.code != 200 {
		t.Fatalf("GET /__firedrill/requests: %d", w.code)
	}
	return w
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rssKiB reads the resident set size of the process in KiB (Linux; 0
// elsewhere).
func rssKiB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func rss(t *testing.T) string {
	if kib := rssKiB(); kib > 0 {
		return "RSS " + strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
	}
	return "RSS unknown"
}
