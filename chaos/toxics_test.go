package chaos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"
)

// The proofs below run each toxic over real TCP on loopback and measure its
// effect at the client, against a control without the toxic.

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func roundTrips(t *testing.T, addr string, n int) []time.Duration {
	t.Helper()
	c := dial(t, addr, 30*time.Second)
	out := make([]time.Duration, n)
	for i := range out {
		d, err := roundTrip(c)
		if err != nil {
			t.Fatalf("round trip %d: %v", i, err)
		}
		out[i] = d
	}
	return out
}

func TestLatencyAddsTheConfiguredDelay(t *testing.T) {
	// Not parallel: it measures time.
	tp := embedded(t)
	up := tcpUpstream(t, echo)
	p := proxyTo(t, tp, "latency", up)

	base := median(roundTrips(t, up, 30))
	apply(t, tp, p.Name, mustParse(t, "latency", map[string]string{"latency": "100ms"}))
	probe := latenessProbe(20 * time.Millisecond)
	got := median(roundTrips(t, p.Listen, 30))
	lateness := probe()
	added := got - base
	t.Logf("direct median %v, with latency=100ms %v: added %v (timers late by %v)", base, got, added, lateness)
	if added < 95*time.Millisecond || added > 105*time.Millisecond {
		failTiming(t, lateness, "median added latency %v, want 100ms ± 5ms", added)
	}
}

func TestJitterStaysInItsBounds(t *testing.T) {
	// Not parallel: it measures time.
	tp := embedded(t)
	p := proxyTo(t, tp, "jitter", tcpUpstream(t, echo))
	apply(t, tp, p.Name, mustParse(t, "latency", map[string]string{"latency": "100ms", "jitter": "20ms"}))
	probe := latenessProbe(20 * time.Millisecond)
	ds := roundTrips(t, p.Listen, 20)
	lateness := probe()
	slices.Sort(ds)
	lo, p90, hi := ds[0], ds[len(ds)*9/10-1], ds[len(ds)-1]
	t.Logf("latency=100ms jitter=20ms: min %v, p90 %v, max %v (timers late by %v)", lo, p90, hi, lateness)
	// A toxic cannot deliver early: every sample is ≥ 80ms. Scheduling
	// can only delay, so the upper bound holds for 90% of the samples.
	if lo < 80*time.Millisecond {
		t.Errorf("round trip of %v, below latency - jitter", lo)
	}
	if p90 > 125*time.Millisecond {
		failTiming(t, lateness, "round trips min %v, p90 %v; want within 80ms..120ms (+5ms slack)", lo, p90)
	}
	if hi-lo < 5*time.Millisecond {
		t.Errorf("round trips spread over %v only: jitter had no effect", hi-lo)
	}
}

// get fetches url on a fresh connection with a 1 s timeout. The connection
// is kept alive, as real clients do, so that the server does not close it.
func get(url string) error {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: time.Second, Transport: tr}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func httpUpstream(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestTimeoutHangsUntilRemoved(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "timeout", httpUpstream(t))
	url := "http://" + p.Listen + "/"
	if err := get(url); err != nil {
		t.Fatalf("control: %v", err)
	}
	revert := apply(t, tp, p.Name, mustParse(t, "timeout", map[string]string{"timeout": "0"}))
	start := time.Now()
	err := get(url)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("with timeout=0: %v, want a client timeout", err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("timed out after %v, before the client's 1s", took)
	}
	if err := revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := get(url); err != nil {
		t.Errorf("after removal: %v", err)
	}
}

func TestDownRefusesUntilReverted(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "down", httpUpstream(t))
	url := "http://" + p.Listen + "/"
	if err := get(url); err != nil {
		t.Fatalf("control: %v", err)
	}
	revert := apply(t, tp, p.Name, mustParse(t, Down, nil))
	start := time.Now()
	if err := get(url); !isReset(err) {
		t.Fatalf("while down: %v, want connection reset", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("while down: the request failed after %v, want at once", took)
	}
	state, err := tp.Lookup(context.Background(), p.Name)
	if err != nil || state.Enabled {
		t.Fatalf("while down: proxy %+v, %v; want disabled", state, err)
	}
	if err := revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := get(url); err != nil {
		t.Errorf("after revert: %v", err)
	}
}

func TestResetPeerResetsTheConnection(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "reset", tcpUpstream(t, echo))
	if _, err := roundTrip(dial(t, p.Listen, 5*time.Second)); err != nil {
		t.Fatalf("control: %v", err)
	}
	apply(t, tp, p.Name, mustParse(t, "reset_peer", map[string]string{"timeout": "0"}))
	_, err := roundTrip(dial(t, p.Listen, 5*time.Second))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("with reset_peer: %v, want connection reset by peer", err)
	}
}

// download reads everything addr sends and counts the reads.
func download(t *testing.T, addr string) (data []byte, reads int, took time.Duration) {
	t.Helper()
	// The clock starts before the dial: the proxy may accept, reach the
	// upstream and start a toxic's timer before the dial returns here.
	start := time.Now()
	c := dial(t, addr, 10*time.Second)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		data = append(data, buf[:n]...)
		if n > 0 {
			reads++
		}
		if err != nil {
			return data, reads, time.Since(start)
		}
	}
}

func TestBandwidthCapsThroughput(t *testing.T) {
	// Not parallel: it measures time.
	tp := embedded(t)
	payload := bytes.Repeat([]byte("x"), 100_000)
	p := proxyTo(t, tp, "bandwidth", tcpUpstream(t, send(payload)))
	_, _, fast := download(t, p.Listen)
	apply(t, tp, p.Name, mustParse(t, "bandwidth", map[string]string{"rate": "100KB/s"}))
	probe := latenessProbe(20 * time.Millisecond)
	data, _, took := download(t, p.Listen)
	lateness := probe()
	if len(data) != len(payload) {
		t.Fatalf("got %d bytes, want %d", len(data), len(payload))
	}
	rate := float64(len(data)) / took.Seconds()
	t.Logf("control %v; with rate=100KB/s %v: %.0f B/s (timers late by %v)", fast, took, rate, lateness)
	if rate > 120_000 {
		t.Errorf("throughput %.0f B/s above the 100000 B/s cap + 20%%", rate)
	}
	if rate < 80_000 {
		failTiming(t, lateness, "throughput %.0f B/s, want 100000 ± 20%%", rate)
	}
}

func TestLimitDataCutsTheStream(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	payload := bytes.Repeat([]byte("y"), 5000)
	p := proxyTo(t, tp, "limit", tcpUpstream(t, send(payload)))
	if data, _, _ := download(t, p.Listen); len(data) != 5000 {
		t.Fatalf("control: %d bytes, want 5000", len(data))
	}
	apply(t, tp, p.Name, mustParse(t, "limit_data", map[string]string{"bytes": "1KB"}))
	if data, _, _ := download(t, p.Listen); len(data) != 1000 {
		t.Errorf("with limit_data=1KB: %d bytes, want 1000", len(data))
	}
}

func TestSlicerSplitsData(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	payload := bytes.Repeat([]byte("z"), 5000)
	p := proxyTo(t, tp, "slicer", tcpUpstream(t, send(payload)))
	_, control, _ := download(t, p.Listen)
	apply(t, tp, p.Name, mustParse(t, "slicer", map[string]string{"average_size": "100", "size_variation": "10", "delay": "2ms"}))
	data, reads, took := download(t, p.Listen)
	t.Logf("control %d reads; sliced %d reads in %v", control, reads, took)
	if !bytes.Equal(data, payload) {
		t.Fatalf("sliced data differs: %d bytes", len(data))
	}
	if control > 5 || reads < 20 {
		t.Errorf("%d reads with slicer (control %d), want ≥ 20 (control ≤ 5)", reads, control)
	}
}

func TestSlowCloseDelaysTheClose(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "slowclose", tcpUpstream(t, send([]byte("bye"))))
	_, _, control := download(t, p.Listen)
	apply(t, tp, p.Name, mustParse(t, "slow_close", map[string]string{"delay": "300ms"}))
	data, _, took := download(t, p.Listen)
	t.Logf("close after %v (control %v)", took, control)
	if string(data) != "bye" {
		t.Fatalf("got %q, want bye", data)
	}
	if control > 100*time.Millisecond || took < 300*time.Millisecond {
		t.Errorf("closed after %v (control %v), want ≥ 300ms (control < 100ms)", took, control)
	}
}
