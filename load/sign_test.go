package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestStepSignSeesTheRenderedBody checks the Sign hook: every request
// carries a signature of its own rendered body.
func TestStepSignSeesTheRenderedBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	good, bad := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		mu.Lock()
		if r.Header.Get("X-Signature") == hex.EncodeToString(sum[:]) {
			good++
		} else {
			bad++
		}
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	sign := func(h http.Header, body []byte) error {
		sum := sha256.Sum256(body)
		h.Set("X-Signature", hex.EncodeToString(sum[:]))
		return nil
	}
	plan := Plan{
		Flow:     Flow{Name: "signed", Steps: []Step{{Name: "hook", Method: "POST", URL: srv.URL, Body: map[string]any{"n": "${seq}"}, Sign: sign}}},
		Shape:    Constant(20),
		Duration: 500 * time.Millisecond,
	}
	if _, err := Run(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if good < 5 || bad != 0 {
		t.Fatalf("signed requests: %d good, %d bad", good, bad)
	}
}

// Every request of a flow is marked as the load's, so that a mock's
// journal tells it from the service's.
func TestFlowRequestsCarryTheOrigin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	origins := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		origins[r.Header.Get(OriginHeader)]++
		mu.Unlock()
	}))
	defer srv.Close()
	plan := Plan{
		Flow:     Flow{Name: "marked", Steps: []Step{{Name: "a", URL: srv.URL}, {Name: "b", URL: srv.URL, Header: map[string]string{"X-Other": "1"}}}},
		Shape:    Constant(20),
		Duration: 300 * time.Millisecond,
	}
	if _, err := Run(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(origins) != 1 || origins[OriginLoad] < 4 {
		t.Fatalf("origins of the requests: %v, want every one %q", origins, OriginLoad)
	}
}
