package load_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/firedrill/firedrill/load"
)

// probeTime is how long each rate is held in the benchmarks.
const probeTime = 3 * time.Second

// plainVegeta attacks url at rate for d with vegeta alone, its pool capped
// like load's, and returns the requests sent and vegeta's measured rate.
func plainVegeta(url string, rate float64, d time.Duration) (uint64, float64) {
	atk := vegeta.NewAttacker(vegeta.MaxWorkers(load.DefaultMaxWorkers), vegeta.Workers(vegeta.DefaultWorkers))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	pacer := vegeta.ConstantPacer{Freq: 1, Per: time.Duration(float64(time.Second) / rate)}
	var m vegeta.Metrics
	for res := range atk.Attack(tr, pacer, d, "plain") {
		m.Add(res)
	}
	m.Close()
	return m.Requests, m.Rate
}

func flowLayer(url string, rate float64, d time.Duration) (uint64, float64) {
	rep, err := load.Run(context.Background(), load.Plan{
		Flow: load.Flow{Steps: []load.Step{{Name: "get", URL: url}}}, Shape: load.Constant(rate), Duration: d})
	if err != nil {
		panic(err)
	}
	return rep.Steps[0].Requests, rep.Steps[0].Rate
}

// probe holds rate for probeTime against a fresh target and returns the
// pacing error in percent: the worse of the achieved rate's and the request
// count's distance from the schedule.
func probe(b *testing.B, name string, attack func(string, float64, time.Duration) (uint64, float64), rate float64) float64 {
	// A fresh target per probe: nothing left over from the one before.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	n, got := attack(srv.URL, rate, probeTime)
	want := rate * probeTime.Seconds()
	errPct := 100 * math.Max(math.Abs(got-rate)/rate, math.Abs(float64(n)-want)/want)
	b.Logf("%-6s %6.0f/s: %7.1f/s achieved, %d requests, pacing error %.2f%%", name, rate, got, n, errPct)
	return errPct
}

// BenchmarkSustainedRate finds the highest rate this machine sustains with
// pacing error under 1%, generator and target on the same box, for a plain
// vegeta attack and for load's flow layer on the same target, rung by rung
// in the same run (so both see the same machine); flow/vegeta is the ratio
// (the flow layer must keep it ≥ 0.9). Each probe lasts probeTime and the
// ladder stops at the first rung both miss.
//
//	go test -run '^$' -bench SustainedRate -benchtime 1x ./load
func BenchmarkSustainedRate(b *testing.B) {
	for range b.N {
		var plain, flow float64
		for _, rate := range []float64{1000, 2000, 4000, 6000, 8000, 12000, 16000, 24000, 32000} {
			okPlain := probe(b, "vegeta", plainVegeta, rate) < 1
			okFlow := probe(b, "load", flowLayer, rate) < 1
			if okPlain {
				plain = rate
			}
			if okFlow {
				flow = rate
			}
			if !okPlain && !okFlow {
				break
			}
		}
		b.ReportMetric(plain, "vegeta-req/s")
		b.ReportMetric(flow, "load-req/s")
		if plain > 0 {
			b.ReportMetric(flow/plain, "flow/vegeta")
		}
		// The ladder's rungs are coarse and one probe is noisy: also push both
		// past what the machine holds, interleaved, and compare the medians of
		// what they achieved.
		var ps, fs []float64
		for range 3 {
			_, p := saturate(plainVegeta)
			_, f := saturate(flowLayer)
			ps, fs = append(ps, p), append(fs, f)
		}
		slices.Sort(ps)
		slices.Sort(fs)
		b.Logf("at saturation (%d/s asked): vegeta %v, load %v", saturationRate, ps, fs)
		b.ReportMetric(fs[1]/ps[1], "flow/vegeta-at-saturation")
	}
}

// saturationRate is more than this kind of machine holds with generator and
// target on it together.
const saturationRate = 20000

func saturate(attack func(string, float64, time.Duration) (uint64, float64)) (uint64, float64) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	return attack(srv.URL, saturationRate, 2*time.Second)
}
