package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMockVendorFlagsRefusedExit2(t *testing.T) {
	t.Parallel()
	for flag, args := range map[string][]string{
		"--rate-limit":   {"--rate-limit", "20"},
		"--basic-user":   {"--basic-user", "nocolon"},
		"--oauth-client": {"--oauth-client", ":secret"},
		"--webhook":      {"--webhook", "http://example.com/hooks", "--stateful"},
		"--stateful":     {"--webhook", "http://127.0.0.1:1/hooks"},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"mock", petstorePath(t), "--port", "0"}, args...)...)
		if code != 2 || !strings.Contains(stderr, flag) {
			t.Errorf("%v: exit %d, stderr %q: want 2 naming %s", args, code, stderr, flag)
		}
	}
}

// TestMockVendorFlags: the flags reach the mock: only the given key is
// accepted, it is throttled, and what is created is delivered to the
// webhook.
func TestMockVendorFlags(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		events = append(events, string(b))
		mu.Unlock()
	}))
	defer recv.Close()
	lines, stop := startMockCLI(t, 1, petstorePath(t), "--port", "0", "--stateful", "--api-key", "k1",
		"--rate-limit", "2/m", "--idempotency-key", "Idempotency-Key", "--webhook", recv.URL+"/hooks,events=create")
	defer stop()
	url := strings.SplitN(lines[0], " ", 2)[1]
	do := func(method, key, body string) int {
		req, _ := http.NewRequest(method, url+"/pets", strings.NewReader(body))
		req.Header.Set("X-API-Key", key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := do("GET", "k2", ""); s != 401 {
		t.Errorf("unknown key: %d, want 401", s)
	}
	if s := do("POST", "k1", `{"name":"Tom","species":"cat"}`); s != 201 {
		t.Errorf("create: %d", s)
	}
	if s1, s2 := do("GET", "k1", ""), do("GET", "k1", ""); s1 != 200 || s2 != 429 {
		t.Errorf("at 2/m: %d then %d, want 200 then 429", s1, s2)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || !strings.Contains(events[0], `"type":"pets.created"`) {
		t.Errorf("webhook deliveries %q, want one pets.created", events)
	}
}
