package load

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestChainedFlowFindsEveryRecord(t *testing.T) {
	t.Parallel()
	store, srv := newFakeStore(t, 0)
	flow := Flow{Name: "order", Steps: []Step{
		{Name: "create", Method: "POST", URL: srv.URL + "/orders",
			Body:    map[string]any{"ref": "${uuid}", "n": "${seq}"},
			Expect:  201,
			Capture: map[string]string{"id": "$.id", "loc": "header:Location"}},
		{Name: "get", URL: srv.URL + "/orders/${id}", Expect: 200},
		{Name: "get-by-location", URL: srv.URL + "${loc}", Expect: 200},
	}}
	var out bytes.Buffer
	rep, err := Run(context.Background(), Plan{Flow: flow, Shape: Constant(100), Duration: 2 * time.Second},
		WithResults(&out), WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	// The machine may be busy (race detector, parallel tests): the schedule
	// may lose hits at its end, but every iteration sent must complete.
	n := rep.Sent
	if n < 20 || rep.Flow.Requests != n {
		t.Fatalf("sent %d iterations (want ≥ 20 of 200), flow saw %d", n, rep.Flow.Requests)
	}
	if rep.Flow.Errors != 0 || store.misses.Load() != 0 {
		t.Fatalf("flow errors %d %v, misses %d", rep.Flow.Errors, rep.Flow.ErrorTexts, store.misses.Load())
	}
	if uint64(store.len()) != n || store.gets.Load() != 2*n {
		t.Fatalf("store has %d records and saw %d gets, want %d and %d", store.len(), store.gets.Load(), n, 2*n)
	}
	for _, name := range []string{"create", "get", "get-by-location"} {
		s, ok := rep.Step(name)
		if !ok || s.Requests != n || s.Success != 1 {
			t.Errorf("step %s: %+v", name, s)
		}
	}
	// The time series counts every request once, second by second.
	var total, perStep uint64
	for i, b := range rep.Series {
		total += b.Requests
		if b.Successes+b.Errors != b.Requests || b.P99 < b.P50 || (i > 0 && b.Second <= rep.Series[i-1].Second) {
			t.Fatalf("bucket %+v", b)
		}
	}
	for _, s := range rep.Steps {
		for _, b := range s.Series {
			perStep += b.Requests
		}
	}
	if total != 3*n || perStep != 3*n || len(rep.Series) < 2 || rep.Series[0].Second != 0 {
		t.Fatalf("series hold %d and %d requests over %d seconds, want %d", total, perStep, len(rep.Series), 3*n)
	}
	// The file holds every step result, tagged with its step and iteration,
	// readable by vegeta's own decoder.
	dec := vegeta.NewDecoder(&out)
	per := map[string]int{}
	seqs := map[uint64]int{}
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		per[r.Attack]++
		seqs[r.Seq]++
		if strings.Contains(r.URL, "#") || r.Body != nil {
			t.Fatalf("result keeps its marker or body: %+v", r)
		}
	}
	if len(seqs) != int(n) || per["create"] != int(n) || per["get"] != int(n) {
		t.Fatalf("file: %d iterations, per step %v", len(seqs), per)
	}
}

func TestChainStopsAtFailedStep(t *testing.T) {
	t.Parallel()
	store, srv := newFakeStore(t, 0)
	flow := Flow{Name: "order", Steps: []Step{
		// The fake answers 201: expecting 200 fails every create.
		{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: `{"a":1}`, Expect: 200,
			Capture: map[string]string{"id": "$.id"}},
		{Name: "get", URL: srv.URL + "/orders/${id}"},
	}}
	rep, err := Run(context.Background(), Plan{Flow: flow, Shape: Constant(50), Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Flow.Requests == 0 || rep.Flow.Success != 0 || store.gets.Load() != 0 {
		t.Fatalf("flow %+v, gets %d", rep.Flow, store.gets.Load())
	}
	if got := rep.Flow.ErrorTexts; len(got) != 1 || got[0] != "create: status 201, want 200" {
		t.Fatalf("errors %q", got)
	}
	if _, ok := rep.Step("get"); !ok {
		t.Fatal("report lacks the get step")
	}
}

func TestCaptureFailureFailsIteration(t *testing.T) {
	t.Parallel()
	store, srv := newFakeStore(t, 0)
	flow := Flow{Steps: []Step{
		{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: `{"a":1}`,
			Capture: map[string]string{"id": "$.missing"}},
		{Name: "get", URL: srv.URL + "/orders/${id}"},
	}}
	rep, err := Run(context.Background(), Plan{Flow: flow, Shape: Constant(50), Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := rep.Step("create")
	if c.Errors == 0 || c.Errors != c.Requests || store.gets.Load() != 0 {
		t.Fatalf("create %+v, gets %d", c, store.gets.Load())
	}
	if !strings.Contains(c.ErrorTexts[0], `no field "missing"`) {
		t.Fatalf("error %q", c.ErrorTexts[0])
	}
}

func TestInterruptStillWritesResults(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStore(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	rep, err := Run(ctx, Plan{Flow: Flow{Steps: []Step{{Name: "get", URL: srv.URL}}},
		Shape: Constant(100), Duration: time.Minute}, WithResults(&out))
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %s to stop", el)
	}
	if !rep.Interrupted || rep.Aborted != "interrupted" || rep.Steps[0].Requests == 0 {
		t.Fatalf("report %+v", rep)
	}
	n := 0
	dec := vegeta.NewDecoder(&out)
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	if uint64(n) != rep.Steps[0].Requests {
		t.Fatalf("file has %d results, report %d", n, rep.Steps[0].Requests)
	}
}

func TestRunRefusesBadPlans(t *testing.T) {
	t.Parallel()
	ok := Flow{Steps: []Step{{Name: "get", URL: "http://127.0.0.1:1/"}}}
	for name, tc := range map[string]struct {
		plan Plan
		want string
	}{
		"no shape":      {Plan{Flow: ok, Duration: time.Second}, "no shape"},
		"too long":      {Plan{Flow: ok, Shape: Constant(1), Duration: MaxDuration + time.Second}, "must be in"},
		"no steps":      {Plan{Shape: Constant(1), Duration: time.Second}, "no steps"},
		"huge rate":     {Plan{Flow: ok, Shape: Constant(2e9), Duration: time.Second}, "rate 2e+09/s at 0s is outside"},
		"nan rate":      {Plan{Flow: ok, Shape: Constant(math.NaN()), Duration: time.Second}, "rate NaN/s"},
		"remote":        {Plan{Flow: Flow{Steps: []Step{{Name: "x", URL: "http://192.0.2.1/"}}}, Shape: Constant(1), Duration: time.Second}, "not a loopback"},
		"unknown var":   {Plan{Flow: Flow{Steps: []Step{{Name: "x", URL: "http://127.0.0.1/${id}"}}}, Shape: Constant(1), Duration: time.Second}, "${id} is neither"},
		"bad threshold": {Plan{Flow: ok, Shape: Constant(1), Duration: time.Second, Thresholds: []Threshold{{Source: "step:nope p99 < 1s", Step: "nope"}}}, `no step "nope"`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(context.Background(), tc.plan)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRedirectsOffTheBoxAreRefused(t *testing.T) {
	t.Parallel()
	_, ok := newFakeStore(t, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "http://192.0.2.1/elsewhere"
		if r.URL.Path == "/local" {
			to = ok.URL + "/health"
		}
		http.Redirect(w, r, to, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	rep, err := Run(context.Background(), Plan{Flow: Flow{Steps: []Step{
		{Name: "away", URL: srv.URL + "/away"},
	}}, Shape: Constant(20), Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Steps[0]
	if s.Requests == 0 || s.Errors != s.Requests || !strings.Contains(s.ErrorTexts[0], "target refused: 192.0.2.1") {
		t.Fatalf("redirect off the box: %+v", s)
	}
	// Negative control: a redirect to another loopback server is followed.
	rep, err = Run(context.Background(), Plan{Flow: Flow{Steps: []Step{
		{Name: "local", URL: srv.URL + "/local", Expect: 200},
	}}, Shape: Constant(20), Duration: 300 * time.Millisecond})
	if err != nil || rep.Steps[0].Requests == 0 || rep.Steps[0].Success != 1 {
		t.Fatalf("loopback redirect: %v %+v", err, rep.Steps[0])
	}
}
