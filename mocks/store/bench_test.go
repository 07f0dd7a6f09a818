package store_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/store"
)

// mutexMap is the baseline: the plainest safe store, one mutex over one map,
// no copies, no ids from a schema, no timestamps.
type mutexMap struct {
	mu   sync.Mutex
	seq  int64
	recs map[string]map[string]any
}

func (m *mutexMap) create(coll string, rec map[string]any) {
	m.mu.Lock()
	m.seq++
	m.recs[coll+"/"+strconv.FormatInt(m.seq, 10)] = rec
	m.mu.Unlock()
}

func sampleRecord(i int) store.Record {
	return store.Record{"total": float64(i), "status": "open", "customer": map[string]any{"email": "a@example.com", "name": "Ada"}}
}

// benchCreates measures parallel creates spread over colls collections, for
// the baseline and the store in the same run, and reports the store's
// throughput as a fraction of the baseline's (store-vs-mutex-map, higher is
// better; 1.0 means as fast).
func benchCreates(b *testing.B, colls int) {
	names := make([]string, colls)
	defs := make([]store.Collection, colls)
	for i := range names {
		names[i] = fmt.Sprint("orders", i)
		defs[i] = store.Collection{Name: names[i]}
	}
	// The baseline runs first, b.N creates over the same goroutines; the
	// store runs next, timed by the benchmark itself. (testing.Benchmark
	// cannot nest inside a benchmark: it waits on the lock the outer one holds.)
	m := &mutexMap{recs: map[string]map[string]any{}}
	var n atomic.Int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			m.create(names[i%colls], sampleRecord(i))
		}
	})
	baseNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	s := store.New(defs...)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, err := s.Create(names[i%colls], nil, sampleRecord(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	storeNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(baseNs, "baseline-ns/op")
	if storeNs > 0 {
		b.ReportMetric(baseNs/storeNs, "store-vs-mutex-map")
	}
}

func BenchmarkParallelCreate(b *testing.B) {
	b.Run("one-collection", func(b *testing.B) { benchCreates(b, 1) })
	b.Run("eight-collections", func(b *testing.B) { benchCreates(b, 8) })
}

// BenchmarkList measures one page of 20 out of 10,000 records.
func BenchmarkList(b *testing.B) {
	s := store.New(store.Collection{Name: "orders"})
	for i := range 10000 {
		s.Create("orders", nil, sampleRecord(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.List("orders", nil, store.PageRequest{Offset: 5000, Limit: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInferStripe measures inference over the largest real contract
// (part of the mock's start-up budget).
func BenchmarkInferStripe(b *testing.B) {
	doc := loadDoc(b, corpustest.File(b, "openapi", "stripe__spec2.2020-04-23.json"))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if len(store.Infer(doc)) == 0 {
			b.Fatal("no collections")
		}
	}
}
