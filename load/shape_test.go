package load

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// simulate runs a pacer on a virtual clock, as vegeta would with a target
// that answers at once, and returns how many hits it sent by d.
func simulate(s Shape, d time.Duration) (hits uint64, times []time.Duration) {
	var t time.Duration
	for {
		wait, stop := s.Pace(t, hits)
		if stop || t+wait > d {
			return hits, times
		}
		t += wait
		times = append(times, t)
		hits++
	}
}

func TestShapesFollowTheirSchedule(t *testing.T) {
	t.Parallel()
	stages, err := Stages(Stage{10 * time.Second, 100}, Stage{10 * time.Second, 100}, Stage{5 * time.Second, 20})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		s    Shape
		d    time.Duration
		want float64
	}{
		"constant":     {Constant(120), 10 * time.Second, 1200},
		"fractional":   {Constant(0.5), 10 * time.Second, 5},
		"ramp":         {Ramp(100, 10*time.Second, 20*time.Second), 20 * time.Second, 500 + 1000},
		"stages":       {stages, 25 * time.Second, 500 + 1000 + 300},
		"sine":         {Sine(100, 50, 10*time.Second), 10 * time.Second, 1000},
		"sine quarter": {Sine(100, 50, 8*time.Second), 2 * time.Second, 200 + 50*8/(2*math.Pi)},
	} {
		hits, times := simulate(tc.s, tc.d)
		if math.Abs(float64(hits)-tc.want) > 1 || math.Abs(tc.s.Hits(tc.d)-tc.want) > 1 {
			t.Errorf("%s: sent %d, Hits says %.1f, want %.1f", name, hits, tc.s.Hits(tc.d), tc.want)
		}
		for i := 1; i < len(times); i++ {
			if times[i] < times[i-1] {
				t.Fatalf("%s: hit %d at %s before hit %d at %s", name, i, times[i], i-1, times[i-1])
			}
		}
	}
	// The ramp really ramps: the first second gets far fewer hits than the last.
	_, times := simulate(Ramp(100, 10*time.Second, 10*time.Second), 10*time.Second)
	first := 0
	for _, at := range times {
		if at < time.Second {
			first++
		}
	}
	if first > 10 || len(times) < 495 {
		t.Errorf("ramp: %d hits in the first second, %d in all", first, len(times))
	}
	if got := Target(40, 0); got != 120 {
		t.Errorf("Target(40, default) = %g", got)
	}
	if _, err := Stages(Stage{0, 1}); err == nil {
		t.Error("zero-length stage accepted")
	}
	if _, err := Stages(Stage{time.Second, math.Inf(1)}); err == nil {
		t.Error("infinite rate accepted")
	}
}

func TestCheckTargetAdmitsOnlyLoopbackOrAllowed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, ok := range []string{"http://127.0.0.1:8080/x", "http://[::1]/", "https://127.0.0.2/"} {
		if err := CheckTarget(ctx, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for u, want := range map[string]string{
		"http://192.0.2.7/":      "192.0.2.7 is not a loopback address",
		"ftp://127.0.0.1/":       "scheme must be http or https",
		"http:///x":              "no host",
		"http://10.0.0.1:80/api": "not on the allow-list",
	} {
		err := CheckTarget(ctx, u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", u, err, want)
		}
	}
	if err := CheckTarget(ctx, "http://10.0.0.1/", "10.0.0.1"); err != nil {
		t.Errorf("allow-listed address refused: %v", err)
	}
	// Names are resolved: one that resolves off the box is refused, one that
	// resolves to loopback is admitted.
	g := newGuard()
	g.lookup = func(_ context.Context, host string) ([]net.IPAddr, error) {
		switch host {
		case "local.test":
			return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
		case "vendor.test":
			return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}, {IP: net.IPv4(203, 0, 113, 5)}}, nil
		}
		return nil, errors.New("no such host")
	}
	if err := g.check(ctx, "http://local.test/"); err != nil {
		t.Errorf("local.test: %v", err)
	}
	if err := g.check(ctx, "http://vendor.test/"); !errors.Is(err, ErrRefusedTarget) || !strings.Contains(err.Error(), "203.0.113.5") {
		t.Errorf("vendor.test: %v", err)
	}
	if err := g.check(ctx, "http://nowhere.test/"); !errors.Is(err, ErrRefusedTarget) {
		t.Errorf("nowhere.test: %v", err)
	}
	g.allow("Vendor.test")
	g.seen = map[string]error{}
	if err := g.check(ctx, "http://vendor.test/"); err != nil {
		t.Errorf("allow-listed vendor.test: %v", err)
	}
}

func TestMergeShards(t *testing.T) {
	t.Parallel()
	store, srv := newFakeStore(t, 0)
	flow := Flow{Steps: []Step{
		{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: `{"a":1}`, Capture: map[string]string{"id": "$.id"}},
		{Name: "get", URL: srv.URL + "/orders/${id}"},
	}}
	dir := t.TempDir()
	var files []string
	var sent uint64
	for i := range 2 {
		name := filepath.Join(dir, "shard"+string(rune('a'+i))+".bin")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), Plan{Flow: flow, Shape: Constant(40), Duration: time.Second}, WithResults(f))
		if err != nil || rep.WriteErr != nil {
			t.Fatal(err, rep.WriteErr)
		}
		f.Close()
		sent += rep.Sent
		files = append(files, name)
	}
	m, err := Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := m.Step("create")
	g, _ := m.Step("get")
	// Both shards number iterations from 1: merging must keep them apart.
	if m.Flow.Requests != sent || c.Requests != sent || g.Requests != sent || uint64(store.len()) != sent {
		t.Fatalf("merged %d iterations, create %d, get %d; sent %d, stored %d", m.Flow.Requests, c.Requests, g.Requests, sent, store.len())
	}
	if m.Flow.Success != 1 || len(m.Series) == 0 {
		t.Fatalf("merged flow %+v", m.Flow)
	}
	bad := filepath.Join(dir, "bad.bin")
	os.WriteFile(bad, []byte("not results"), 0o600)
	if _, err := Merge(bad); err == nil || !strings.Contains(err.Error(), "bad.bin: not a vegeta results file") {
		t.Fatalf("bad file: %v", err)
	}
}

func TestDialerConnectsOnlyToLoopbackOrAllowed(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	g := newGuard()
	dial := g.dialer()
	ctx := context.Background()
	c, err := dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	c.Close()
	// 192.0.2.0/24 is TEST-NET-1: the strict dialer refuses before any packet.
	if _, err := dial(ctx, "tcp", "192.0.2.1:80"); !errors.Is(err, ErrRefusedTarget) {
		t.Fatalf("off-box dial: %v", err)
	}
	g.allow("192.0.2.1")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := dial(short, "tcp", "192.0.2.1:80"); errors.Is(err, ErrRefusedTarget) {
		t.Fatalf("allow-listed dial was refused by the guard: %v", err)
	}
}

// Shapes drive real runs through the segmented first step: the requests
// sent match what the shape schedules.
func TestShapesDriveRuns(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStore(t, 0)
	stages, _ := Stages(Stage{time.Second, 60}, Stage{time.Second, 60})
	for name, s := range map[string]Shape{
		"ramp":   Ramp(60, time.Second, 2*time.Second),
		"stages": stages,
		"sine":   Sine(40, 20, 2*time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := Run(context.Background(), Plan{Flow: Flow{Steps: []Step{{Name: "get", URL: srv.URL + "/x"}}},
				Shape: s, Duration: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			want := s.Hits(2 * time.Second)
			if got := float64(rep.Steps[0].Requests); got < want*0.9 || got > want+1 || math.Abs(float64(rep.Scheduled)-want) > 1 {
				t.Fatalf("sent %g, scheduled %d, shape says %.1f", got, rep.Scheduled, want)
			}
			// The first second of a ramp gets a quarter of its hits, not half.
			if name == "ramp" && len(rep.Series) > 1 && rep.Series[0].Requests > 40 {
				t.Fatalf("ramp: %d requests in the first second of 90", rep.Series[0].Requests)
			}
		})
	}
}
