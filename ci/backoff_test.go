package ci

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A retry policy: the wait before retry n (from 0), drawn from rng.
type policy func(n int, rng *rand.Rand) time.Duration

// Backoff policies of the simulated clients.
const (
	simBase = 100 * time.Millisecond
	simCap  = 4 * time.Second
)

var (
	// fullJitter is AWS's "full jitter": anywhere under base·2ⁿ, capped.
	fullJitter policy = func(n int, rng *rand.Rand) time.Duration {
		env := min(simCap, simBase<<n)
		return time.Duration(rng.Int64N(int64(env)))
	}
	// fixedPace retries every second, give or take 10%.
	fixedPace policy = func(_ int, rng *rand.Rand) time.Duration {
		return time.Second + time.Duration(rng.Int64N(int64(200*time.Millisecond))) - 100*time.Millisecond
	}
	// hammering retries at once.
	hammering policy = func(_ int, rng *rand.Rand) time.Duration {
		return time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
	}
)

// simulate journals a client of the accounting mock through an outage
// (503 from 10 s to 30 s): an order a second for 50 s, each written under
// its own idempotency key and retried by p up to 8 attempts, each retry
// late by a delay drawn from delay (a busy machine's); the orders it gave
// up on go to a dead-letter queue redriven at 60 s.
func simulate(seed uint64, p policy, delay func(*rand.Rand) time.Duration) []toolkit.Entry {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	late := rand.New(rand.NewPCG(seed, 0x1a7e))
	down := func(at time.Duration) bool { return at >= 10*time.Second && at < 30*time.Second }
	var es []toolkit.Entry
	add := func(at time.Duration, order int) bool {
		status := http.StatusCreated
		if down(at) {
			status = http.StatusServiceUnavailable
		}
		es = append(es, toolkit.Entry{System: "accounting", Time: t0.Add(at), Duration: ms10, Direction: "inbound",
			Client: "127.0.0.1:5000", Method: http.MethodPost, Path: "/invoices", Template: "/invoices", Operation: "createInvoice",
			Body: []byte(fmt.Sprintf(`{"reference":"%d"}`, order)), IdempotencyKey: fmt.Sprintf("ord-%d", order), Status: status, Valid: true})
		return status < 300
	}
	var dlq []int
	for order := range 50 {
		at := time.Duration(order)*time.Second + time.Duration(rng.Int64N(int64(time.Second)))
		ok := add(at, order)
		for n := 0; !ok && n < 7; n++ {
			at += ms10 + p(n, rng) + delay(late)
			ok = add(at, order)
		}
		if !ok {
			dlq = append(dlq, order)
		}
	}
	for i, order := range dlq {
		add(60*time.Second+time.Duration(i)*ms10, order)
	}
	// Journals are read in time order.
	sortEntries(es)
	return es
}

func sortEntries(es []toolkit.Entry) {
	j := journal(es)
	sorted := inbound(j, "")
	copy(es, sorted)
	for i := range es {
		es[i].Seq = uint64(i + 1)
	}
}

// TestBackoffSeededClients: over 50 seeded runs a correct client with full
// jitter never fails the gate (no false alarm), and a client retrying at a
// fixed pace, or at once, fails it in every seed for that reason. The
// dead-letter queue's redrive, 20 s and more after the client gave up,
// begins a new chain instead of counting as an interval over the cap.
func TestBackoffSeededClients(t *testing.T) {
	t.Parallel()
	o := BackoffOptions{System: "accounting", Cap: simCap}
	cases := []struct {
		name   string
		p      policy
		pass   bool
		reason string
	}{
		{"full jitter", fullJitter, true, "retry intervals grow"},
		{"fixed pace", fixedPace, false, "retry intervals do not grow"},
		{"hammering", hammering, false, "retry intervals do not grow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wrong := 0
			for seed := range uint64(50) {
				g := Backoff(simulate(seed, tc.p, onTime), o)
				if g.Passed != tc.pass || g.Skipped || !strings.Contains(g.Reason, tc.reason) || strings.Contains(g.Reason, "exceed the cap") {
					wrong++
					t.Errorf("seed %d: %s: %s (%s)\n%s", seed, g.Status(), g.Reason, g.Measured, strings.Join(g.Detail, "\n"))
				}
			}
			t.Logf("%s: %d of 50 seeds judged wrong", tc.name, wrong)
		})
	}
}

// Delays of a retry past the wait its client chose: none, or drawn from
// an exponential distribution, the long tail of a scheduler on a busy
// machine.
var onTime = func(*rand.Rand) time.Duration { return 0 }

func busy(mean time.Duration) func(*rand.Rand) time.Duration {
	return func(rng *rand.Rand) time.Duration { return time.Duration(rng.ExpFloat64() * float64(mean)) }
}

// TestBackoffThroughSchedulingDelays: retries made late by a busy
// machine's delays (exponential, mean 20 ms and 100 ms) do not make a
// client that retries at once, or at a fixed pace, pass: delays that do
// not grow give slopes that do not grow, however long their tail. The
// longest-interval-so-far this gate measured before grew with every delay
// drawn, and passed the hammering client through such delays in most
// seeds. A client with full jitter still passes in every seed.
func TestBackoffThroughSchedulingDelays(t *testing.T) {
	t.Parallel()
	o := BackoffOptions{System: "accounting", Cap: simCap}
	for _, mean := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		for _, tc := range []struct {
			name string
			p    policy
			pass bool
		}{
			{"full jitter", fullJitter, true},
			{"fixed pace", fixedPace, false},
			{"hammering", hammering, false},
		} {
			t.Run(fmt.Sprintf("%s/%s", tc.name, mean), func(t *testing.T) {
				t.Parallel()
				failed := 0
				for seed := range uint64(50) {
					g := Backoff(simulate(seed, tc.p, busy(mean)), o)
					switch {
					case g.Passed != tc.pass:
						t.Errorf("seed %d: %s: %s (%s)", seed, g.Status(), g.Reason, g.Measured)
					case !g.Passed && !g.Skipped:
						failed++
					}
				}
				if !tc.pass && failed < 45 {
					t.Errorf("failed in %d of 50 seeds, want 45 or more (the rest inconclusive)", failed)
				}
			})
		}
	}
}

// simulateDrill journals a service like the ledgersync example through a
// flaky vendor, the drill a backoff gate mostly gets: n payments over
// 2.5 s, each a look-up and a write (failing 50% and 65% of the time while
// the vendor is flaky, from 0.5 s to 3 s), each retried up to 5 times
// after a wait that grows from base ×2 per retry with full jitter (base 0:
// at once), each attempt late by delay.
func simulateDrill(seed uint64, n int, base time.Duration, delay func(*rand.Rand) time.Duration) []toolkit.Entry {
	rng := rand.New(rand.NewPCG(seed, 7))
	var es []toolkit.Entry
	for pay := range n {
		start := 500*time.Millisecond + time.Duration(pay)*2500*time.Millisecond/time.Duration(n)
		for call, fails := range []float64{0.5, 0.65} {
			at := start + time.Duration(call)*20*time.Millisecond + delay(rng)
			for attempt := 1; attempt <= 6; attempt++ {
				failed := at < 3*time.Second && rng.Float64() < fails
				status := http.StatusCreated
				if failed {
					status = http.StatusServiceUnavailable
				}
				es = append(es, toolkit.Entry{System: "ledger", Time: t0.Add(at), Duration: 2 * time.Millisecond, Direction: "inbound",
					Client: "127.0.0.1:5000", Method: http.MethodPut, Path: fmt.Sprintf("/v1/entries/%d-%d", pay, call), Template: "/v1/entries/{id}",
					Operation: []string{"listAccounts", "upsertEntry"}[call], Body: []byte(fmt.Sprintf(`{"p":%d}`, pay)), Status: status, Valid: true})
				if !failed {
					break
				}
				ceiling := min(base<<(attempt-1), 1600*time.Millisecond)
				var wait time.Duration
				if ceiling > 0 {
					wait = time.Duration(rng.Int64N(int64(ceiling) + 1))
				}
				at += 2*time.Millisecond + wait + delay(rng)
			}
		}
	}
	sortEntries(es)
	return es
}

// TestBackoffSmallDrill: on the few retries a short flaky phase gives
// (simulateDrill, 25 and 50 payments, min_growth 1.25 as the ledgersync
// drill asks), a correct client is almost never failed and a client that
// retries at once almost never passed, however late a busy machine makes
// the retries; what chance could have given either way is inconclusive.
// The counts are of 100 fixed seeds; the longest-interval-so-far measure
// this gate used before passed the client retrying at once in 81 to 96 of
// them once retries came 20 ms late or more (5 even at 2 ms); this one
// passes it in none, and fails the correct client in none.
func TestBackoffSmallDrill(t *testing.T) {
	t.Parallel()
	o := BackoffOptions{System: "ledger", MinGrowth: 1.25, GiveUp: 1800 * time.Millisecond,
		Windows: []Window{{From: t0.Add(500 * time.Millisecond), To: t0.Add(3 * time.Second)}}}
	for _, n := range []int{25, 50} {
		for _, mean := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond} {
			for _, tc := range []struct {
				name string
				base time.Duration
			}{{"full jitter", 100 * time.Millisecond}, {"at once", 0}} {
				t.Run(fmt.Sprintf("%s/%d/%s", tc.name, n, mean), func(t *testing.T) {
					t.Parallel()
					count := map[string]int{}
					for seed := range uint64(100) {
						count[Backoff(simulateDrill(seed, n, tc.base, busy(mean)), o).Status()]++
					}
					t.Logf("%s: %v", t.Name(), count)
					if tc.base > 0 && (count["fail"] > 0 || count["pass"] < 75) {
						t.Errorf("a correct client: %v, want no fail and 75 passes or more", count)
					}
					if tc.base == 0 && (count["pass"] > 0 || count["fail"] < 25) {
						t.Errorf("a client retrying at once: %v, want no pass and 25 fails or more", count)
					}
				})
			}
		}
	}
}

// retries journals one request's attempts at the given offsets (seconds),
// every one failing but the last.
func retries(b *journalBuilder, key string, order int, last int, at ...float64) {
	for i, s := range at {
		status := http.StatusServiceUnavailable
		if i == len(at)-1 {
			status = last
		}
		b.add(time.Duration(s*float64(time.Second)), key, order, status, ms10, "")
	}
}

// TestBackoffInconclusive: retries too few, or too scattered, to tell a
// backoff from chance neither pass nor fail the gate: it skips and says
// why, whichever way the growth leans. The same shapes in clean, or in
// many requests, are judged.
func TestBackoffInconclusive(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		chains [][]float64 // offsets (seconds) of each request's attempts
		status string
		reason string
	}{
		{"one request retried twice", [][]float64{{10, 10.1, 10.3}}, "skip",
			"fewer than 3 requests were retried twice or more"},
		{"two requests, full jitter scattering their waits", [][]float64{{10, 10.06, 10.08, 10.43}, {11, 11.09, 11.24, 11.28, 11.98}}, "skip",
			"inconclusive: growth"},
		{"three requests whose waits lean flat by chance", [][]float64{{10, 10.09, 10.15}, {11, 11.03, 11.13}, {12, 12.08, 12.1}, {13, 13.05}}, "skip",
			"inconclusive: growth"},
		{"two requests doubling cleanly", [][]float64{{10, 11, 13, 17}, {20, 21, 23, 27}}, "pass",
			"retry intervals grow ×2.01"},
		{"four requests doubling under full jitter", [][]float64{{10, 10.06, 10.2, 10.55}, {11, 11.09, 11.24, 11.6}, {12, 12.04, 12.19, 12.5}, {13, 13.08, 13.25, 13.52}}, "pass",
			"retry intervals grow"},
		{"four requests retried at once", [][]float64{{10, 10.011, 10.022, 10.033}, {11, 11.012, 11.023}, {12, 12.011, 12.021, 12.032}, {13, 13.011, 13.023}}, "fail",
			"retry intervals do not grow"},
	}
	for _, tc := range cases {
		b := &journalBuilder{}
		for i, at := range tc.chains {
			retries(b, fmt.Sprintf("k-%d", i), i, http.StatusCreated, at...)
		}
		g := Backoff(b.es, BackoffOptions{System: "accounting"})
		if g.Status() != tc.status || !strings.Contains(g.Reason, tc.reason) {
			t.Errorf("%s: %s: %s (%s), want %s: %q", tc.name, g.Status(), g.Reason, g.Measured, tc.status, tc.reason)
		}
	}
}

func TestBackoffChains(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		journal func() []toolkit.Entry
		o       BackoffOptions
		status  string
		reason  string
		measure string
	}{
		{"a dead-letter redrive 20 s later begins a new chain", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k", 1, 503, 0, 0.5, 1.5, 3.5, 7.5)
			b.add(27500*time.Millisecond, "k", 1, 201, ms10, "") // redriven
			return b.es
		}, BackoffOptions{Cap: 5 * time.Second}, "pass", "grow ×2.01", "1 attempts after a gap over 15s began new chains"},
		{"a give-up gap longer than the redrive keeps it in the chain", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k", 1, 503, 0, 0.5, 1.5, 3.5, 7.5)
			b.add(27500*time.Millisecond, "k", 1, 201, ms10, "")
			return b.es
		}, BackoffOptions{Cap: 5 * time.Second, GiveUp: time.Minute}, "fail", "interval", "longest interval 20s"},
		{"two look-ups that differ in their query are two requests", func() []toolkit.Entry {
			b := &journalBuilder{}
			for i, at := range []float64{0, 1, 3, 7} {
				for j, q := range []string{"email=a%40x.io", "email=b%40x.io"} {
					e := b.add(time.Duration((at+0.05*float64(j))*float64(time.Second)), "", 0, 503+(i/3)*-303, ms10, "")
					e.Method, e.Path, e.Query, e.Body = http.MethodGet, "/contacts", q, nil
				}
			}
			sortEntries(b.es)
			return b.es
		}, BackoffOptions{}, "pass", "grow ×2.01", "over 6 retries of 2 requests"},
		{"a retry under a new key is a finding, not a skip", remintingJournal, BackoffOptions{}, "fail",
			"2 retries changed their idempotency key", "growth ×2.01 over 2 retries of 1 requests"},
		{"a new key after a success is a new write", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k-1", 1, 201, 0, 1, 3, 7)
			retries(b, "k-2", 1, 201, 8, 9, 11, 15)
			return b.es
		}, BackoffOptions{}, "pass", "grow ×2.01", "over 6 retries of 2 requests"},
		{"waits Retry-After paced are the vendor's", func() []toolkit.Entry {
			b := &journalBuilder{}
			for i := range 5 {
				b.add(time.Duration(i)*1010*time.Millisecond, "k", 1, 429, ms10, "1")
			}
			return b.es
		}, BackoffOptions{}, "skip", "not exercised", "4 retries in 1 chains"},
		{"a wait well past Retry-After is the client's own", func() []toolkit.Entry {
			b := &journalBuilder{}
			for i := range 5 {
				b.add(time.Duration(i)*3010*time.Millisecond, "k", 1, 429, ms10, "1")
			}
			return b.es
		}, BackoffOptions{}, "fail", "do not grow", "growth ×1.00"},
		{"the grace after Retry-After can be widened", func() []toolkit.Entry {
			b := &journalBuilder{}
			for i := range 5 {
				b.add(time.Duration(i)*3010*time.Millisecond, "k", 1, 429, ms10, "1")
			}
			return b.es
		}, BackoffOptions{RetryAfterGrace: 3 * time.Second}, "skip", "not exercised", "4 retries"},
		{"growth ×1.5 under a threshold of ×1.6", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k", 1, 201, 0, 1, 2.5, 4.75, 8.125)
			return b.es
		}, BackoffOptions{MinGrowth: 1.6}, "fail", "do not grow: ×1.50 < ×1.60", ""},
		{"growth ×1.5 under the default threshold", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k", 1, 201, 0, 1, 2.5, 4.75, 8.125)
			return b.es
		}, BackoffOptions{}, "pass", "grow ×1.50", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := Backoff(tc.journal(), tc.o)
			if g.Status() != tc.status || !strings.Contains(g.Reason, tc.reason) || !strings.Contains(g.Measured, tc.measure) {
				t.Fatalf("%s: %s (%s), want %s: %q (%q)\n%s", g.Status(), g.Reason, g.Measured, tc.status, tc.reason, tc.measure, strings.Join(g.Detail, "\n"))
			}
		})
	}
}

// The gate limited to an operation or a time window judges only the
// chains there: a fixed-pace retrier elsewhere does not fail it, and
// fails it when the gate is not limited.
func TestBackoffOperationAndWindow(t *testing.T) {
	t.Parallel()
	b := &journalBuilder{}
	retries(b, "k-1", 1, 201, 0, 1, 2, 3, 4, 5, 6, 7, 8) // fixed pace, before the fault
	retries(b, "", 2, 200, 10, 11, 13, 17, 25)           // doubling, during the fault
	for i := 9; i < len(b.es); i++ {
		e := &b.es[i]
		e.Method, e.Path, e.Template, e.Operation, e.Body = http.MethodGet, "/status", "/status", "getStatus", nil
	}
	window := []Window{{From: t0.Add(10 * time.Second), To: t0.Add(20 * time.Second)}}
	for _, tc := range []struct {
		o      BackoffOptions
		status string
	}{
		{BackoffOptions{}, "fail"},
		{BackoffOptions{Operation: "getStatus"}, "pass"},
		{BackoffOptions{Operation: "GET /status"}, "pass"},
		{BackoffOptions{Operation: "createInvoice"}, "fail"},
		{BackoffOptions{Windows: window}, "pass"},
		{BackoffOptions{Windows: []Window{{To: t0.Add(10 * time.Second)}}}, "fail"},
	} {
		if g := Backoff(b.es, tc.o); g.Status() != tc.status {
			t.Errorf("%+v: %s: %s (%s)", tc.o, g.Status(), g.Reason, g.Measured)
		}
	}
}

// TestMedian: the selection agrees with sorting, odd and even lengths,
// ties and sorted input included.
func TestMedian(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 200; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.IntN(n/3 + 1)) // ties
		}
		if n%7 == 0 {
			slices.Sort(xs)
		}
		want := slices.Clone(xs)
		slices.Sort(want)
		m := want[n/2]
		if n%2 == 0 {
			m = (want[n/2-1] + want[n/2]) / 2
		}
		if got := median(xs); got != m {
			t.Fatalf("n=%d: median %v, want %v", n, got, m)
		}
	}
}

// BenchmarkBackoffGate judges the backoff of a load run's journal: 224k
// entries, 57k retried requests (simulateDrill, 50,000 payments), against
// the baseline of grouping the same journal into retry chains, the pass
// every reading of retries makes. The ratio is what the growth, its band
// (bounded by bootstrapPairs) and the per-operation bands cost on top.
//
//	go test -run '^$' -bench BackoffGate -benchtime 5x ./ci/
func BenchmarkBackoffGate(b *testing.B) {
	j := simulateDrill(1, 50_000, 100*time.Millisecond, busy(5*time.Millisecond))
	o := BackoffOptions{System: "ledger", MinGrowth: 1.25, GiveUp: 1800 * time.Millisecond}
	var group, gate time.Duration
	for b.Loop() {
		start := time.Now()
		chains, _ := inbound(j, "ledger").chains(o.GiveUp)
		group += time.Since(start)
		start = time.Now()
		g := Backoff(j, o)
		gate += time.Since(start)
		if len(chains) == 0 || !g.Passed {
			b.Fatalf("%d chains; %s: %s", len(chains), g.Status(), g.Reason)
		}
	}
	b.ReportMetric(float64(len(j)), "entries")
	b.ReportMetric(gate.Seconds()/float64(b.N), "gate-s")
	b.ReportMetric(gate.Seconds()/group.Seconds(), "gate/grouping")
}
