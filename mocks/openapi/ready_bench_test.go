package openapi

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
)

// stripeSpec3 is the largest contract of the corpus: Stripe's 4.2 MB
// OpenAPI 3.0 in YAML.
const stripeSpec3 = "stripe__spec3.2023-09-12.yaml"

// loadCost is what one side of BenchmarkReadyStripe spent.
type loadCost struct {
	wall, cpu time.Duration
	bytes     uint64
}

// measure runs f from a collected heap and adds what it cost to c.
func (c *loadCost) measure(f func()) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0, cpu0 := time.Now(), corpustest.ProcessCPU()
	f()
	c.wall += time.Since(t0)
	c.cpu += corpustest.ProcessCPU() - cpu0
	runtime.ReadMemStats(&m1)
	c.bytes += m1.TotalAlloc - m0.TotalAlloc
}

func (c *loadCost) report(b *testing.B, side string) {
	n := float64(b.N)
	b.ReportMetric(float64(c.wall.Milliseconds())/n, side+"-ms")
	b.ReportMetric(float64(c.cpu.Milliseconds())/n, side+"-cpu-ms")
	b.ReportMetric(float64(c.bytes)/n/1e6, side+"-MB")
}

// BenchmarkReadyStripe measures Stripe's 4.2 MB OpenAPI 3.0 YAML from the
// file on disk to a mock ready to serve (read, loaded, version checked,
// repaired, YAML values retyped, the mock's routes, validator and journal
// built: everything the mock does before its first request) against
// kin-openapi's plain load of the same file (os.ReadFile, then
// openapi3.NewLoader().LoadFromData), the two alternating in the same run
// so that both see the same machine. ratio is ready/plain in wall time and
// cpu-ratio in CPU time, which a busy machine disturbs less (target: ratio
// <= 1.3); the ms, CPU ms and MB allocated of each side are reported
// beside them.
func BenchmarkReadyStripe(b *testing.B) {
	path := corpustest.File(b, "openapi-heldout", stripeSpec3)
	ctx := context.Background()
	plain := func() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := openapi3.NewLoader().LoadFromData(data); err != nil {
			b.Fatal(err)
		}
	}
	ready := func() {
		c, err := contracts.LoadOpenAPI(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewHandler(c); err != nil {
			b.Fatal(err)
		}
	}
	var p, r loadCost
	i := 0
	for b.Loop() {
		// Alternate which side goes first, so neither always follows the
		// other's garbage.
		if i%2 == 0 {
			p.measure(plain)
			r.measure(ready)
		} else {
			r.measure(ready)
			p.measure(plain)
		}
		i++
	}
	p.report(b, "plain")
	r.report(b, "ready")
	b.ReportMetric(float64(r.wall)/float64(p.wall), "ratio")
	if p.cpu > 0 {
		b.ReportMetric(float64(r.cpu)/float64(p.cpu), "cpu-ratio")
	}
}
