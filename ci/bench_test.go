package ci

import (
	"context"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// genSource streams n synthetic records of ten fields, one fresh map each,
// so the benchmark measures the check, not a materialised input.
type genSource struct {
	n      int
	target bool
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
		if err := yield(r); err != nil {
			return err
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
// in the same run.
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
	var base, check time.Duration
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		t0 := time.Now()
		found := baseline()
		base += time.Since(t0)
		runtime.GC()
		b.StartTimer()

		stop := heapPeak()
		t1 := time.Now()
		res, err := k.Run(context.Background())
		check += time.Since(t1)
		peak = max(peak, stop()-input)
		if err != nil || !res.Passed || res.Matched != n || found != n {
			b.Fatalf("err=%v found=%d result=%s %+v", err, found, res.Reason, res.Errors)
		}
	}
	b.ReportMetric(check.Seconds()/float64(b.N), "s/check")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(check)/float64(base), "x-baseline")
	b.Logf("check %s, baseline %s, peak heap %d MiB above input", (check / time.Duration(b.N)).Round(time.Millisecond), (base / time.Duration(b.N)).Round(time.Millisecond), peak>>20)
}
