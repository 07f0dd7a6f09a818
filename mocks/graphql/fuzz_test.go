package graphql_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// FuzzGraphQLRequest sends arbitrary bodies, as JSON, as application/graphql
// and as a GET query, to a stateful mock: never a 5xx, never a panic, and
// always a JSON answer.
func FuzzGraphQLRequest(f *testing.F) {
	files, err := filepath.Glob("testdata/requests/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed requests in testdata/requests: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), b)
	}
	f.Add(uint8(1), []byte(`{ customer(id: "1") { id @skip(if: true) } }`))
	f.Add(uint8(2), []byte(`{ __type(name: "Status") { enumValues { name } } }`))
	// Requests over the bounds: aliases, fragment cycles and chains, depth.
	f.Add(uint8(1), []byte(aliasedIntrospection(3)))
	f.Add(uint8(1), []byte(fragmentChain(40, true)))
	f.Add(uint8(1), []byte(fragmentChain(40, false)))
	f.Add(uint8(1), []byte(deepQuery(12)))
	// Small bounds, so that random inputs reach them: an answer is its
	// data's budget, plus the errors and extensions a small document gets.
	const budget = 16 << 10
	m := newMock(f, graphql.WithStateful(true), graphql.WithJournalSize(16),
		graphql.WithLimits(graphql.Limits{MaxDepth: 8, MaxSelections: 200, MaxAliases: 4, MaxTokens: 2000, MaxAnswerBytes: budget}))
	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		var req *http.Request
		switch mode % 3 {
		case 0:
			req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		case 1:
			req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/graphql")
		default:
			req = httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(string(body)), nil)
		}
		m.Store().ResetAll() // each input on its own, so a failure replays
		rec := httptest.NewRecorder()
		start := time.Now()
		m.ServeHTTP(rec, req)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%v to answer %q", d, body)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for client input: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("firedrill internal error")) {
			t.Fatalf("executor failed: %s", rec.Body)
		}
		if n := rec.Body.Len(); n > budget+len(body)*4+4<<10 {
			t.Fatalf("answer of %d bytes to a %d-byte request, over the %d-byte budget: %.500s", n, len(body), budget, rec.Body)
		}
	})
}

// FuzzGraphQLAdminWrites sends arbitrary writes to a stateful mock's
// collections through the admin API (inserts, updates by id, their
// webhooks parameter): never a 5xx, never a panic.
func FuzzGraphQLAdminWrites(f *testing.F) {
	f.Add("POST", "Customer", "", []byte(`{"id":"c-1","email":"a@example.com"}`))
	f.Add("POST", "Customer", "webhooks=false", []byte(`[{"email":"late@example.com"},{"email":3}]`))
	f.Add("PATCH", "Customer/c-1", "", []byte(`{"firstName":"Ada","id":"c-9"}`))
	f.Add("PATCH", "Customer/c-1", "webhooks=false&x=1", []byte(`{"email":null}`))
	f.Add("PATCH", "Customer/nope/x", "webhooks=maybe", []byte(`[1]`))
	f.Add("PATCH", "Nope/1", "", []byte(`{"a":{"b":[{}]}}`))
	m := newMock(f, graphql.WithStateful(true), graphql.WithJournalSize(16))
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		m.Store().ResetAll()
		seed := httptest.NewRequest(http.MethodPost, "/__firedrill/collections/Customer", bytes.NewReader([]byte(`{"id":"c-1","email":"a@example.com"}`)))
		m.ServeHTTP(httptest.NewRecorder(), seed)
		req := &http.Request{Method: method, URL: &url.URL{Path: "/__firedrill/collections/" + path, RawQuery: query},
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Host: "127.0.0.1", RemoteAddr: "127.0.0.1:1"}
		if method == "" || !validMethod(method) {
			req.Method = http.MethodPatch
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s %q: status %d: %s", method, path, query, body, rec.Code, rec.Body)
		}
	})
}

func validMethod(m string) bool {
	for _, c := range []byte(m) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
