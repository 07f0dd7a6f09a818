package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// sign makes Standard Webhooks headers for body.
func sign(t testing.TB, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(testSecret[len("whsec_"):])
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", id, ts.Unix(), body)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}

// vendor is a fake vendor that records every call and answers with script
// (one entry per call, the last repeating).
type vendor struct {
	mu     sync.Mutex
	calls  []call
	script []func(w http.ResponseWriter)
}

type call struct {
	at   time.Time
	key  string
	body []byte
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	v.calls = append(v.calls, call{at: time.Now(), key: r.Header.Get("Idempotency-Key"), body: body})
	n := len(v.calls)
	answer := v.script[min(n, len(v.script))-1]
	v.mu.Unlock()
	answer(w)
}

func (v *vendor) snapshot() []call {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]call(nil), v.calls...)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"id":"x","data":{"upsertCustomer":{"created":true}}}`))
	}
}

func hang(d time.Duration) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { time.Sleep(d); status(201)(w) }
}

// harness runs the service against two fake vendors.
type harness struct {
	svc        *service
	url        string
	accounting *vendor
	crm        *vendor
}

func newHarness(t *testing.T, p policy, acct, crmScript []func(http.ResponseWriter)) *harness {
	t.Helper()
	h := &harness{accounting: &vendor{script: acct}, crm: &vendor{script: crmScript}}
	acctSrv := httptest.NewServer(h.accounting)
	crmSrv := httptest.NewServer(h.crm)
	t.Cleanup(acctSrv.Close)
	t.Cleanup(crmSrv.Close)
	cfg := config{WebhookSecret: testSecret, AccountingURL: acctSrv.URL, CRMURL: crmSrv.URL, Workers: 2, Policy: p, Naive: p.MaxAttempts == naivePolicy.MaxAttempts && !p.IdempotencyKeys}
	h.svc = newService(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h.svc.routes())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := h.svc.start(ctx)
	t.Cleanup(func() { cancel(); <-done })
	h.url = srv.URL
	return h
}

func (h *harness) post(t *testing.T, id string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/orders", bytes.NewReader(body))
	req.Header = sign(t, id, time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func orderEvent(id, total string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "order.created", "data": map[string]any{
		"id": id, "total_price": total, "currency": "EUR",
		"customer": map[string]any{"email": "ada@example.com", "first_name": "Ada"},
	}})
	return b
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fast(p policy) policy {
	p.BackoffBase, p.BackoffCap = 20*time.Millisecond, 400*time.Millisecond
	p.Timeout = 300 * time.Millisecond
	p.BreakerCooldown, p.DLQRetryEvery = 300*time.Millisecond, 100*time.Millisecond
	return p
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fast(carefulPolicy), []func(http.ResponseWriter){status(201)}, []func(http.ResponseWriter){status(200)})
	body := orderEvent("o-1", "49.90")
	if got := h.post(t, "msg_1", body); got != http.StatusAccepted {
		t.Fatalf("signed webhook: %d, want 202", got)
	}
	if got := h.post(t, "msg_1", body); got != http.StatusOK {
		t.Errorf("redelivered webhook: %d, want 200 (taken once)", got)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/orders", bytes.NewReader(orderEvent("o-2", "1.00")))
	req.Header = sign(t, "msg_2", time.Now(), body) // signature of another body
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered body: %d, want 401", resp.StatusCode)
	}
	if err := verifyStandardWebhook(testSecret, "m", strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10), "v1,AAAA", body, time.Now()); err == nil {
		t.Error("an hour-old webhook must be refused")
	}
	waitFor(t, 2*time.Second, "one invoice", func() bool { return len(h.accounting.snapshot()) == 1 })
	var inv map[string]any
	_ = json.Unmarshal(h.accounting.snapshot()[0].body, &inv)
	if inv["amount_cents"] != float64(4990) || inv["reference"] != "o-1" {
		t.Errorf("invoice mapped wrong: %v", inv)
	}
}

func TestRetriesBackOffReuseKeyAndHonourRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fast(carefulPolicy),
		[]func(http.ResponseWriter){status(503), status(502), status(429, "Retry-After", "1"), status(201)},
		[]func(http.ResponseWriter){status(200)})
	h.post(t, "msg_1", orderEvent("o-1", "10.00"))
	waitFor(t, 5*time.Second, "four attempts", func() bool { return len(h.accounting.snapshot()) == 4 })
	calls := h.accounting.snapshot()
	for i, c := range calls {
		if c.key != "order-o-1-invoice" {
			t.Errorf("attempt %d sent key %q: a retried write must reuse its key", i+1, c.key)
		}
	}
	// Equal jitter waits at least half the doubled backoff: 10ms, then
	// 20ms with fast(). Scheduling can only add to a wait, so the floors
	// are what a loaded machine cannot break; comparing the two gaps can.
	gap1, gap2 := calls[1].at.Sub(calls[0].at), calls[2].at.Sub(calls[1].at)
	if gap1 < 10*time.Millisecond || gap2 < 20*time.Millisecond {
		t.Errorf("backoff did not grow: %v then %v, want at least 10ms then 20ms", gap1, gap2)
	}
	if gap3 := calls[3].at.Sub(calls[2].at); gap3 < time.Second {
		t.Errorf("Retry-After: 1 was not honoured: next attempt after %v", gap3)
	}
}

func TestBreakerOpensAndDeadLettersDrainAfterRecovery(t *testing.T) {
	t.Parallel()
	p := fast(carefulPolicy)
	p.MaxAttempts = 2
	var down sync.Mutex
	outage := true
	acct := func(w http.ResponseWriter) {
		down.Lock()
		o := outage
		down.Unlock()
		if o {
			status(503)(w)
			return
		}
		status(201)(w)
	}
	h := newHarness(t, p, []func(http.ResponseWriter){acct}, []func(http.ResponseWriter){status(200)})
	for i := range 20 {
		h.post(t, fmt.Sprintf("msg_%d", i), orderEvent(fmt.Sprintf("o-%d", i), "5.00"))
	}
	waitFor(t, 5*time.Second, "breaker open", func() bool { return h.svc.breakers["accounting"].state() == "open" })
	time.Sleep(200 * time.Millisecond)
	// 20 orders with 2 attempts each would be 40 calls without a breaker.
	if n := len(h.accounting.snapshot()); n >= 40 {
		t.Errorf("the breaker did not stop the calls: %d calls during the outage", n)
	}
	resp, err := http.Get(h.url + "/dlq")
	if err != nil {
		t.Fatal(err)
	}
	var dlq struct {
		DeadLetters []job `json:"dead_letters"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&dlq)
	resp.Body.Close()
	if len(dlq.DeadLetters) == 0 {
		t.Fatal("no order parked in the dead-letter queue during the outage")
	}
	down.Lock()
	outage = false
	down.Unlock()
	waitFor(t, 10*time.Second, "every order delivered", func() bool {
		h.svc.mu.Lock()
		defer h.svc.mu.Unlock()
		return h.svc.delivered == 20 && len(h.svc.dlq) == 0
	})
}

func TestTimeoutBoundsEveryCall(t *testing.T) {
	t.Parallel()
	p := fast(carefulPolicy)
	p.MaxAttempts = 1
	h := newHarness(t, p, []func(http.ResponseWriter){hang(2 * time.Second)}, []func(http.ResponseWriter){status(200)})
	start := time.Now()
	h.post(t, "msg_1", orderEvent("o-1", "5.00"))
	waitFor(t, 3*time.Second, "the order parked", func() bool {
		h.svc.mu.Lock()
		defer h.svc.mu.Unlock()
		return len(h.svc.dlq) == 1
	})
	if took := time.Since(start); took > time.Second {
		t.Errorf("a hanging vendor held the call for %v; the timeout is %v", took, p.Timeout)
	}
}

// TestNaiveModeIsNaive is the negative control: the naive integration sends
// no keys, retries at once and keeps calling a failing vendor.
func TestNaiveModeIsNaive(t *testing.T) {
	t.Parallel()
	h := newHarness(t, naivePolicy, []func(http.ResponseWriter){status(503, "Retry-After", "5")}, []func(http.ResponseWriter){status(200)})
	h.post(t, "msg_1", orderEvent("o-1", "5.00"))
	waitFor(t, 2*time.Second, "three attempts", func() bool { return len(h.accounting.snapshot()) == 3 })
	calls := h.accounting.snapshot()
	if calls[0].key != "" {
		t.Errorf("naive mode sent an idempotency key %q", calls[0].key)
	}
	if gap := calls[2].at.Sub(calls[0].at); gap > time.Second {
		t.Errorf("naive mode waited %v: it must neither back off nor honour Retry-After", gap)
	}
	time.Sleep(100 * time.Millisecond)
	h.svc.mu.Lock()
	defer h.svc.mu.Unlock()
	if len(h.svc.dlq) != 0 {
		t.Error("naive mode has no dead-letter queue: the order is lost")
	}
}

func TestCents(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"49.90": 4990, "0.5": 50, "12": 1200, "0.01": 1} {
		if got, err := cents(in); err != nil || got != want {
			t.Errorf("cents(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.234", "abc", "-1.00", ""} {
		if _, err := cents(bad); err == nil {
			t.Errorf("cents(%q) accepted", bad)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SHOP_WEBHOOK_SECRET": testSecret, "ACCOUNTING_URL": "http://127.0.0.1:1", "CRM_URL": "http://127.0.0.1:2", "PORT": "9999"}
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.Addr != "127.0.0.1:9999" || cfg.Naive || !cfg.Policy.IdempotencyKeys {
		t.Fatalf("cfg %+v, err %v", cfg, err)
	}
	env["ORDERSYNC_NAIVE"] = "1"
	cfg, _ = configFromEnv(func(k string) string { return env[k] })
	if !cfg.Naive || cfg.Policy.IdempotencyKeys || cfg.Policy.BreakerThreshold != 0 {
		t.Errorf("naive cfg %+v", cfg)
	}
	for k, v := range map[string]string{"ORDERSYNC_COUNT_ORDERS": "1", "ORDERSYNC_RECONCILE_EVERY": "1s", "SHOP_URL": "http://127.0.0.1:3", "ORDERSYNC_DEFECT": "none"} {
		env[k] = v
	}
	cfg, err = configFromEnv(func(k string) string { return env[k] })
	if err != nil || !cfg.CountOrders || cfg.ReconcileEvery != time.Second || cfg.ReconcileLookback != 10*time.Minute || cfg.Defect != "" {
		t.Errorf("counting, polling cfg %+v, err %v", cfg, err)
	}
	for k, v := range map[string]string{"ORDERSYNC_DEFECT": "blind", "ORDERSYNC_RECONCILE_LOOKBACK": "soon", "SHOP_URL": ""} {
		was := env[k]
		env[k] = v
		if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(k, "SHOP_URL")) {
			t.Errorf("%s=%q: %v", k, v, err)
		}
		env[k] = was
	}
	delete(env, "CRM_URL")
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a missing CRM_URL must be refused")
	}
}

// TestRetryAfterHoldsEveryCallToTheVendor: after a 429 with Retry-After no
// worker calls that vendor before the time is up, and 429s do not open the
// breaker.
func TestRetryAfterHoldsEveryCallToTheVendor(t *testing.T) {
	t.Parallel()
	p := fast(carefulPolicy)
	p.BreakerThreshold = 2
	var mu sync.Mutex
	calls := 0
	acct := func(w http.ResponseWriter) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			status(429, "Retry-After", "1")(w)
			return
		}
		status(201)(w)
	}
	h := newHarness(t, p, []func(http.ResponseWriter){acct}, []func(http.ResponseWriter){status(200)})
	for i := range 4 {
		h.post(t, fmt.Sprintf("msg_%d", i), orderEvent(fmt.Sprintf("o-%d", i), "5.00"))
	}
	waitFor(t, 5*time.Second, "four invoices", func() bool { return len(h.accounting.snapshot()) >= 5 })
	got := h.accounting.snapshot()
	// Calls already in flight when the 429 was written may arrive just
	// after it; none may be sent once the client has read it.
	for _, c := range got[1:] {
		if gap := c.at.Sub(got[0].at); gap > 50*time.Millisecond && gap < time.Second {
			t.Errorf("a call came %v after the 429 that asked for 1s", gap)
		}
	}
	if st := h.svc.breakers["accounting"].state(); st != "closed" {
		t.Errorf("a 429 opened the breaker: %s", st)
	}
}
