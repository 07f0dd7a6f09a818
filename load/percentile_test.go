package load

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestPercentilesAreExactOnALongTail feeds a long-tailed run (most answers
// near 10 ms, 1% near half a second, 0.1% of several seconds) into a
// step's measures and compares their percentiles with the exact ones of
// the sorted latencies: the HDR histogram holds them to its 3 significant
// digits, where a sketch drifts by tens of percent in the tail.
func TestPercentilesAreExactOnALongTail(t *testing.T) {
	t.Parallel()
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 7))
		start := time.Unix(1_700_000_000, 0)
		a := newAgg("step", start)
		lat := make([]time.Duration, 0, 100_000)
		for i := range 100_000 {
			var d time.Duration
			switch p := rng.Float64(); {
			case p < 0.001:
				d = 2*time.Second + time.Duration(rng.Int64N(int64(3*time.Second)))
			case p < 0.011:
				d = 200*time.Millisecond + time.Duration(rng.Int64N(int64(400*time.Millisecond)))
			default:
				d = 5*time.Millisecond + time.Duration(rng.ExpFloat64()*float64(3*time.Millisecond))
			}
			lat = append(lat, d)
			a.add(&vegeta.Result{Attack: "step", Code: 200, Timestamp: start.Add(time.Duration(i) * 100 * time.Microsecond), Latency: d})
		}
		slices.Sort(lat)
		s := a.stats()
		for _, c := range []struct {
			name string
			q    float64
			got  time.Duration
		}{{"p50", 0.50, s.P50}, {"p90", 0.90, s.P90}, {"p99", 0.99, s.P99}, {"p99.9", 0.999, s.P999}} {
			exact := quantile(lat, c.q)
			if off := float64(c.got-exact) / float64(exact); off < -0.002 || off > 0.002 {
				t.Errorf("seed %d: %s %v, exact %v: off by %.2f%%", seed, c.name, c.got, exact, off*100)
			}
		}
		if s.Max != lat[len(lat)-1] {
			t.Errorf("seed %d: max %v, want %v", seed, s.Max, lat[len(lat)-1])
		}
	}
}

// TestRequestStepAndIterationLatencyDiffer runs a two-step flow whose
// second step waits 60 ms: a request's p99 is the slower step's, a step's
// its own, and an iteration's both together. Each threshold reads the one
// its prefix names.
func TestRequestStepAndIterationLatencyDiffer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(60 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	ths, err := ParseThresholds("p99 < 1h", `step "fast one" p99 < 1h`, "step:slow p50 < 1h", "iteration p99 < 1h", "iteration requests >= 20", "requests >= 40")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Plan{
		Flow:  Flow{Steps: []Step{{Name: "fast one", URL: srv.URL + "/fast"}, {Name: "slow", URL: srv.URL + "/slow"}}},
		Shape: Constant(25), Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests.Requests != 2*rep.Flow.Requests {
		t.Fatalf("%d requests for %d iterations of two steps", rep.Requests.Requests, rep.Flow.Requests)
	}
	// An iteration holds both steps: it is never faster than its slow one,
	// and a request (half of them fast) is faster than an iteration.
	slow, _ := rep.Step("slow")
	if rep.Flow.P50 < slow.P50 || slow.P50 < 60*time.Millisecond || rep.Requests.P50 >= rep.Flow.P50 {
		t.Errorf("iteration p50 %v, slow step p50 %v, request p50 %v: an iteration holds both steps", rep.Flow.P50, slow.P50, rep.Requests.P50)
	}
	fast, _ := rep.Step("fast one")
	verdicts, pass := CheckAll(rep, ths)
	if !pass {
		t.Fatalf("thresholds failed: %+v", verdicts)
	}
	th := ths[0]
	for i, want := range []string{th.format(rep.Requests.P99.Seconds()), th.format(fast.P99.Seconds()), th.format(slow.P50.Seconds()),
		th.format(rep.Flow.P99.Seconds()), "25", "50"} {
		if verdicts[i].Measured != want {
			t.Errorf("%s measured %s, want %s: it read another measure", verdicts[i].Threshold, verdicts[i].Measured, want)
		}
	}
}

// TestPercentilesNeverPassTheMax: the histogram answers the top of the
// bucket a latency fell in, which can lie above the longest latency
// measured; a percentile over the max reads as nonsense in a report.
func TestPercentilesNeverPassTheMax(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 0)
	a := newAgg("step", start)
	for i, d := range []time.Duration{877 * time.Microsecond, 301002035, 302437907} {
		a.add(&vegeta.Result{Attack: "step", Code: 200, Timestamp: start.Add(time.Duration(i) * time.Millisecond), Latency: d})
	}
	s := a.stats()
	for name, p := range map[string]time.Duration{"p50": s.P50, "p90": s.P90, "p95": s.P95, "p99": s.P99, "p99.9": s.P999} {
		if p > s.Max {
			t.Errorf("%s %v is over the max %v", name, p, s.Max)
		}
	}
	if s.P99 != s.Max {
		t.Errorf("p99 of three latencies %v, want the max %v", s.P99, s.Max)
	}
}
