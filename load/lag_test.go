package load

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// A worker cap too small for the target's latency stalls the schedule, and
// the report says by how much; with the default cap the same target keeps up.
func TestReportsGeneratorFallingBehind(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStore(t, 100*time.Millisecond)
	plan := Plan{Flow: Flow{Steps: []Step{{Name: "get", URL: srv.URL + "/slow"}}}, Shape: Constant(100), Duration: 1500 * time.Millisecond}
	// 2 workers × 10 answers/s each = 20/s, against 100/s asked.
	capped, err := Run(context.Background(), plan, WithMaxWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	if capped.Lag < 500*time.Millisecond || capped.Sent > capped.Scheduled/2 {
		t.Fatalf("capped: lag %s, sent %d of %d", capped.Lag, capped.Sent, capped.Scheduled)
	}
	// Compared, not absolute: a busy CI machine adds its own lateness.
	rep, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent < 2*capped.Sent {
		t.Fatalf("uncapped: lag %s, sent %d of %d; capped: lag %s, sent %d", rep.Lag, rep.Sent, rep.Scheduled, capped.Lag, capped.Sent)
	}
}

func TestWorkerCapFollowsLittlesLawWithABrake(t *testing.T) {
	t.Parallel()
	e := &execution{r: &runner{maxWorkers: 5000}, plan: Plan{Shape: Constant(1000), Duration: time.Minute}}
	if got := e.workerCap(0, 0); got != MinWorkers {
		t.Errorf("first segment: %d workers, want %d", got, MinWorkers)
	}
	e.p99.Store(int64(800 * time.Millisecond)) // Little: 1000 × 0.8 × 4 = 3200
	e.peak0.Store(10)
	if got := e.workerCap(64, 0); got != 64 {
		t.Errorf("slow but unsaturated: %d workers, want to stay at 64", got)
	}
	e.peak0.Store(60)
	if got := e.workerCap(64, 0); got != 128 {
		t.Errorf("saturated: %d workers, want 64 doubled", got)
	}
	e.peak0.Store(1600)
	if got := e.workerCap(2000, 0); got != 3200 {
		t.Errorf("saturated near Little's bound: %d workers, want 3200", got)
	}
	e.peak0.Store(1 << 40)
	e.p99.Store(int64(30 * time.Second))
	if got := e.workerCap(4000, 0); got != 5000 {
		t.Errorf("hung target: %d workers, want the bound 5000", got)
	}
	e.p99.Store(int64(2 * time.Millisecond))
	if got := e.workerCap(4000, 0); got != MinWorkers {
		t.Errorf("fast again: %d workers, want back to %d", got, MinWorkers)
	}
}

// Iterations still in flight after the drain are cut off, requests and all,
// and reported unfinished: a hung step cannot hold a run past its bounds.
func TestDrainCutsOffHungIterations(t *testing.T) {
	t.Parallel()
	_, fast := newFakeStore(t, 0)
	_, hung := newFakeStore(t, 3*time.Second)
	flow := Flow{Steps: []Step{
		{Name: "create", Method: "POST", URL: fast.URL + "/orders", Body: `{"a":1}`, Capture: map[string]string{"id": "$.id"}},
		{Name: "get", URL: hung.URL + "/orders/${id}"},
	}}
	start := time.Now()
	rep, err := Run(context.Background(), Plan{Flow: flow, Shape: Constant(20), Duration: 500 * time.Millisecond}, WithDrain(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Fatalf("run took %s with a 300ms drain", el)
	}
	if rep.Aborted != "iterations still in flight 300ms after the schedule ended" || rep.Flow.Success != 0 || rep.Flow.Requests != rep.Sent {
		t.Fatalf("aborted %q, flow %+v, sent %d", rep.Aborted, rep.Flow, rep.Sent)
	}
}

// TestCollectorBacklogIsNotInFlight: results waiting for a stalled
// collector (here a progress callback that takes 700 ms a second) are not
// requests in flight. Counted as such, they passed for a saturated pool,
// which doubled the workers every second and let them send in bursts.
// Every segment's peak in flight stays within what its pool (and the
// previous segment's, finishing) can hold.
func TestCollectorBacklogIsNotInFlight(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStore(t, 5*time.Millisecond)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rep, err := Run(context.Background(), Plan{Flow: Flow{Steps: []Step{{Name: "get", URL: srv.URL + "/x"}}},
		Shape: Constant(500), Duration: 3500 * time.Millisecond},
		WithLogger(logger), WithProgress(func(Progress) { time.Sleep(700 * time.Millisecond) }))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var segments int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Msg     string
			Workers int64
			Peak    int64 `json:"peak_in_flight"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg != "load: worker pool" {
			continue
		}
		segments++
		if rec.Peak > 2*rec.Workers {
			t.Errorf("a segment of %d workers saw %d in flight: the collector's backlog counts as requests in flight\n%s", rec.Workers, rec.Peak, line)
		}
	}
	if segments < 2 || rep.Sent == 0 {
		t.Fatalf("%d segments logged, %d sent:\n%s", segments, rep.Sent, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
