package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// parseContract loads a contract from data as firedrill does.
func parseContract(tb testing.TB, path string, data []byte) *contracts.OpenAPI {
	tb.Helper()
	c, err := contracts.ParseOpenAPI(context.Background(), path, data)
	if err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	return c
}

func loadContract(tb testing.TB, path string) *contracts.OpenAPI {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return parseContract(tb, path, data)
}

func petstoreContract(tb testing.TB) *contracts.OpenAPI {
	return parseContract(tb, "petstore.yaml", petstore.Contract())
}

func newPetstore(tb testing.TB, opts ...Option) *Mock {
	tb.Helper()
	m, err := NewHandler(petstoreContract(tb), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// call sends one request through h in-process.
func call(tb testing.TB, h http.Handler, method, target, body string, header ...string) *http.Response {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, target, r)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func readBody(tb testing.TB, resp *http.Response) []byte {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func decodeProblem(tb testing.TB, resp *http.Response) toolkit.Problem {
	tb.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != toolkit.ProblemContentType {
		tb.Fatalf("refusal has Content-Type %q, want %q", ct, toolkit.ProblemContentType)
	}
	var p toolkit.Problem
	if err := json.Unmarshal(readBody(tb, resp), &p); err != nil {
		tb.Fatalf("problem body: %v", err)
	}
	return p
}

// corpusDir is the corpus folder; without its OpenAPI part the test skips,
// or fails under CI=true (corpustest.Missing).
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := corpustest.Dir(tb)
	if _, err := os.Stat(filepath.Join(dir, "openapi")); err != nil {
		corpustest.Missing(tb, "corpus of real contracts not found at %s (it ships in %s; $%s points elsewhere): %v", dir, corpustest.Path, corpustest.Env, err)
	}
	return dir
}

// vendorClock is a clock a test moves by hand, safe for the server's goroutines.
type vendorClock struct {
	mu  sync.Mutex
	now time.Time
}

func newVendorClock() *vendorClock { return &vendorClock{now: time.Unix(1_700_000_000, 0)} }

func (c *vendorClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *vendorClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
