//go:build !race

package load_test

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/firedrill/firedrill/load"
)

// TestRateAccuracy is the pacing proof: against a firedrill mock on
// loopback, for 10 s each, the achieved rate is within 1% of the target at
// 500, 2,000 and 5,000 requests per second. The race detector slows the
// generator by an order of magnitude, hence the build tag; `make test` runs
// it separately:
//
//	go test -count=1 -run TestRateAccuracy ./load
//
// FIREDRILL_RATE_SECONDS shortens each leg for a quick local check.
func TestRateAccuracy(t *testing.T) {
	_, srv := newOrdersMock(t)
	d := 10 * time.Second
	if s := os.Getenv("FIREDRILL_RATE_SECONDS"); s != "" {
		if v, err := time.ParseDuration(s + "s"); err == nil {
			d = v
		}
	}
	for _, rate := range []float64{500, 2000, 5000} {
		rep, err := load.Run(context.Background(), load.Plan{
			Flow:  load.Flow{Steps: []load.Step{{Name: "health", URL: srv.URL + "/health", Expect: 200}}},
			Shape: load.Constant(rate), Duration: d,
		})
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Steps[0]
		want := rate * d.Seconds()
		t.Logf("%5.0f/s: achieved %.1f/s, %d of %.0f requests, success %.4f, p99 %s, generator lag %s",
			rate, s.Rate, s.Requests, want, s.Success, s.P99, rep.Lag)
		if math.Abs(s.Rate-rate)/rate > 0.01 || math.Abs(float64(s.Requests)-want)/want > 0.01 {
			// The control, in the same run: can plain Vegeta hold this
			// rate on this machine right now? If it cannot either, the
			// machine is busy (other builds, other tests) and the leg
			// proves nothing either way.
			if _, plain := plainVegeta(srv.URL+"/health", rate, d); math.Abs(plain-rate)/rate > 0.01 {
				t.Skipf("%.0f/s: achieved %.1f/s, but plain Vegeta managed only %.1f/s on this machine at this moment: the machine is the limit, not the flow layer", rate, s.Rate, plain)
			}
			t.Errorf("%.0f/s: achieved %.1f/s with %d requests: off by more than 1%%, while plain Vegeta holds the rate", rate, s.Rate, s.Requests)
		}
		if s.Success < 0.99 {
			t.Errorf("%.0f/s: success %.4f %v", rate, s.Success, s.ErrorTexts)
		}
	}
}
