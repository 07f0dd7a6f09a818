package openapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

func accountingServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	c, err := contracts.LoadOpenAPI(context.Background(), filepath.Join("..", "..", "examples", "ordersync", "contracts", "accounting.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(c, append([]Option{WithStateful(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func postInvoice(t *testing.T, url, key, ref string) (int, http.Header, []byte) {
	t.Helper()
	body := `{"reference":"` + ref + `","customer_email":"ada@example.com","amount_cents":4990,"currency":"EUR"}`
	req, _ := http.NewRequest(http.MethodPost, url+"/invoices", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_test")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// TestIdempotencyConcurrentRetries is the proof of issue 3: 100 concurrent
// retries with one key and one body create exactly one record, and every
// 2xx answer is byte-identical; a different body with that key is refused.
func TestIdempotencyConcurrentRetries(t *testing.T) {
	t.Parallel()
	srv := accountingServer(t, WithIdempotency(toolkit.IdempotencyOptions{}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bodies [][]byte
	statuses := map[int]int{}
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, body := postInvoice(t, srv.URL, "order-1-invoice", "order-1")
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if status/100 == 2 {
				bodies = append(bodies, body)
			}
		}()
	}
	wg.Wait()
	if statuses[201] == 0 || statuses[201]+statuses[409] != 100 {
		t.Fatalf("statuses %v: want 201s and, while the first was in flight, 409s", statuses)
	}
	for _, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatalf("2xx answers differ:\n%s\n%s", bodies[0], b)
		}
	}
	records, err := srv.Mock.Store().Snapshot("invoices")
	if err != nil || len(records) != 1 {
		t.Fatalf("%d invoices created (%v), want exactly 1", len(records), err)
	}
	// A later retry is a replay, marked as such.
	status, header, body := postInvoice(t, srv.URL, "order-1-invoice", "order-1")
	if status != 201 || header.Get(toolkit.ReplayedHeader) != "true" || !bytes.Equal(body, bodies[0]) {
		t.Errorf("replay: %d %q", status, header.Get(toolkit.ReplayedHeader))
	}
	// The same key with another request is refused and changes nothing.
	if status, _, _ := postInvoice(t, srv.URL, "order-1-invoice", "order-2"); status != http.StatusUnprocessableEntity {
		t.Errorf("key reused with another body: %d, want 422", status)
	}
	records, _ = srv.Mock.Store().Snapshot("invoices")
	if len(records) != 1 {
		t.Errorf("%d invoices after the replay and the refusal, want 1", len(records))
	}
	replayed := 0
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Replayed {
			replayed++
		}
		if e.Method == "POST" && e.IdempotencyKey != "order-1-invoice" {
			t.Errorf("journal entry without its key: %+v", e.IdempotencyKey)
		}
	}
	if replayed < 1 {
		t.Error("no journal entry is marked replayed")
	}
}

// TestWithoutIdempotencyRetriesDuplicate is the negative control: the same
// retries against a mock without the behaviour create many records.
func TestWithoutIdempotencyRetriesDuplicate(t *testing.T) {
	t.Parallel()
	srv := accountingServer(t)
	for range 3 {
		postInvoice(t, srv.URL, "order-1-invoice", "order-1")
	}
	records, _ := srv.Mock.Store().Snapshot("invoices")
	if len(records) != 3 {
		t.Fatalf("%d invoices, want 3 without idempotency", len(records))
	}
}

func TestIdempotencyKeysExpireAndAreScopedByCredential(t *testing.T) {
	t.Parallel()
	var clockMu sync.Mutex
	now := time.Now()
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	srv := accountingServer(t, WithIdempotency(toolkit.IdempotencyOptions{Window: time.Hour, Now: clock}))
	postInvoice(t, srv.URL, "k-12345678", "order-1")
	// Another credential with the same key is another request.
	body := `{"reference":"order-1","customer_email":"ada@example.com","amount_cents":4990,"currency":"EUR"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/invoices", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_other")
	req.Header.Set("Idempotency-Key", "k-12345678")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(toolkit.ReplayedHeader) != "" {
		t.Error("a key of one credential was replayed to another")
	}
	clockMu.Lock()
	now = now.Add(2 * time.Hour)
	clockMu.Unlock()
	if _, h, _ := postInvoice(t, srv.URL, "k-12345678", "order-1"); h.Get(toolkit.ReplayedHeader) != "" {
		t.Error("an expired key was replayed")
	}
	records, _ := srv.Mock.Store().Snapshot("invoices")
	if len(records) != 3 {
		t.Errorf("%d invoices, want 3 (first, other credential, after expiry)", len(records))
	}
	if _, err := toolkit.NewIdempotency(toolkit.IdempotencyOptions{MismatchStatus: 200}); err == nil {
		t.Error("a 2xx mismatch status must be refused")
	}
}

// TestShortCircuitedRequestsAreJudged: answers a stage gives before
// validation (replays, in-flight conflicts) still record whether the
// request conformed, so the conformance gate does not count them as broken.
func TestShortCircuitedRequestsAreJudged(t *testing.T) {
	t.Parallel()
	srv := accountingServer(t, WithIdempotency(toolkit.IdempotencyOptions{}))
	postInvoice(t, srv.URL, "order-9-invoice", "order-9")
	if status, h, _ := postInvoice(t, srv.URL, "order-9-invoice", "order-9"); h.Get(toolkit.ReplayedHeader) != "true" {
		t.Fatalf("no replay: %d", status)
	}
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if !e.Valid || len(e.Violations) > 0 {
			t.Errorf("entry %d (replayed %v) recorded as invalid: %v", e.Seq, e.Replayed, e.Violations)
		}
	}
	// Negative control: a replayed request that breaks the contract (no
	// bearer token) is still recorded as broken.
	body := `{"reference":"order-9","customer_email":"ada@example.com","amount_cents":4990,"currency":"EUR"}`
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/invoices", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "no-token-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	broken := 0
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if !e.Valid && len(e.Violations) > 0 {
			broken++
		}
	}
	if broken != 2 {
		t.Errorf("%d entries recorded as broken, want the 2 without credentials", broken)
	}
}

// TestParseIdempotency reads the command line's and the scenario's form,
// and the settings reach the wire: a key reused with another body gets the
// status asked for, and a key is forgotten after the window.
func TestParseIdempotency(t *testing.T) {
	t.Parallel()
	o, err := toolkit.ParseIdempotency(" Idempotency-Key , window=1h, mismatch=400")
	if err != nil || o.Header != "Idempotency-Key" || o.Window != time.Hour || o.MismatchStatus != 400 {
		t.Fatalf("%+v %v", o, err)
	}
	for in, want := range map[string]string{
		"":               `"" is not a header name`,
		"Idem Key":       `"Idem Key" is not a header name`,
		"K,window=-1h":   `window "-1h"`,
		"K,window=soon":  `window "soon"`,
		"K,mismatch=200": `mismatch "200" is not a 4xx`,
		"K,ttl=1h":       `unknown setting "ttl"`,
	} {
		if _, err := toolkit.ParseIdempotency(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseIdempotency(%q) = %v, want an error naming %s", in, err, want)
		}
	}
	clock := newVendorClock()
	o, _ = toolkit.ParseIdempotency("Idempotency-Key,window=1m,mismatch=409")
	o.Now = clock.Now
	srv := accountingServer(t, WithIdempotency(o))
	if status, _, _ := postInvoice(t, srv.URL, "invoice-key-1", "order-1"); status != http.StatusCreated {
		t.Fatalf("first: %d", status)
	}
	if status, _, _ := postInvoice(t, srv.URL, "invoice-key-1", "order-2"); status != http.StatusConflict {
		t.Errorf("key reused with another body: %d, want the 409 asked for", status)
	}
	clock.Advance(2 * time.Minute)
	if status, header, _ := postInvoice(t, srv.URL, "invoice-key-1", "order-2"); status != http.StatusCreated || header.Get(toolkit.ReplayedHeader) != "" {
		t.Errorf("after the window: %d replayed=%q, want a new 201", status, header.Get(toolkit.ReplayedHeader))
	}
}
