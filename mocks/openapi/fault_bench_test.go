package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// BenchmarkFaultSetOverhead measures what a fault set costs a request,
// against the same mock without one, in one run: ratio_empty is an empty
// set; ratio_active has faults on two other operations and a slow fault
// of 1 ns on this one at 1% (so the draw runs on every request). 1.00
// means free. The three mocks take turns, so none always runs first.
func BenchmarkFaultSetOverhead(b *testing.B) {
	plain := newPetstore(b)
	empty := newPetstore(b, WithFaults(toolkit.NewFaultSet(1)))
	busy := toolkit.NewFaultSet(1)
	active := newPetstore(b, WithFaults(busy))
	for _, f := range []toolkit.HTTPFault{
		{Kind: toolkit.FaultStatus, Operation: "createPet"},
		{Kind: toolkit.FaultMalformed, Operation: "listPets"},
		{Kind: toolkit.FaultSlow, Rate: 0.01, Operation: "getPet", Params: map[string]string{"delay": "1ns"}},
	} {
		if _, err := busy.Add(f); err != nil {
			b.Fatal(err)
		}
	}
	req := httptest.NewRequestWithContext(context.Background(), "GET", "/v1/pets/1", nil)
	req.Header.Set(key, "k")
	serve := func(h http.Handler) time.Duration {
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		return d
	}
	var tPlain, tEmpty, tActive time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		for j := range 3 {
			switch (i + j) % 3 {
			case 0:
				tPlain += serve(plain)
			case 1:
				tEmpty += serve(empty)
			default:
				tActive += serve(active)
			}
		}
		i++
	}
	b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N), "ns/plain")
	b.ReportMetric(float64(tEmpty)/float64(tPlain), "ratio_empty")
	b.ReportMetric(float64(tActive)/float64(tPlain), "ratio_active")
}
