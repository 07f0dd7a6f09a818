package contracts

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// BenchmarkSampleStripeCharge samples Stripe's charge (dozens of properties,
// expandable sub-objects, reference cycles). The baseline measured in the
// same run is json.Marshal of the very values sampled, the least a mock does
// with them: the x-marshal metric is how many marshals one sample costs. The
// mocks cache generated answers, so this is for information.
func BenchmarkSampleStripeCharge(b *testing.B) {
	d, err := loadSampleDoc(b, corpustest.File(b, "openapi", "stripe__spec2.2020-04-23.json"))
	if err != nil {
		b.Fatal(err)
	}
	charge := d.doc.Components.Schemas["charge"].Value
	var sampling, marshal time.Duration
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		v := Sample(charge, SampleOptions{Seed: int64(i)})
		mid := time.Now()
		out, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		marshal += time.Since(mid)
		sampling += mid.Sub(start)
		size += len(out)
	}
	n := float64(b.N)
	b.ReportMetric(float64(sampling.Nanoseconds())/n, "sample-ns/op")
	b.ReportMetric(float64(sampling)/float64(max(marshal, 1)), "x-marshal")
	b.ReportMetric(float64(size)/n, "json-bytes/op")
}
