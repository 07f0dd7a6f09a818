package graphql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

var (
	shopOnce sync.Once
	shop     *contracts.GraphQL
	shopErr  error
)

// shopSchema is testdata/shop.graphql, loaded once.
func shopSchema(t testing.TB) *contracts.GraphQL {
	t.Helper()
	shopOnce.Do(func() {
		shop, shopErr = contracts.LoadGraphQL(context.Background(), "testdata/shop.graphql")
	})
	if shopErr != nil {
		t.Fatal(shopErr)
	}
	return shop
}

func newMock(t testing.TB, opts ...graphql.Option) *graphql.Mock {
	t.Helper()
	m, err := graphql.NewHandler(shopSchema(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// result is a decoded GraphQL response.
type result struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message   string `json:"message"`
		Locations []struct {
			Line   int `json:"line"`
			Column int `json:"column"`
		} `json:"locations"`
		Path []any `json:"path"`
	} `json:"errors"`
	raw    []byte
	status int
}

// do sends one GraphQL POST to h and decodes the answer.
func do(t testing.TB, h http.Handler, query string, vars map[string]any) result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return send(t, h, httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body)))
}

func send(t testing.TB, h http.Handler, req *http.Request) result {
	t.Helper()
	if req.Header.Get("Content-Type") == "" && req.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r result
	r.raw, r.status = rec.Body.Bytes(), rec.Code
	if err := json.Unmarshal(r.raw, &r); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.raw)
	}
	return r
}

// ok fails the test unless r is a 200 with data and no errors.
func (r result) ok(t testing.TB) result {
	t.Helper()
	if r.status != http.StatusOK || len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("status %d, want 200 with data and no errors:\n%s", r.status, r.raw)
	}
	return r
}

// at walks the response data by keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
