package openapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// benchOverhead serves GET /v1/pets b.N times through a plain petstore mock
// and through one with opts, and reports both and their ratio: what the
// behaviour costs per request, on the same machine in the same run.
func benchOverhead(b *testing.B, header []string, opts ...Option) {
	plain := newPetstore(b)
	with := newPetstore(b, opts...)
	req := httptest.NewRequest(http.MethodGet, "/v1/pets", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	run := func(h http.Handler, n int) time.Duration {
		start := time.Now()
		for range n {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		return time.Since(start)
	}
	run(plain, 100) // warm both: answers are cached on first use
	run(with, 100)
	b.ResetTimer()
	// Alternate in chunks, so a busy machine slows both alike.
	var base, cost time.Duration
	for done := 0; done < b.N; {
		n := min(500, b.N-done)
		base += run(plain, n)
		cost += run(with, n)
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(cost.Nanoseconds())/float64(b.N), "with-ns/op")
	b.ReportMetric(float64(cost)/float64(base), "ratio")
}

// BenchmarkRateLimitOverhead: one credential, a limit it never reaches.
func BenchmarkRateLimitOverhead(b *testing.B) {
	benchOverhead(b, []string{"X-API-Key", "k"}, WithRateLimit(toolkit.RateLimitOptions{Requests: 1 << 30, Per: time.Second}))
}
