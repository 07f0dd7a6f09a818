package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/firedrill/firedrill/load"
)

// latencyTime is the length of each attack in BenchmarkOwnLatency.
const latencyTime = 3 * time.Second

// attackStats is what one attack measured: its p99 and achieved rate, and
// the allocations of the whole process (generator and target) per request.
type attackStats struct {
	p99     time.Duration
	rate    float64
	mallocs float64
}

// plainVegetaDefaults attacks url at rate for d with vegeta and all its
// defaults (10 workers growing without bound, its own client).
func plainVegetaDefaults(url string, rate float64, d time.Duration) attackStats {
	atk := vegeta.NewAttacker()
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	pacer := vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	var m vegeta.Metrics
	for res := range atk.Attack(tr, pacer, d, "plain") {
		m.Add(res)
	}
	m.Close()
	return attackStats{p99: m.Latencies.P99, rate: m.Rate}
}

// loadPath attacks url at rate for d through load.Run with its defaults,
// as `firedrill load` does.
func loadPath(url string, rate float64, d time.Duration) attackStats {
	rep, err := load.Run(context.Background(), load.Plan{
		Flow: load.Flow{Steps: []load.Step{{Name: "get", URL: url}}}, Shape: load.Constant(rate), Duration: d})
	if err != nil {
		panic(err)
	}
	return attackStats{p99: rep.Steps[0].P99, rate: rep.Steps[0].Rate}
}

func attackFreshAt(attack func(string, float64, time.Duration) attackStats, rate float64) attackStats {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := attack(srv.URL, rate, latencyTime)
	runtime.ReadMemStats(&after)
	s.mallocs = float64(after.Mallocs-before.Mallocs) / (s.rate * latencyTime.Seconds())
	return s
}

// BenchmarkOwnLatency measures the generator's own share of the p99 it
// reports: a trivial loopback target attacked by plain vegeta (its
// defaults) and by load's path, alternately, three times each in the same
// run. It reports the median p99 of each, load/vegeta (the goal is at most
// 1.2 at 10,000/s) and the median achieved rates: a comparison holds only
// where both achieved the rate. load/vegeta-allocs compares the
// allocations per request of the whole process (the target's are the same
// in both), a figure the machine's load does not move. 2,000/s is a rate a busy 2-core machine
// still holds with generator and target on it.
//
//	go test -run '^$' -bench OwnLatency -benchtime 1x -count 3 ./load
func BenchmarkOwnLatency(b *testing.B) {
	for _, rate := range []float64{10000, 2000} {
		b.Run(fmt.Sprintf("rate=%.0f", rate), func(b *testing.B) { ownLatency(b, rate) })
	}
}

func ownLatency(b *testing.B, rate float64) {
	for range b.N {
		var vp, lp []time.Duration
		var vr, lr, vm, lm []float64
		for i := range 3 {
			v := attackFreshAt(plainVegetaDefaults, rate)
			l := attackFreshAt(loadPath, rate)
			b.Logf("round %d: vegeta p99 %s at %.1f/s (%.0f allocs/req), load p99 %s at %.1f/s (%.0f allocs/req)",
				i, v.p99, v.rate, v.mallocs, l.p99, l.rate, l.mallocs)
			vp, lp = append(vp, v.p99), append(lp, l.p99)
			vr, lr = append(vr, v.rate), append(lr, l.rate)
			vm, lm = append(vm, v.mallocs), append(lm, l.mallocs)
		}
		slices.Sort(vp)
		slices.Sort(lp)
		slices.Sort(vr)
		slices.Sort(lr)
		slices.Sort(vm)
		slices.Sort(lm)
		b.ReportMetric(float64(vp[1])/1e6, "vegeta-p99-ms")
		b.ReportMetric(float64(lp[1])/1e6, "load-p99-ms")
		b.ReportMetric(float64(lp[1])/float64(vp[1]), "load/vegeta-p99")
		b.ReportMetric(vr[1], "vegeta-req/s")
		b.ReportMetric(lr[1], "load-req/s")
		b.ReportMetric(lm[1]/vm[1], "load/vegeta-allocs")
	}
}
