package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMockVendorFlagsRefusedExit2(t *testing.T) {
	t.Parallel()
	for flag, args := range map[string][]string{
		"--rate-limit":      {"--rate-limit", "20"},
		"--basic-user":      {"--basic-user", "nocolon"},
		"--oauth-client":    {"--oauth-client", ":secret"},
		"--webhook":         {"--webhook", "http://example.com/hooks", "--stateful"},
		"--stateful":        {"--webhook", "http://127.0.0.1:1/hooks"},
		"--callback-scheme": {"--callback-scheme", "sha1"},
		"--idempotency-key": {"--idempotency-key", "Idempotency-Key,mismatch=200"},
		"--oauth-token-ttl": {"--oauth-token-ttl", "1m"},
		"--callback-secret": {"--callback-secret", "whsec_not base64!"},
		"--references":      {"--references"},                // without --stateful
		"--graphql-limits":  {"--graphql-limits", "depth=5"}, // on an OpenAPI contract
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
		"--rate-limit", "2/m,limit-header=X-Vendor-Limit,reset-header=-", "--idempotency-key", "Idempotency-Key", "--webhook", recv.URL+"/hooks,events=create")
	defer stop()
	url := strings.SplitN(lines[0], " ", 2)[1]
	var lastHeader http.Header
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
		lastHeader = resp.Header
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
	if h := lastHeader; h.Get("X-Vendor-Limit") != "2" || h.Get("X-RateLimit-Limit") != "" || h.Get("X-RateLimit-Reset") != "" || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("budget headers named by --rate-limit: %v", h)
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

// TestMockCallbacks: a request naming a callback URL the contract declares
// gets the callback there, signed with --callback-secret; the generated
// secret is said when none is given.
func TestMockCallbacks(t *testing.T) {
	t.Parallel()
	const secret = "whsec_ZGVtby1zaG9wLXNlY3JldA=="
	got := make(chan http.Header, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("demo-shop-secret"))
		fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) || !strings.Contains(string(body), `"type":"order.created"`) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- r.Header
	}))
	defer recv.Close()
	shop, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "contracts", "shop.openapi.yaml"))
	lines, stop := startMockCLI(t, 1, shop, "--port", "0", "--stateful", "--callback-secret", secret)
	url := strings.SplitN(lines[0], " ", 2)[1]
	req, _ := http.NewRequest("POST", url+"/orders", strings.NewReader(`{"customer":{"email":"a@example.com"},"total_price":"1.00","currency":"EUR","line_items":[{"sku":"TEA-01","quantity":1,"price":"1.00"}],"callback_url":"`+recv.URL+`/cb"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	var called bool
	if err == nil && resp.StatusCode == http.StatusCreated {
		select {
		case <-got:
			called = true
		case <-time.After(5 * time.Second):
		}
	}
	if _, stderr := stop(); strings.Contains(stderr, "generated secret") {
		t.Errorf("a given secret said to be generated: %s", stderr)
	}
	switch {
	case err != nil:
		t.Fatal(err)
	case resp.StatusCode != http.StatusCreated:
		t.Fatalf("create order: %d", resp.StatusCode)
	case !called:
		t.Fatal("no verified orderCreated callback at the callback_url")
	}
	_, stop = startMockCLI(t, 1, shop, "--port", "0", "--callback-scheme", "github")
	if _, stderr := stop(); !strings.Contains(stderr, "generated secret") || !strings.Contains(stderr, "scheme=github") {
		t.Errorf("the generated callback secret is not said: %s", stderr)
	}
}

// TestMockReferences: with --stateful --references an invoice naming a
// customer the mock never created is refused with 400, and goes through
// once the customer exists; -v logs the collections and references.
func TestMockReferences(t *testing.T) {
	t.Parallel()
	contract := filepath.Join(t.TempDir(), "billing.yaml")
	spec := `openapi: 3.0.3
info: {title: billing, version: "1"}
paths:
  /customers:
    post:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}}}
  /customers/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
  /invoices:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {customer_id: {type: string}}}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}, customer_id: {type: string}}}}}}}
  /invoices/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
`
	if err := os.WriteFile(contract, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, stop := startMockCLI(t, 1, contract, "-v", "--port", "0", "--stateful", "--references")
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	base := strings.Fields(lines[0])[1]
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if code, p := post("/invoices", `{"customer_id":"c-404"}`); code != 400 || !strings.Contains(fmt.Sprint(p["detail"]), "customer_id") {
		t.Fatalf("invoice for an unknown customer: %d %v, want 400 naming customer_id", code, p)
	}
	_, cust := post("/customers", `{}`)
	if code, v := post("/invoices", fmt.Sprintf(`{"customer_id":%q}`, cust["id"])); code != 201 {
		t.Fatalf("invoice for a known customer: %d %v", code, v)
	}
	// -v says what the mock keeps and checks.
	stopped = true
	if _, stderr := stop(); !strings.Contains(stderr, "collections=2") || !strings.Contains(stderr, `names="customers, invoices"`) || !strings.Contains(stderr, "references=1") {
		t.Errorf("the log does not say what the stateful mock keeps and checks:\n%s", stderr)
	}
}
