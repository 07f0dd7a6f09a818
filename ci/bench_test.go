package ci

import (
	"context"
	"maps"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// genSource streams n synthetic records of ten fields, one fresh map each,
// so the benchmark measures the check, not a materialised input.
type genSource struct {
	n       int
	target  bool
	defects bool // target only: lose, duplicate, alter and add records, see scaleDefects
}

// scaleDefects are the defects a genSource target with defects holds: every
// 1000th record lost, every 2000th duplicated, every 4000th with a wrong
// total, and 100 records of no source.
func scaleDefects(n int) (missing, duplicated, mismatched, unexpected int) {
	every := func(m, r int) int { return (n - r + m - 1) / m } // i < n with i%m == r
	return every(1000, 999), every(2000, 1), every(4000, 3), 100
}

func (g genSource) Records(ctx context.Context) ([]map[string]any, error) {
	var out []map[string]any
	err := g.Stream(ctx, func(r map[string]any) error { out = append(out, r); return nil })
	return out, err
}

func (g genSource) Stream(ctx context.Context, yield func(map[string]any) error) error {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	for i := range g.n {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		cents := 100 + i%100000
		at := base.Add(time.Duration(i) * time.Second)
		var r map[string]any
		if !g.target {
			r = map[string]any{
				"id": float64(i), "total_price": strconv.FormatFloat(float64(cents)/100, 'f', 2, 64),
				"email": "Customer" + strconv.Itoa(i) + "@Example.com", "created_at": at.Format(time.RFC3339),
				"qty": float64(i % 7), "sku": "SKU-" + strconv.Itoa(i%500), "status": "paid",
				"country": "FR", "currency": "EUR", "note": "",
			}
		} else {
			r = map[string]any{
				"reference": strconv.Itoa(i), "amount_cents": float64(cents),
				"email": "customer" + strconv.Itoa(i) + "@example.com", "issued": at.UTC().Format(time.RFC3339),
				"qty": float64(i % 7), "sku": "SKU-" + strconv.Itoa(i%500), "status": "paid",
				"country": "FR", "currency": "EUR", "note": nil,
			}
		}
		if g.target && g.defects {
			switch {
			case i%1000 == 999:
				continue
			case i%2000 == 1:
				if err := yield(maps.Clone(r)); err != nil {
					return err
				}
			case i%4000 == 3:
				r["amount_cents"] = float64(cents + 1)
			}
		}
		if err := yield(r); err != nil {
			return err
		}
	}
	if g.target && g.defects {
		for j := range 100 {
			extra := map[string]any{"reference": strconv.Itoa(g.n + j), "amount_cents": 100.0, "email": "x@example.com",
				"issued": "2026-01-01T00:00:00Z", "qty": 0.0, "sku": "SKU-0", "status": "paid", "country": "FR", "currency": "EUR"}
			if err := yield(extra); err != nil {
				return err
			}
		}
	}
	return nil
}

func millionCheck(n int) Check {
	return Check{
		Name: "million", Source: genSource{n: n}, Target: genSource{n: n, target: true},
		Join: Join{Source: "id", Target: "reference"}, Expect: ExactlyOnce,
		Fields: []Field{
			{Name: "total", Source: "double(total_price)", Target: "amount_cents / 100.0", Tolerance: 0.005},
			{Name: "email", Source: "email.lowerAscii()", Target: "email"},
			{Name: "at", Source: "created_at", Target: "issued", Time: true},
			{Name: "qty", Source: "qty", Target: "qty"},
			{Name: "sku", Source: "sku", Target: "sku"},
			{Name: "status", Source: "status", Target: "status"},
			{Name: "country", Source: "country", Target: "country"},
			{Name: "currency", Source: "currency", Target: "currency"},
			{Name: "note", Source: "note", Target: "note", EmptyIsNull: true},
		},
	}
}

// heapPeak samples the live heap every few milliseconds until stop is called.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkConsistencyMillion compares 1,000,000 source records with
// 1,000,000 target records of ten fields (two mapped by CEL expressions, one
// read as a time, the rest plain references) and reports per check the
// seconds, the peak live heap and the ratio of its time to a baseline measured
// in the same run (x-baseline, and cpu-x-baseline in CPU time).
//
//   - streamed: records generated on the fly through Streamer, so the heap
//     is the check's own plus the generator's garbage; the baseline is the
//     same generation joined on the key in a plain Go map, the least any
//     check must do.
//   - in-memory: both collections materialised first (Static sources, as a
//     mock's store snapshot gives them); the time is the check's alone, the
//     heap is reported above the input's; the baseline is the plain-map key
//     join over the same slices.
func BenchmarkConsistencyMillion(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	b.Run("streamed", func(b *testing.B) {
		c := millionCheck(n)
		benchCheck(b, c, 0, func() int {
			idx := make(map[string]int32, n)
			_ = genSource{n: n}.Stream(ctx, func(r map[string]any) error {
				idx[strconv.FormatFloat(r["id"].(float64), 'f', -1, 64)] = 1
				return nil
			})
			found := 0
			_ = genSource{n: n, target: true}.Stream(ctx, func(r map[string]any) error {
				if _, ok := idx[r["reference"].(string)]; ok {
					found++
				}
				return nil
			})
			return found
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		runtime.GC()
		before := liveHeap()
		src, _ := genSource{n: n}.Records(ctx)
		tgt, _ := genSource{n: n, target: true}.Records(ctx)
		runtime.GC()
		input := liveHeap() - before
		c := millionCheck(n)
		c.Source, c.Target = Static(src), Static(tgt)
		benchCheck(b, c, input, func() int {
			idx := make(map[string]int32, n)
			for _, r := range src {
				idx[strconv.FormatFloat(r["id"].(float64), 'f', -1, 64)] = 1
			}
			found := 0
			for _, r := range tgt {
				if _, ok := idx[r["reference"].(string)]; ok {
					found++
				}
			}
			return found
		})
		b.ReportMetric(float64(input)/(1<<20), "input-MiB")
		runtime.KeepAlive(src)
		runtime.KeepAlive(tgt)
	})
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// benchCheck times c against baseline; input is the live heap the inputs
// hold, subtracted from the peak.
func benchCheck(b *testing.B, c Check, input uint64, baseline func() int) {
	const n = 1_000_000
	k, err := c.Compile()
	if err != nil {
		b.Fatal(err)
	}
	var base, baseCPU, check, cpu time.Duration
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		c0, t0 := corpustest.ProcessCPU(), time.Now()
		found := baseline()
		base += time.Since(t0)
		baseCPU += corpustest.ProcessCPU() - c0
		runtime.GC()
		b.StartTimer()

		stop := heapPeak()
		c0 = corpustest.ProcessCPU()
		t1 := time.Now()
		res, err := k.Run(context.Background())
		check += time.Since(t1)
		cpu += corpustest.ProcessCPU() - c0
		peak = max(peak, stop()-input)
		if err != nil || !res.Passed || res.Matched != n || found != n {
			b.Fatalf("err=%v found=%d result=%s %+v", err, found, res.Reason, res.Errors)
		}
	}
	b.ReportMetric(check.Seconds()/float64(b.N), "s/check")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/check")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(check)/float64(base), "x-baseline")
	// The same ratio in CPU time: steadier than wall time on a busy machine.
	b.ReportMetric(float64(cpu)/float64(baseCPU), "cpu-x-baseline")
	b.Logf("check %s, baseline %s, peak heap %d MiB above input", (check / time.Duration(b.N)).Round(time.Millisecond), (base / time.Duration(b.N)).Round(time.Millisecond), peak>>20)
}

// BenchmarkConsistency100k is the million-record check at a tenth of the
// size, for profiling (-cpuprofile, -memprofile); ns/record is per source
// and target record together.
func BenchmarkConsistency100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	src, _ := genSource{n: n}.Records(ctx)
	tgt, _ := genSource{n: n, target: true}.Records(ctx)
	c := millionCheck(n)
	c.Source, c.Target = Static(src), Static(tgt)
	k, err := c.Compile()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := k.Run(ctx)
		if err != nil || res.Matched != n {
			b.Fatalf("%v %s", err, res.Reason)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*n), "ns/record")
}

// TestConsistencyAtScale is the scale proof that runs in make test: a
// check over n source and n target records of ten fields, the target
// seeded with known defects, must count each outcome exactly and stay under
// 1 KiB of heap per record (1 GiB at a million). n is 1,000,000 without the
// race detector and 50,000 with it (it multiplies time and memory). With
// FIREDRILL_HEAVY=1 it also holds the million to 5 s, a bound only a quiet
// machine can promise.
func TestConsistencyAtScale(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 50_000
	}
	c := millionCheck(n)
	c.Target = genSource{n: n, target: true, defects: true}
	k, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	stop := heapPeak()
	start := time.Now()
	res, err := k.Run(context.Background())
	took := time.Since(start)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	missing, duplicated, mismatched, unexpected := scaleDefects(n)
	got := [4]int{res.Missing.Count, res.Duplicated.Count, res.Mismatched.Count, res.Unexpected.Count}
	if want := [4]int{missing, duplicated, mismatched, unexpected}; got != want || res.Passed {
		t.Fatalf("counts missing, duplicated, mismatched, unexpected = %v, want %v (%s)", got, want, res.Reason)
	}
	if res.Matched != n-missing-mismatched || res.Errors.Count != 0 || res.Source != n || res.Target != n-missing+duplicated+unexpected {
		t.Fatalf("matched %d source %d target %d errors %d", res.Matched, res.Source, res.Target, res.Errors.Count)
	}
	if len(res.FieldMismatches) != 1 || res.FieldMismatches["total"] != mismatched {
		t.Fatalf("field mismatches %v", res.FieldMismatches)
	}
	if len(res.Mismatched.Examples) != DefaultMaxExamples || res.Mismatched.Examples[0].Key != "3" || res.Missing.Examples[0].Key != "999" {
		t.Fatalf("examples: mismatched %+v missing %+v", res.Mismatched.Examples[0], res.Missing.Examples[0])
	}
	t.Logf("%d vs %d records: %s, peak heap %d MiB", n, res.Target, took.Round(time.Millisecond), peak>>20)
	if limit := uint64(n) << 10; peak > limit {
		t.Errorf("peak heap %d MiB over %d MiB", peak>>20, limit>>20)
	}
	if os.Getenv("FIREDRILL_HEAVY") == "1" && n == 1_000_000 && took > 5*time.Second {
		t.Errorf("a million records took %s, over 5s", took)
	}
}
