//go:build !race

package load_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill/load"
)

// TestSlowTargetGetsItsRate: a target that takes 50 ms per answer, at
// 2,000/s, needs about 100 requests in flight, more than the first
// segment's pool: the sizing must grow the pool so the whole schedule is
// sent, within 1% of the rate and of the count, and the generator is never
// far behind for long. Like TestRateAccuracy it needs a generator at full
// speed (no race detector), and plain vegeta is the control when it fails.
func TestSlowTargetGetsItsRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	const rate = 2000
	d := 5 * time.Second
	rep, err := load.Run(context.Background(), load.Plan{
		Flow:  load.Flow{Steps: []load.Step{{Name: "slow", URL: srv.URL, Expect: 200}}},
		Shape: load.Constant(rate), Duration: d,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Steps[0]
	want := rate * d.Seconds()
	t.Logf("achieved %.1f/s, %d of %.0f requests, success %.4f, p50 %s, p99 %s, generator lag %s",
		s.Rate, s.Requests, want, s.Success, s.P50, s.P99, rep.Lag)
	if math.Abs(s.Rate-rate)/rate > 0.01 || math.Abs(float64(s.Requests)-want)/want > 0.01 {
		if _, plain := plainVegeta(srv.URL, rate, d); math.Abs(plain-rate)/rate > 0.01 {
			t.Skipf("achieved %.1f/s, but plain Vegeta managed only %.1f/s on this machine at this moment", s.Rate, plain)
		}
		t.Errorf("achieved %.1f/s with %d requests against a 50ms target: off by more than 1%%, while plain Vegeta holds the rate", s.Rate, s.Requests)
	}
	if s.Success < 0.99 {
		t.Errorf("success %.4f %v", s.Success, s.ErrorTexts)
	}
}
