package load

import (
	"os"
	"path/filepath"

	"github.com/HdrHistogram/hdrhistogram-go"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// recordRun feeds a builder secs seconds of a two-step flow at perSec
// requests per second (long-tailed latencies, 1% errors) and returns the
// most heap it held above what it started with, sampled every 10 s of
// the run after a GC, and the report.
func recordRun(secs, perSec int) (peak uint64, rep *Report, open int) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	start := time.Unix(1_790_000_000, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	b := newBuilder("checkout", []string{"create", "pay"}, start)
	b.setLate(DefaultTimeout + time.Second)
	gap := time.Second / time.Duration(perSec/2)
	for sec := range secs {
		for i := range perSec / 2 {
			at := start.Add(time.Duration(sec)*time.Second + time.Duration(i)*gap)
			first := vegeta.Result{Attack: "create", Code: 201, Timestamp: at, Latency: time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))}
			second := vegeta.Result{Attack: "pay", Code: 200, Timestamp: first.End(), Latency: time.Duration(rng.ExpFloat64() * float64(40*time.Millisecond))}
			if rng.IntN(100) == 0 {
				second.Code, second.Error = 502, "status 502, want 200"
			}
			b.add(&first)
			b.add(&second)
			var failed *vegeta.Result
			if second.Error != "" {
				failed = &second
			}
			b.addIteration(&first, &second, failed)
		}
		if sec%10 == 9 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse-min(base, ms.HeapInuse))
		}
	}
	open = len(b.all.secs.open)
	rep = b.report()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse-min(base, ms.HeapInuse))
	runtime.KeepAlive(b)
	return peak, rep, open
}

// maxHistogramMemory is the budget of a 10-minute run at 10,000
// requests per second: its histograms, whole-run and per second, of
// every request, iteration and step.
const maxHistogramMemory = 50 << 20

// TestHistogramMemoryIsBounded records two minutes at 10,000 requests
// per second (past the 31 s a second stays open, so seconds close as they
// would in a long run) and holds it to the 10-minute budget; the memory
// of closed seconds grows by a few KiB per second and aggregate.
func TestHistogramMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("records 1.2 million results")
	}
	peak, rep, open := recordRun(120, 10_000)
	if open > 33 {
		t.Errorf("%d seconds still hold raw latencies at the end: seconds older than the request timeout must close", open)
	}
	if rep.Requests.Requests != 1_200_000 || len(rep.Requests.Series) < 120 {
		t.Fatalf("%d requests in %d seconds", rep.Requests.Requests, len(rep.Requests.Series))
	}
	t.Logf("histograms of 120 s at 10,000 req/s: %.1f MiB at most", float64(peak)/(1<<20))
	if peak > maxHistogramMemory {
		t.Errorf("histograms held %.1f MiB, budget %d MiB", float64(peak)/(1<<20), maxHistogramMemory>>20)
	}
}

// BenchmarkHistogramMemory records a 10-minute run at 10,000 requests per
// second and reports the most heap its histograms held, in MiB:
//
//	go test -run '^$' -bench HistogramMemory -benchtime 1x ./load/
func BenchmarkHistogramMemory(b *testing.B) {
	for b.Loop() {
		peak, _, _ := recordRun(600, 10_000)
		b.ReportMetric(float64(peak)/(1<<20), "MiB")
		if peak > maxHistogramMemory {
			b.Errorf("histograms held %.1f MiB, budget %d MiB", float64(peak)/(1<<20), maxHistogramMemory>>20)
		}
	}
}

// BenchmarkMergeShards merges 16 shards of a 60 s run at 1,000 requests
// per second each (a one-step flow: request, iteration and step
// histograms), written once with WriteRunFiles. The baseline is reading
// and decoding the 16 logs with the library's reader and nothing else;
// x-baseline is the merge's time over it:
//
//	go test -run '^$' -bench MergeShards -benchtime 5x ./load/
func BenchmarkMergeShards(b *testing.B) {
	const shards = 16
	start := time.Unix(1_790_000_000, 0)
	steps := []string{"place order"}
	its := synthRun(5, shards*1000*60, shards*1000, start, steps, 30, 3)
	dirs := writeShards(b, its, start, steps, shards, time.Minute)
	baseline := func() time.Duration {
		t0 := time.Now()
		for _, d := range dirs {
			f, err := os.Open(filepath.Join(d, HistogramsFile))
			if err != nil {
				b.Fatal(err)
			}
			r := hdrhistogram.NewHistogramLogReader(f)
			for {
				h, err := r.NextIntervalHistogram()
				if err != nil {
					b.Fatal(err)
				}
				if h == nil {
					break
				}
			}
			f.Close()
		}
		return time.Since(t0)
	}
	var base, merge time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		base += baseline()
		b.StartTimer()
		t0 := time.Now()
		rep, err := MergeRunDirs(dirs...)
		merge += time.Since(t0)
		if err != nil || rep.Requests.Requests != uint64(len(its)) {
			b.Fatalf("merge: %v", err)
		}
	}
	b.ReportMetric(float64(merge)/float64(base), "x-baseline")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "baseline-ns/op")
}
