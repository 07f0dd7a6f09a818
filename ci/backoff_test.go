package ci

import (
	"fmt"
	"math/rand/v2"
	"net/http"
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
// its own idempotency key and retried by p up to 8 attempts; the orders it
// gave up on go to a dead-letter queue redriven at 60 s.
func simulate(seed uint64, p policy) []toolkit.Entry {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
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
			at += ms10 + p(n, rng)
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
				g := Backoff(simulate(seed, tc.p), o)
				if g.Passed != tc.pass || g.Skipped || !strings.Contains(g.Reason, tc.reason) || strings.Contains(g.Reason, "exceed the cap") {
					wrong++
					t.Errorf("seed %d: %s: %s (%s)\n%s", seed, g.Status(), g.Reason, g.Measured, strings.Join(g.Detail, "\n"))
				}
			}
			t.Logf("%s: %d of 50 seeds judged wrong", tc.name, wrong)
		})
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
		}, BackoffOptions{Cap: 5 * time.Second}, "pass", "grow ×2.00", "1 attempts after a gap over 15s began new chains"},
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
		}, BackoffOptions{}, "pass", "grow ×2.00", "over 6 retries of 2 requests"},
		{"a retry under a new key is a finding, not a skip", remintingJournal, BackoffOptions{}, "fail",
			"2 retries changed their idempotency key", "growth ×2.00 over 2 retries of 1 requests"},
		{"a new key after a success is a new write", func() []toolkit.Entry {
			b := &journalBuilder{}
			retries(b, "k-1", 1, 201, 0, 1, 3, 7)
			retries(b, "k-2", 1, 201, 8, 9, 11, 15)
			return b.es
		}, BackoffOptions{}, "pass", "grow ×2.00", "over 6 retries of 2 requests"},
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
