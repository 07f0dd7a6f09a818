package chaos

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// isReset reports whether err is what a client sees of a connection reset
// as soon as it was accepted: a reset, a broken pipe, or an early EOF.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// attempt connects to addr and tries a round trip; it returns the error
// the round trip ended with and how long the attempt took.
func attempt(addr string) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return time.Since(start), err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return time.Since(start), err
	}
	_, err = roundTrip(c)
	return time.Since(start), err
}

// sum is the count of the seconds of rs in [from, to].
func sum(rs []Refused, from, to time.Time) int {
	n := 0
	for _, r := range rs {
		if !r.At.Before(from.UTC().Truncate(time.Second)) && !r.At.After(to.UTC().Truncate(time.Second)) {
			n += r.Count
		}
	}
	return n
}

// settledGoroutines waits up to 3 s for the goroutine count to come down
// to want, and returns the last count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// Not parallel: it counts the process's goroutines.
func TestDownProxyResetsAndCountsEachConnection(t *testing.T) {
	tp := embedded(t)
	p := proxyTo(t, tp, "refusing", tcpUpstream(t, echo))
	ctx := context.Background()
	if _, err := attempt(p.Listen); err != nil {
		t.Fatalf("control: %v", err)
	}
	tp.http.CloseIdleConnections()
	before := settledGoroutines(0)

	held := dial(t, p.Listen, 5*time.Second)
	if _, err := roundTrip(held); err != nil {
		t.Fatalf("control: %v", err)
	}
	revert := apply(t, tp, p.Name, mustParse(t, Down, nil))
	if _, err := roundTrip(held); err == nil {
		t.Error("a connection open when the proxy went down still carries bytes")
	}

	// Two batches in two different seconds, each checked against the
	// seconds it ran in.
	type batch struct {
		n        int
		from, to time.Time
	}
	batches := []batch{{n: 5}, {n: 7}}
	for i := range batches {
		b := &batches[i]
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
		b.from = time.Now()
		for range b.n {
			took, err := attempt(p.Listen)
			if !isReset(err) {
				t.Fatalf("while down: %v, want the connection reset", err)
			}
			if took > 500*time.Millisecond {
				t.Errorf("while down: the attempt failed after %v, want at once", took)
			}
		}
		b.to = time.Now()
	}
	// The relay counts after the reset the client saw.
	var got []Refused
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if got, err = tp.Refusals(ctx, p.Name); err != nil {
			t.Fatal(err)
		}
		if sum(got, time.Time{}, time.Now()) >= 12 || time.Now().After(deadline) {
			break
		}
	}
	if n := sum(got, time.Time{}, time.Now()); n != 12 {
		t.Errorf("refusals %+v: %d in all, want 12", got, n)
	}
	for _, b := range batches {
		if n := sum(got, b.from, b.to); n != b.n {
			t.Errorf("refusals %+v: %d between %v and %v, want %d", got, n, b.from, b.to, b.n)
		}
	}
	for _, r := range got {
		if r.At.Location() != time.UTC || !r.At.Equal(r.At.Truncate(time.Second)) {
			t.Errorf("refusal second %v: want a whole second, UTC", r.At)
		}
	}

	if err := revert(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := tp.Lookup(ctx, p.Name)
	if err != nil || !after.Enabled || after.Listen != p.Listen {
		t.Fatalf("after revert: %+v, %v; want enabled on %s", after, err, p.Listen)
	}
	if _, err := attempt(p.Listen); err != nil {
		t.Errorf("after revert: %v", err)
	}
	again, err := tp.Refusals(ctx, p.Name)
	if err != nil || sum(again, time.Time{}, time.Now()) != 12 {
		t.Errorf("refusals after revert: %+v, %v; want the 12 counted while down", again, err)
	}
	_ = held.Close()
	tp.http.CloseIdleConnections()
	if n := settledGoroutines(before); n > before {
		t.Errorf("%d goroutines after the proxy came back up, %d before it went down", n, before)
	}
}

func TestRefusalsThroughTheAPI(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "quiet", tcpUpstream(t, echo))
	ctx := context.Background()
	// A remote client of the same server reads the same counts.
	remote, err := Remote(tp.URL())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := remote.Refusals(ctx, p.Name); err != nil || got == nil || len(got) != 0 {
		t.Errorf("a proxy never down: %+v, %v; want an empty list", got, err)
	}
	revert := apply(t, tp, p.Name, mustParse(t, Down, nil))
	if _, err := attempt(p.Listen); !isReset(err) {
		t.Fatalf("while down: %v", err)
	}
	if err := revert(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := remote.Refusals(ctx, p.Name); err != nil || sum(got, time.Time{}, time.Now()) != 1 {
		t.Errorf("remote: %+v, %v; want one refusal", got, err)
	}
	if _, err := remote.Refusals(ctx, "nowhere"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown proxy: %v, want ErrNotFound", err)
	}
	// A Toxiproxy without firedrill's route answers 404 as well.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	other, err := Remote(plain.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Refusals(ctx, p.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("a server without the route: %v, want ErrNotFound", err)
	}
}

func TestRefusalsKeepTheLastSeconds(t *testing.T) {
	t.Parallel()
	var rf refusals
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range MaxRefusedSeconds + 10 {
		rf.add(t0.Add(time.Duration(i)*time.Second + 300*time.Millisecond))
		rf.add(t0.Add(time.Duration(i)*time.Second + 900*time.Millisecond))
	}
	rf.add(t0) // a clock stepping back counts in the latest second
	got := rf.list()
	if len(got) != MaxRefusedSeconds {
		t.Fatalf("%d seconds kept, want %d", len(got), MaxRefusedSeconds)
	}
	if !got[0].At.Equal(t0.Add(10*time.Second)) || got[0].Count != 2 {
		t.Errorf("oldest kept %+v, want 2 at %v", got[0], t0.Add(10*time.Second))
	}
	if last := got[len(got)-1]; last.Count != 3 {
		t.Errorf("latest %+v, want 3", last)
	}
}

// TestDownKeepsTheToxicsForWhenItComesBack: a proxy taken down with a
// toxic on refuses like any other, and serves through the toxic again
// once it is back.
func TestDownKeepsTheToxicsForWhenItComesBack(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "toxic-down", tcpUpstream(t, echo))
	ctx := context.Background()
	held := dial(t, p.Listen, 5*time.Second)
	if _, err := roundTrip(held); err != nil {
		t.Fatalf("control: %v", err)
	}
	removeLatency := apply(t, tp, p.Name, mustParse(t, "latency", map[string]string{"latency": "200ms"}))
	up := apply(t, tp, p.Name, mustParse(t, Down, nil))
	if _, err := roundTrip(held); err == nil {
		t.Error("a piped connection still carries bytes while the proxy is down")
	}
	if _, err := attempt(p.Listen); !isReset(err) {
		t.Fatalf("while down: %v, want the connection reset", err)
	}
	if err := up(ctx); err != nil {
		t.Fatal(err)
	}
	if took, err := attempt(p.Listen); err != nil || took < 200*time.Millisecond {
		t.Errorf("back up: %v after %v, want the echo through the 200ms latency", err, took)
	}
	if err := removeLatency(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := tp.Refusals(ctx, p.Name); err != nil || sum(got, time.Time{}, time.Now()) != 1 {
		t.Errorf("refusals %+v, %v; want one", got, err)
	}
}

// TestDownAndUpUnderLoadNeverHangs toggles a proxy down and up while
// clients keep connecting: each attempt is served or fails at once, and
// the proxy counts no more refusals than attempts failed.
func TestDownAndUpUnderLoadNeverHangs(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "toggled", tcpUpstream(t, echo))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type tally struct{ ok, failed, slow int }
	results := make(chan tally, 4)
	for range 4 {
		go func() {
			var n tally
			defer func() { results <- n }()
			for ctx.Err() == nil {
				took, err := attempt(p.Listen)
				switch {
				case took > time.Second:
					n.slow++
				case err == nil:
					n.ok++
				default:
					n.failed++
				}
			}
		}()
	}
	for range 5 {
		up := apply(t, tp, p.Name, mustParse(t, Down, nil))
		time.Sleep(50 * time.Millisecond)
		if err := up(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	var all tally
	for range 4 {
		n := <-results
		all.ok, all.failed, all.slow = all.ok+n.ok, all.failed+n.failed, all.slow+n.slow
	}
	got, err := tp.Refusals(context.Background(), p.Name)
	if err != nil {
		t.Fatal(err)
	}
	refused := sum(got, time.Time{}, time.Now())
	if all.slow > 0 || all.ok == 0 || refused == 0 || refused > all.failed {
		t.Errorf("%d attempts served, %d failed, %d slow; %d refused: want none slow, some served, some refused, no more refused than failed", all.ok, all.failed, all.slow, refused)
	}
}
