package ci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// journalBuilder writes fixture journals of the accounting mock.
type journalBuilder struct{ es []toolkit.Entry }

func (b *journalBuilder) add(at time.Duration, key string, order, status int, dur time.Duration, retryAfter string) *toolkit.Entry {
	e := toolkit.Entry{
		Seq: uint64(len(b.es) + 1), System: "accounting", Time: t0.Add(at), Duration: dur, Direction: "inbound",
		Client: "127.0.0.1:5000", Method: http.MethodPost, Path: "/invoices", Template: "/invoices",
		Operation: "createInvoice", Body: []byte(fmt.Sprintf(`{"reference":"%d"}`, order)),
		Status: status, Valid: true, IdempotencyKey: key,
	}
	if retryAfter != "" {
		e.ResponseHeader = http.Header{"Retry-After": {retryAfter}}
	}
	if status == http.StatusServiceUnavailable {
		e.Fault = "status"
	}
	b.es = append(b.es, e)
	return &b.es[len(b.es)-1]
}

// The outage: accounting answers 503 from 10 s to 20 s.
var outage = []FaultWindow{{Target: "accounting", Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second), Kind: "status"}}

const ms10 = 10 * time.Millisecond

// resilientJournal is a service that backs off exponentially with jitter,
// honours Retry-After, opens a breaker, sends and reuses keys, times out
// after 1 s and drains its backlog after the outage.
func resilientJournal() []toolkit.Entry {
	b := &journalBuilder{}
	b.add(1*time.Second, "ord-1", 1, 201, ms10, "")
	b.add(3*time.Second, "ord-2", 2, 429, ms10, "2")
	b.add(5100*time.Millisecond, "ord-2", 2, 201, ms10, "")
	// Outage: order 3 retried after 0.5 s, 1.1 s, 1.9 s, then the breaker holds it.
	b.add(10*time.Second, "ord-3", 3, 503, ms10, "0")
	b.add(10500*time.Millisecond, "ord-3", 3, 503, ms10, "")
	b.add(11600*time.Millisecond, "ord-3", 3, 503, ms10, "")
	b.add(13500*time.Millisecond, "ord-3", 3, 503, ms10, "")
	b.add(17*time.Second, "ord-3", 3, 503, ms10, "") // half-open probe
	// Recovery: the parked order and a new one go through.
	b.add(20500*time.Millisecond, "ord-3", 3, 201, ms10, "")
	b.add(21*time.Second, "ord-4", 4, 201, ms10, "")
	// A slow answer (mock latency fault): the client gave up after 1 s and retried.
	slow := b.add(30*time.Second, "ord-5", 5, 201, 5*time.Second, "")
	slow.Fault = "latency"
	b.add(31*time.Second, "ord-5", 5, 201, ms10, "")
	return b.es
}

// naiveJournal is a service with none of it: immediate retries without
// keys, Retry-After ignored, no breaker, no timeout, writes lost after the
// outage, one request that breaks the contract.
func naiveJournal() []toolkit.Entry {
	b := &journalBuilder{}
	b.add(1*time.Second, "", 1, 201, ms10, "")
	b.add(3*time.Second, "", 2, 429, ms10, "2")
	b.add(3020*time.Millisecond, "", 2, 201, ms10, "")
	for i := range 300 { // hammering through the outage, 30/s
		b.add(10*time.Second+time.Duration(i)*33*time.Millisecond, "", 3+i%3, 503, ms10, "")
	}
	b.add(30*time.Second, "", 9, 201, 5*time.Second, "").Fault = "latency"
	bad := b.add(40*time.Second, "", 10, 422, ms10, "")
	bad.Valid = false
	bad.Violations = []toolkit.Violation{{In: "body", Pointer: "/amount_cents", Message: "property \"amount_cents\" is missing"}}
	return b.es
}

// remintingJournal retries with backoff but a new key per attempt.
func remintingJournal() []toolkit.Entry {
	b := &journalBuilder{}
	b.add(10*time.Second, "k-1", 3, 503, ms10, "")
	b.add(11*time.Second, "k-2", 3, 503, ms10, "")
	b.add(13*time.Second, "k-3", 3, 201, ms10, "")
	return b.es
}

func TestResilienceGates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gates := map[string]func([]toolkit.Entry) Gate{
		"backoff": func(es []toolkit.Entry) Gate {
			return Backoff(es, BackoffOptions{System: "accounting", Cap: 30 * time.Second})
		},
		"retry-after": func(es []toolkit.Entry) Gate { return RetryAfter(es, RetryAfterOptions{System: "accounting"}) },
		"breaker": func(es []toolkit.Entry) Gate {
			return Breaker(es, outage, BreakerOptions{System: "accounting", MaxRate: 1, Within: 2 * time.Second})
		},
		"idempotency": func(es []toolkit.Entry) Gate {
			return Idempotency(es, IdempotencyOptions{System: "accounting", Operations: []string{"createInvoice"}})
		},
		"timeouts": func(es []toolkit.Entry) Gate {
			return Timeouts(es, TimeoutOptions{System: "accounting", Max: 2 * time.Second})
		},
		"recovery": func(es []toolkit.Entry) Gate {
			return Recovery(ctx, es, outage, RecoveryOptions{System: "accounting", Within: 5 * time.Second})
		},
		"conformance": func(es []toolkit.Entry) Gate { return Conformance(es, ConformanceOptions{}) },
	}
	naiveReasons := map[string]string{
		"backoff":     "retry intervals do not grow",
		"retry-after": "1 requests came sooner than Retry-After allowed",
		"breaker":     "no breaker opened",
		"idempotency": "sent without Idempotency-Key",
		"timeouts":    "the client has no timeout",
		"recovery":    "never caught up",
		"conformance": "1 requests broke their contract",
	}
	for name, gate := range gates {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			good := gate(resilientJournal())
			if !good.Passed || good.Skipped {
				t.Errorf("resilient service: %s: %s (%s)\n%s", good.Status(), good.Reason, good.Measured, strings.Join(good.Detail, "\n"))
			}
			bad := gate(naiveJournal())
			if bad.Passed || bad.Skipped || !strings.Contains(bad.Reason, naiveReasons[name]) || len(bad.Detail) == 0 {
				t.Errorf("naive service: %s: %q (%s), want %q\n%s", bad.Status(), bad.Reason, bad.Measured, naiveReasons[name], strings.Join(bad.Detail, "\n"))
			}
			if empty := gate(nil); !empty.Skipped && name != "recovery" && name != "breaker" {
				t.Errorf("empty journal: %s: %s", empty.Status(), empty.Reason)
			}
		})
	}
}

func TestIdempotencyReminted(t *testing.T) {
	t.Parallel()
	g := Idempotency(remintingJournal(), IdempotencyOptions{Operations: []string{"POST /invoices"}})
	if g.Passed || !strings.Contains(g.Reason, "1 writes were retried under a new key") || !strings.Contains(g.Detail[0], "k-1, k-2, k-3") {
		t.Fatalf("%s: %s %v", g.Status(), g.Reason, g.Detail)
	}
}

func TestBackoffCap(t *testing.T) {
	t.Parallel()
	b := &journalBuilder{}
	for i, at := range []time.Duration{0, 1, 3, 7, 15, 31, 63} { // doubling, never capped
		b.add(at*time.Second, "k", 1, 503, ms10, "")
		_ = i
	}
	if g := Backoff(b.es, BackoffOptions{Cap: 10 * time.Second, Jitter: 0.2}); g.Passed || !strings.Contains(g.Reason, "exceed the cap") {
		t.Fatalf("uncapped: %s: %s", g.Status(), g.Reason)
	}
	if g := Backoff(b.es, BackoffOptions{Cap: 40 * time.Second}); !g.Passed {
		t.Fatalf("under the cap: %s: %s", g.Status(), g.Reason)
	}
	// Capped at 8 s: intervals 1, 2, 4, 8, 8, 8 still back off.
	c := &journalBuilder{}
	for _, at := range []time.Duration{0, 1, 3, 7, 15, 23, 31} {
		c.add(at*time.Second, "k", 1, 503, ms10, "")
	}
	if g := Backoff(c.es, BackoffOptions{Cap: 8 * time.Second, Jitter: 0.1}); !g.Passed {
		t.Fatalf("capped: %s: %s %v", g.Status(), g.Reason, g.Detail)
	}
}

func TestRecoveryProbe(t *testing.T) {
	t.Parallel()
	g := Recovery(context.Background(), resilientJournal(), outage, RecoveryOptions{System: "accounting", Within: 5 * time.Second,
		Probe: func(context.Context) error { return errors.New("dead-letter queue holds 3 orders") }})
	if g.Passed || !strings.Contains(g.Reason, "probe: dead-letter queue holds 3 orders") {
		t.Fatalf("%s: %s", g.Status(), g.Reason)
	}
	late := Recovery(context.Background(), resilientJournal(), outage, RecoveryOptions{System: "accounting", Within: 5 * time.Second, CaughtUpAt: t0.Add(40 * time.Second)})
	if late.Passed || !strings.Contains(late.Reason, "caught up 20s after the fault") {
		t.Fatalf("%s: %s", late.Status(), late.Reason)
	}
}

func TestRetryAfterParse(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"2": 2 * time.Second, "0.5": 500 * time.Millisecond, "Thu, 01 Jan 2026 00:00:03 GMT": 3 * time.Second} {
		if got, ok := retryAfter(v, at); !ok || got != want {
			t.Errorf("retryAfter(%q) = %s %v, want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-1"} {
		if _, ok := retryAfter(v, at); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "0.5", "Thu, 01 Jan 2026 00:00:03 GMT", "", "-1", "1e400", "NaN"} {
		f.Add(s)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := retryAfter(v, at); ok && d < 0 {
			t.Fatalf("retryAfter(%q) = %s", v, d)
		}
	})
}

// BenchmarkResilienceGates runs every journal gate over a full journal
// (toolkit.DefaultJournalSize entries of the naive service, retries and
// throttling included) and reports the ratio of their time to the baseline
// of ordering the journal, which each gate does once.
func BenchmarkResilienceGates(b *testing.B) {
	base := naiveJournal()
	var es []toolkit.Entry
	for len(es) < toolkit.DefaultJournalSize {
		shift := time.Duration(len(es)/len(base)) * time.Minute
		for _, e := range base {
			e.Time = e.Time.Add(shift)
			e.Body = []byte(fmt.Sprintf(`{"reference":"%d-%s"}`, len(es)/len(base), e.Body))
			es = append(es, e)
		}
	}
	ctx := context.Background()
	var gates, baseline time.Duration
	for b.Loop() {
		t0 := time.Now()
		_ = inbound(es, "accounting")
		baseline += time.Since(t0)
		t1 := time.Now()
		Backoff(es, BackoffOptions{System: "accounting"})
		RetryAfter(es, RetryAfterOptions{System: "accounting"})
		Breaker(es, outage, BreakerOptions{System: "accounting", MaxRate: 1, Within: time.Second})
		Idempotency(es, IdempotencyOptions{System: "accounting", Operations: []string{"createInvoice"}})
		Timeouts(es, TimeoutOptions{System: "accounting", Max: time.Second})
		Recovery(ctx, es, outage, RecoveryOptions{System: "accounting", Within: time.Second})
		Conformance(es, ConformanceOptions{})
		gates += time.Since(t1)
	}
	b.ReportMetric(float64(gates)/float64(baseline), "x-sort")
}

// A journal that masked the key header still shows that a key was sent.
func TestIdempotencyMaskedHeader(t *testing.T) {
	t.Parallel()
	b := &journalBuilder{}
	e := b.add(time.Second, "", 1, 201, ms10, "")
	e.Header = http.Header{"Idempotency-Key": {toolkit.Masked}}
	b.add(2*time.Second, "", 2, 201, ms10, "") // no key at all
	g := Idempotency(b.es, IdempotencyOptions{Operations: []string{"createInvoice"}})
	if g.Passed || !strings.Contains(g.Measured, "1 of 2 requests that require a key lacked it") || !strings.Contains(g.Measured, "1 keys masked") {
		t.Fatalf("%s: %s", g.Status(), g.Measured)
	}
	if k, present := idempotencyKey(e, DefaultIdempotencyHeader); k != "" || !present {
		t.Fatalf("masked key read as %q %v", k, present)
	}
}

// Without a retry of the same request, the next request from the same
// client host (any port: a new connection) must wait for Retry-After.
func TestRetryAfterSameClient(t *testing.T) {
	t.Parallel()
	b := &journalBuilder{}
	b.add(time.Second, "", 1, 429, ms10, "2")
	other := b.add(1500*time.Millisecond, "", 2, 201, ms10, "")
	other.Client = "127.0.0.1:5999"
	if g := RetryAfter(b.es, RetryAfterOptions{}); g.Passed || !strings.Contains(g.Detail[0], "next request after 490ms") {
		t.Fatalf("%s: %s %v", g.Status(), g.Reason, g.Detail)
	}
	other.Client = "10.0.0.9:5999" // another client: nothing to judge
	if g := RetryAfter(b.es, RetryAfterOptions{}); !g.Skipped {
		t.Fatalf("%s: %s", g.Status(), g.Reason)
	}
}

// A breaker gate never passes for lack of data: behind a down toxic the
// mock journals nothing, and a system that got no request proves nothing.
func TestBreakerNoData(t *testing.T) {
	t.Parallel()
	down := []FaultWindow{{Target: "accounting", Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second), Kind: "down"}}
	o := BreakerOptions{System: "accounting", MaxRate: 1, Within: 2 * time.Second}
	for name, c := range map[string]struct {
		entries []toolkit.Entry
		windows []FaultWindow
		reason  string
	}{
		"down toxic, resilient": {resilientJournal(), down, "no data: the proxy refuses"},
		"down toxic, naive":     {naiveJournal(), down, "no data: the proxy refuses"},
		"no request at all":     {nil, outage, "no data: without any request"},
	} {
		g := Breaker(c.entries, c.windows, o)
		if g.Passed || g.Skipped || !strings.HasPrefix(g.Reason, c.reason) || !strings.HasPrefix(g.Measured, "no data") {
			t.Errorf("%s: %s: %s (%s), want a failure: %s", name, g.Status(), g.Reason, g.Measured, c.reason)
		}
	}
	// The control: the same journals judged over a status fault the mock sees.
	if g := Breaker(resilientJournal(), outage, o); !g.Passed {
		t.Errorf("resilient, status fault: %s: %s", g.Status(), g.Reason)
	}
	if g := Breaker(naiveJournal(), outage, o); g.Passed || g.Skipped {
		t.Errorf("naive, status fault: %s: %s", g.Status(), g.Reason)
	}
	// A down toxic beside a status fault: the status window is judged.
	if g := Breaker(resilientJournal(), append(slices.Clone(down), outage...), o); !g.Passed {
		t.Errorf("resilient, down and status: %s: %s", g.Status(), g.Reason)
	}
}

// TestBreakerShortOutage: an outage cut short to 600 ms after Within
// holds one request of a service whose breaker probes once a second: no
// rate over the bound of 1/s can be read from it, so it passes; two
// requests in it are over the bound, and fail.
func TestBreakerShortOutage(t *testing.T) {
	t.Parallel()
	short := []FaultWindow{{Target: "accounting", Start: t0.Add(10 * time.Second), End: t0.Add(11600 * time.Millisecond), Kind: "status"}}
	o := BreakerOptions{System: "accounting", MaxRate: 1, Within: time.Second}
	b := &journalBuilder{}
	b.add(10*time.Second, "ord-3", 3, 503, ms10, "")
	b.add(11300*time.Millisecond, "ord-3", 3, 503, ms10, "") // the probe
	if g := Breaker(b.es, short, o); !g.Passed {
		t.Errorf("one probe in 600 ms: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
	b.add(11500*time.Millisecond, "ord-3", 3, 503, ms10, "")
	if g := Breaker(b.es, short, o); g.Passed || g.Skipped {
		t.Errorf("two requests in 600 ms: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
}

// TestBreakerPartialFault: a fault that fails a third of the calls is no
// outage: a service that keeps calling through it (its breaker rightly
// closed, as most calls succeed) is not failed for it, and the gate says
// the fault was not judged; the same calls through a full outage fail it.
func TestBreakerPartialFault(t *testing.T) {
	t.Parallel()
	o := BreakerOptions{System: "accounting", MaxRate: 1, Within: time.Second}
	b := &journalBuilder{}
	for i := range 40 { // 10/s through 10-14 s, a third of them failing
		status := http.StatusCreated
		if i%3 == 0 {
			status = http.StatusServiceUnavailable
		}
		b.add(10*time.Second+time.Duration(i)*100*time.Millisecond, fmt.Sprintf("ord-%d", i), i, status, ms10, "")
	}
	flaky := FaultWindow{Target: "accounting", Start: t0.Add(10 * time.Second), End: t0.Add(14 * time.Second), Kind: "status", Partial: true}
	g := Breaker(b.es, []FaultWindow{flaky}, o)
	if !g.Skipped || !strings.Contains(g.Measured, "1 partial faults") {
		t.Errorf("partial fault only: %s: %s (%s), want a skip that names it", g.Status(), g.Reason, g.Measured)
	}
	outage := flaky
	outage.Partial = false
	if g := Breaker(b.es, []FaultWindow{outage}, o); g.Passed || g.Skipped {
		t.Errorf("the same calls through an outage: %s: %s (%s), want a fail", g.Status(), g.Reason, g.Measured)
	}
	outage.Start, outage.End = t0.Add(20*time.Second), t0.Add(24*time.Second) // nothing called then
	g = Breaker(b.es, []FaultWindow{flaky, outage}, o)
	if !g.Passed || !strings.Contains(g.Measured, "1 partial faults not judged") {
		t.Errorf("a quiet outage beside the partial fault: %s: %s (%s), want a pass that names the partial fault", g.Status(), g.Reason, g.Measured)
	}
}

// TestSameBodyThroughDroppedBodies: a request whose body the journal
// dropped to stay within its body budget is still told apart from another
// by the digest it kept, and matched with a retry whose body was kept.
func TestSameBodyThroughDroppedBodies(t *testing.T) {
	t.Parallel()
	j := toolkit.NewJournal(10)
	j.SetMaxBodyBytes(1)
	for _, b := range []string{`{"order":1}`, `{"order":2}`, `{"order":1}`} {
		j.Record(toolkit.Entry{System: "accounting", Method: "POST", Path: "/invoices", Body: toolkit.Body(b)})
	}
	es := j.Entries(toolkit.Filter{})
	if len(es[0].Body) != 0 || len(es[1].Body) != 0 || len(es[2].Body) == 0 {
		t.Fatalf("bodies kept: %q %q %q, want only the newest", es[0].Body, es[1].Body, es[2].Body)
	}
	if sameBody(&es[0]) == sameBody(&es[1]) {
		t.Error("two requests with different bodies, both dropped, read as the same")
	}
	if sameBody(&es[0]) != sameBody(&es[2]) {
		t.Error("a retry whose body was kept does not match the request whose body was dropped")
	}
}

// TestRecoverySaysWhenOnTheAttacksClock: the gate says when the last fault
// ended as every report does, counted from the attack's start.
func TestRecoverySaysWhenOnTheAttacksClock(t *testing.T) {
	t.Parallel()
	g := Recovery(context.Background(), resilientJournal(), outage, RecoveryOptions{System: "accounting", Within: 5 * time.Second, Zero: t0})
	end := outage[len(outage)-1].End.Sub(t0)
	if want := "last fault ended at +" + end.String(); !strings.HasPrefix(g.Measured, want) {
		t.Errorf("measured %q, want it to start %q", g.Measured, want)
	}
}
