package graphql_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// BenchmarkSimpleQuery measures a small query through the handler (parse,
// validate, execute, encode, journal) against a baseline handler that
// decodes the same request and writes a fixed JSON answer, the two
// interleaved in each iteration so a loaded machine slows both alike; it
// reports the mock's speed as a fraction of the baseline's.
func BenchmarkSimpleQuery(b *testing.B) {
	m := newMock(b, graphql.WithJournalSize(1024))
	body := []byte(`{"query":"query Q($id: ID!) { customer(id: $id) { id email name status createdAt } }","variables":{"id":"c1"}}`)
	answer := []byte(`{"data":{"customer":{"id":"c1","email":"user1@example.com","name":"Name 1","status":"ACTIVE","createdAt":"2024-01-01T00:00:00Z"}}}`)
	raw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		_ = json.NewDecoder(r.Body).Decode(&p)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	serve := func(h http.Handler) time.Duration {
		start := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		return time.Since(start)
	}
	var base, mock time.Duration
	b.ReportAllocs()
	for b.Loop() {
		base += serve(raw)
		mock += serve(m)
	}
	b.ReportMetric(float64(mock.Nanoseconds())/float64(b.N), "mock_ns/query")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "raw_ns/query")
	b.ReportMetric(float64(base)/float64(mock), "x_raw_speed")
}
