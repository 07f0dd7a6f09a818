package graphql_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// BenchmarkSimpleQuery measures a small query through the handler (parse,
// validate, execute, encode), and reports its speed against a baseline
// handler that decodes the same request and writes a fixed JSON answer.
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
	run := func(b *testing.B, h http.Handler) float64 {
		b.Helper()
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	}
	var base float64
	b.Run("raw", func(b *testing.B) { base = run(b, raw) })
	b.Run("mock", func(b *testing.B) {
		ns := run(b, m)
		if base > 0 {
			b.ReportMetric(base/ns, "x_raw_speed")
		}
	})
}
