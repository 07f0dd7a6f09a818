package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/firedrill/firedrill/load"
)

// latencyRate and latencyTime are the rate and length of each attack in
// BenchmarkOwnLatency.
const (
	latencyRate = 10000
	latencyTime = 3 * time.Second
)

// attackStats is what one attack measured: its p99 and achieved rate.
type attackStats struct {
	p99  time.Duration
	rate float64
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

func attackFresh(attack func(string, float64, time.Duration) attackStats) attackStats {
	return attackFreshAt(attack, latencyRate)
}

func attackFreshAt(attack func(string, float64, time.Duration) attackStats, rate float64) attackStats {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	return attack(srv.URL, rate, latencyTime)
}

// BenchmarkOwnLatency measures the generator's own share of the p99 it
// reports: a trivial loopback target attacked at 10,000/s by plain vegeta
// (its defaults) and by load's path, alternately, three times each in the
// same run. It reports the median p99 of each, load/vegeta (the goal is at
// most 1.2) and the median achieved rates.
//
//	go test -run '^$' -bench OwnLatency -benchtime 1x -count 3 ./load
func BenchmarkOwnLatency(b *testing.B) {
	for range b.N {
		var vp, lp []time.Duration
		var vr, lr []float64
		for i := range 3 {
			v := attackFresh(plainVegetaDefaults)
			l := attackFresh(loadPath)
			b.Logf("round %d: vegeta p99 %s at %.1f/s, load p99 %s at %.1f/s", i, v.p99, v.rate, l.p99, l.rate)
			vp, lp = append(vp, v.p99), append(lp, l.p99)
			vr, lr = append(vr, v.rate), append(lr, l.rate)
		}
		slices.Sort(vp)
		slices.Sort(lp)
		slices.Sort(vr)
		slices.Sort(lr)
		b.ReportMetric(float64(vp[1])/1e6, "vegeta-p99-ms")
		b.ReportMetric(float64(lp[1])/1e6, "load-p99-ms")
		b.ReportMetric(float64(lp[1])/float64(vp[1]), "load/vegeta-p99")
		b.ReportMetric(vr[1], "vegeta-req/s")
		b.ReportMetric(lr[1], "load-req/s")
	}
}
