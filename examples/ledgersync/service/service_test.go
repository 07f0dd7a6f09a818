package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

const testSecret = "whsec_ledgersync_test_secret"

// stripeHeader signs body as the processor does.
func stripeHeader(secret string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "."))
	mac.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func paymentEvent(paymentID string) []byte {
	b, _ := json.Marshal(map[string]any{"id": "evt_" + paymentID, "object": "event", "type": "payment.succeeded",
		"data": map[string]any{"object": map[string]any{"id": paymentID, "object": "payment"}}})
	return b
}

// call is one request a fake vendor received.
type call struct {
	at     time.Time
	method string
	path   string
	body   []byte
}

// answer is what a fake vendor writes: a status and headers; 2xx answers
// of entry writes echo the entry id.
type answer struct {
	status int
	header []string // name, value, ...
}

// fakeLedger answers account look-ups from accounts and entry writes from
// script (one answer per write, the last repeating).
type fakeLedger struct {
	mu       sync.Mutex
	writes   []call
	lookups  []call
	script   []answer
	accounts map[string]string // email → account id
}

func (l *fakeLedger) setScript(s ...answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.script = s
}

func (l *fakeLedger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := call{at: time.Now(), method: r.Method, path: r.URL.Path, body: body}
	w.Header().Set("Content-Type", "application/json")
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/accounts":
		l.lookups = append(l.lookups, c)
		data := []map[string]string{}
		if id, ok := l.accounts[r.URL.Query().Get("email")]; ok {
			data = append(data, map[string]string{"id": id, "email": r.URL.Query().Get("email")})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "has_more": false})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/entries/"):
		l.writes = append(l.writes, c)
		a := answer{status: http.StatusCreated}
		if len(l.script) > 0 {
			a = l.script[min(len(l.writes), len(l.script))-1]
		}
		for i := 0; i+1 < len(a.header); i += 2 {
			w.Header().Set(a.header[i], a.header[i+1])
		}
		w.WriteHeader(a.status)
		if a.status/100 == 2 {
			_ = json.NewEncoder(w).Encode(map[string]string{"id": strings.TrimPrefix(r.URL.Path, "/v1/entries/")})
		}
	default:
		http.NotFound(w, r)
	}
}

func (l *fakeLedger) entryWrites() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]call(nil), l.writes...)
}

// fakePayments serves every payment pay_* as succeeded, 49.90 EUR.
func fakePayments(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/v1/payments/")
	if r.Header.Get("Authorization") != "Bearer sk_test_fake" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !ok || !strings.HasPrefix(id, "pay_") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(payment{ID: id, Amount: 4990, Currency: "eur", Status: "succeeded",
		Customer: "cus_1", ReceiptEmail: "ada@example.com", Created: 1717243200})
}

// harness runs the service against the fakes.
type harness struct {
	svc    *service
	url    string
	ledger *fakeLedger
}

func fastConfig(d defect) config {
	cfg := config{
		WebhookSecret: testSecret, PaymentsKey: "sk_test_fake", LedgerToken: "tok", Workers: 2, Defect: d,
		Policy:       carefulPolicy,
		RedriveEvery: 50 * time.Millisecond, RedriveMinAge: 150 * time.Millisecond, SignatureSlack: 5 * time.Minute,
	}
	cfg.Policy.BackoffBase, cfg.Policy.BackoffCap = 20*time.Millisecond, 200*time.Millisecond
	cfg.Policy.Timeout, cfg.Policy.BreakerCooldown = 500*time.Millisecond, 300*time.Millisecond
	cfg.apply()
	return cfg
}

func newHarness(t *testing.T, cfg config, script ...answer) *harness {
	t.Helper()
	h := &harness{ledger: &fakeLedger{script: script, accounts: map[string]string{"ada@example.com": "acct_1"}}}
	ledgerSrv := httptest.NewServer(h.ledger)
	paymentsSrv := httptest.NewServer(http.HandlerFunc(fakePayments))
	t.Cleanup(ledgerSrv.Close)
	t.Cleanup(paymentsSrv.Close)
	cfg.LedgerURL, cfg.PaymentsURL = ledgerSrv.URL, paymentsSrv.URL
	h.svc = newService(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h.svc.routes())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := h.svc.start(ctx)
	t.Cleanup(func() { cancel(); <-done })
	h.url = srv.URL
	return h
}

// deliver posts a signed event and returns the status.
func (h *harness) deliver(t *testing.T, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/payments", bytes.NewReader(body))
	req.Header.Set("Stripe-Signature", stripeHeader(testSecret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) deadLetters(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(h.url + "/admin/dead-letters")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Count int          `json:"count"`
		Items []deadLetter `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Count != len(out.Items) {
		t.Fatalf("dead letters: %+v, %v", out, err)
	}
	return out.Count
}

func (h *harness) counts() (booked, lost int) {
	h.svc.mu.Lock()
	defer h.svc.mu.Unlock()
	return h.svc.booked, h.svc.lost
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBackoffGrowsUnderItsCeiling(t *testing.T) {
	t.Parallel()
	p := carefulPolicy
	want := []time.Duration{100, 200, 400, 800, 1600, 1600}
	for n, w := range want {
		if got := p.backoffCeiling(n + 1); got != w*time.Millisecond {
			t.Errorf("ceiling of retry %d = %v, want %v", n+1, got, w*time.Millisecond)
		}
		for range 200 {
			if d := p.backoff(n + 1); d < 0 || d > w*time.Millisecond {
				t.Fatalf("backoff of retry %d = %v, outside [0, %v]", n+1, d, w*time.Millisecond)
			}
		}
	}
	// Full jitter spreads the waits over the whole range.
	lo, hi := time.Hour, time.Duration(0)
	for range 500 {
		d := p.backoff(4)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > 100*time.Millisecond || hi < 700*time.Millisecond {
		t.Errorf("retry 4 waited from %v to %v: not full jitter over [0, 800ms]", lo, hi)
	}
}

func TestBreakerStates(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	b := newBreaker("ledger", policy{BreakerThreshold: 3, BreakerCooldown: time.Second})
	b.now = func() time.Time { return now }
	for i := range 3 {
		if !b.allow() {
			t.Fatalf("closed breaker refused call %d", i+1)
		}
		b.record(false)
	}
	if st := b.state(); st != "open" || b.allow() {
		t.Fatalf("after 3 failures: %s, allow %v; want open and refusing", st, b.allow())
	}
	now = now.Add(time.Second)
	if st := b.state(); st != "half-open" {
		t.Fatalf("after the cooldown: %s, want half-open", st)
	}
	if !b.allow() {
		t.Fatal("half-open breaker refused the probe")
	}
	if b.allow() {
		t.Fatal("half-open breaker let a second call through beside the probe")
	}
	b.record(false)
	if st := b.state(); st != "open" {
		t.Fatalf("failed probe: %s, want open again", st)
	}
	now = now.Add(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the second cooldown")
	}
	b.record(true)
	if st := b.state(); st != "closed" || !b.allow() {
		t.Fatalf("successful probe: %s, want closed", st)
	}
	none := newBreaker("ledger", policy{})
	for range 10 {
		none.record(false)
	}
	if !none.allow() || none.state() != "none" {
		t.Error("without a threshold there is no breaker")
	}
}

func TestCallDoesNotCountThrottlingTowardsTheBreaker(t *testing.T) {
	t.Parallel()
	p := policy{Timeout: time.Second, MaxAttempts: 4, BreakerThreshold: 2, BreakerCooldown: time.Minute}
	b := newBreaker("ledger", p)
	n := 0
	err := p.call(context.Background(), b, func(context.Context) error {
		n++
		return &vendorError{Vendor: "ledger", Status: http.StatusTooManyRequests}
	})
	if n != 4 || b.state() != "closed" {
		t.Errorf("4 throttled attempts: %d calls, breaker %s; want 4 calls and closed", n, b.state())
	}
	var ve *vendorError
	if !errors.As(err, &ve) {
		t.Errorf("err %v", err)
	}
	n = 0
	err = p.call(context.Background(), b, func(context.Context) error {
		n++
		return &vendorError{Vendor: "ledger", Status: http.StatusServiceUnavailable}
	})
	if n != 2 || !errors.Is(err, errBreakerOpen) {
		t.Errorf("503s: %d calls, err %v; want the breaker to stop the third", n, err)
	}
	n = 0
	_ = p.call(context.Background(), newBreaker("ledger", p), func(context.Context) error {
		n++
		return &vendorError{Vendor: "ledger", Status: http.StatusBadRequest}
	})
	if n != 1 {
		t.Errorf("a 400 was tried %d times; it is not retryable", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	} {
		if got, ok := parseRetryAfter(c.in, now); got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestVerifyStripeSignature(t *testing.T) {
	t.Parallel()
	now := time.Now()
	body := paymentEvent("pay_1")
	good := stripeHeader(testSecret, now, body)
	if err := verifyStripeSignature(testSecret, good, body, now, time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	rotated := good + ",v1=" + strings.Repeat("ab", 32) // during a secret roll, two signatures
	if err := verifyStripeSignature(testSecret, rotated, body, now, time.Minute); err != nil {
		t.Errorf("one matching v1 of two: %v", err)
	}
	for name, c := range map[string]struct {
		header string
		body   []byte
	}{
		"tampered body":  {good, paymentEvent("pay_2")},
		"other secret":   {stripeHeader("whsec_other", now, body), body},
		"an hour old":    {stripeHeader(testSecret, now.Add(-time.Hour), body), body},
		"no header":      {"", body},
		"no timestamp":   {"v1=" + strings.Repeat("00", 32), body},
		"no signature":   {"t=" + strconv.FormatInt(now.Unix(), 10), body},
		"v0 scheme only": {strings.Replace(good, "v1=", "v0=", 1), body},
	} {
		if err := verifyStripeSignature(testSecret, c.header, c.body, now, time.Minute); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"id":"evt_1","type":"payment.succeeded","data":{"object":{"id":"pay_1"}}}`,
		`{"id":"evt_1","type":"payment.succeeded","data":{"id":"pay_1","object":"payment"}}`,
	} {
		ev, err := parseEvent([]byte(body))
		if err != nil || ev.PaymentID != "pay_1" || ev.Type != "payment.succeeded" {
			t.Errorf("%s: %+v, %v", body, ev, err)
		}
	}
	for _, bad := range []string{`[]`, `{"id":"evt_1"}`, `{"type":"payment.succeeded","data":{"id":"cus_1"}}`, `{"type":"payment.succeeded","data":3}`} {
		if _, err := parseEvent([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestWebhookBooksEachPaymentOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig(defectNone))
	if got := h.deliver(t, paymentEvent("pay_1")); got != http.StatusAccepted {
		t.Fatalf("first event: %d, want 202", got)
	}
	if got := h.deliver(t, paymentEvent("pay_1")); got != http.StatusOK {
		t.Errorf("second event about the same payment: %d, want 200 (taken once)", got)
	}
	other, _ := json.Marshal(map[string]any{"id": "evt_x", "type": "customer.updated", "data": map[string]any{"id": "cus_1"}})
	if got := h.deliver(t, other); got != http.StatusOK {
		t.Errorf("an event the service does not book: %d, want 200", got)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/payments", bytes.NewReader(paymentEvent("pay_2")))
	req.Header.Set("Stripe-Signature", stripeHeader(testSecret, time.Now(), paymentEvent("pay_3")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged event: %d, want 401", resp.StatusCode)
	}
	waitFor(t, 2*time.Second, "the entry", func() bool { b, _ := h.counts(); return b == 1 })
	writes := h.ledger.entryWrites()
	if len(writes) != 1 || writes[0].path != "/v1/entries/pay_1" {
		t.Fatalf("writes %+v: want one PUT /v1/entries/pay_1", writes)
	}
	var e map[string]any
	_ = json.Unmarshal(writes[0].body, &e)
	want := map[string]any{"account_id": "acct_1", "amount_minor": float64(4990), "currency": "EUR", "payment_id": "pay_1", "booked_at": "2024-06-01T12:00:00Z"}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("entry %s = %v, want %v (entry %v)", k, e[k], v, e)
		}
	}
}

func TestRetriesBackOffAndHonourRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig(defectNone),
		answer{status: 503}, answer{status: 502}, answer{status: 429, header: []string{"Retry-After", "1"}}, answer{status: 200})
	h.deliver(t, paymentEvent("pay_1"))
	waitFor(t, 5*time.Second, "the entry", func() bool { b, _ := h.counts(); return b == 1 })
	w := h.ledger.entryWrites()
	if len(w) != 4 {
		t.Fatalf("%d writes, want 4", len(w))
	}
	for i, c := range w {
		if c.path != "/v1/entries/pay_1" || !bytes.Equal(c.body, w[0].body) {
			t.Errorf("attempt %d: %s %s: a retry must write the same entry under the same id", i+1, c.path, c.body)
		}
	}
	if gap := w[3].at.Sub(w[2].at); gap < time.Second {
		t.Errorf("Retry-After: 1 was not honoured: next attempt after %v", gap)
	}
}

func TestDeadLettersAreRedrivenAndCleared(t *testing.T) {
	t.Parallel()
	cfg := fastConfig(defectNone)
	cfg.Policy.MaxAttempts = 2
	h := newHarness(t, cfg, answer{status: 503})
	h.deliver(t, paymentEvent("pay_1"))
	waitFor(t, 2*time.Second, "the payment parked", func() bool { return h.deadLetters(t) == 1 })
	h.ledger.setScript(answer{status: 201})
	waitFor(t, 3*time.Second, "the payment booked and the queue empty", func() bool {
		b, _ := h.counts()
		return b == 1 && h.deadLetters(t) == 0
	})
	if n := h.svc.redrive(time.Now().Add(time.Hour)); n != 0 {
		t.Errorf("redrive found %d payments in an empty queue", n)
	}
}

func TestNoAccountParksThePayment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig(defectNone))
	h.ledger.mu.Lock()
	h.ledger.accounts = map[string]string{}
	h.ledger.mu.Unlock()
	h.deliver(t, paymentEvent("pay_1"))
	waitFor(t, 2*time.Second, "the payment parked", func() bool { return h.deadLetters(t) == 1 })
	if w := h.ledger.entryWrites(); len(w) != 0 {
		t.Errorf("an entry was written without an account: %+v", w)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PAYMENTS_URL": "http://127.0.0.1:1", "PAYMENTS_WEBHOOK_SECRET": testSecret, "LEDGER_URL": "http://127.0.0.1:2", "PORT": "9999"}
	get := func(k string) string { return env[k] }
	cfg, err := configFromEnv(get)
	if err != nil || cfg.Addr != "127.0.0.1:9999" || cfg.Defect != defectNone || cfg.Policy != carefulPolicy {
		t.Fatalf("cfg %+v, err %v", cfg, err)
	}
	env["LEDGERSYNC_DEFECT"] = "no-breaker"
	if cfg, err = configFromEnv(get); err != nil || cfg.Policy.BreakerThreshold != 0 {
		t.Errorf("no-breaker: %+v, %v", cfg.Policy, err)
	}
	env["LEDGERSYNC_DEFECT"] = "lose-everything"
	if _, err := configFromEnv(get); err == nil || !strings.Contains(err.Error(), "random-entry-id") {
		t.Errorf("an unknown defect: %v; want an error listing the known ones", err)
	}
	env["LEDGERSYNC_DEFECT"] = ""
	delete(env, "LEDGER_URL")
	if _, err := configFromEnv(get); err == nil || !strings.Contains(err.Error(), "LEDGER_URL") {
		t.Errorf("a missing LEDGER_URL: %v", err)
	}
}

// TestEachDefectChangesWhatItShould is the service's side of the negative
// controls: every defect switch breaks the one behaviour its gate judges.
func TestEachDefectChangesWhatItShould(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		defect defect
		script []answer
		check  func(t *testing.T, h *harness)
	}{
		{defectDropOnError, []answer{{status: 503}}, func(t *testing.T, h *harness) {
			waitFor(t, 3*time.Second, "the payment lost", func() bool { _, lost := h.counts(); return lost == 1 })
			if n := h.deadLetters(t); n != 0 {
				t.Errorf("%d dead letters: the defect drops instead of parking", n)
			}
		}},
		{defectRandomEntryID, []answer{{status: 503}, {status: 201}}, func(t *testing.T, h *harness) {
			waitFor(t, 3*time.Second, "two writes", func() bool { return len(h.ledger.entryWrites()) == 2 })
			w := h.ledger.entryWrites()
			if w[0].path == "/v1/entries/pay_1" || w[0].path == w[1].path {
				t.Errorf("writes to %s then %s: want a new id that is not the payment's each time", w[0].path, w[1].path)
			}
		}},
		{defectAmountMajor, nil, func(t *testing.T, h *harness) {
			waitFor(t, 3*time.Second, "one write", func() bool { return len(h.ledger.entryWrites()) == 1 })
			var e entry
			_ = json.Unmarshal(h.ledger.entryWrites()[0].body, &e)
			if e.AmountMinor != 49 {
				t.Errorf("amount_minor %d, want 49 (major units)", e.AmountMinor)
			}
		}},
		{defectNoBackoff, []answer{{status: 503}, {status: 503}, {status: 503}, {status: 201}}, func(t *testing.T, h *harness) {
			waitFor(t, 3*time.Second, "four writes", func() bool { return len(h.ledger.entryWrites()) == 4 })
			w := h.ledger.entryWrites()
			if gap := w[3].at.Sub(w[0].at); gap > 100*time.Millisecond {
				t.Errorf("three retries took %v: the defect retries at once", gap)
			}
			for n := range 6 {
				if d := h.svc.cfg.Policy.backoff(n + 1); d != 0 {
					t.Errorf("backoff of retry %d = %v, want 0", n+1, d)
				}
			}
		}},
		{defectIgnoreRetryAfter, []answer{{status: 429, header: []string{"Retry-After", "2"}}, {status: 201}}, func(t *testing.T, h *harness) {
			waitFor(t, 3*time.Second, "two writes", func() bool { return len(h.ledger.entryWrites()) == 2 })
			w := h.ledger.entryWrites()
			if gap := w[1].at.Sub(w[0].at); gap >= time.Second {
				t.Errorf("retried after %v: the defect ignores Retry-After: 2", gap)
			}
		}},
		{defectNoBreaker, []answer{{status: 503}}, func(t *testing.T, h *harness) {
			for i := range 3 {
				h.deliver(t, paymentEvent(fmt.Sprintf("pay_%d", i+2)))
			}
			// 4 payments × 6 attempts: a breaker at 8 failures would stop at 8.
			waitFor(t, 5*time.Second, "24 writes", func() bool { return len(h.ledger.entryWrites()) >= 24 })
			if st := h.svc.breakers["ledger"].state(); st != "none" {
				t.Errorf("breaker %s", st)
			}
		}},
		{defectStuckDeadLetters, []answer{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 201}}, func(t *testing.T, h *harness) {
			waitFor(t, 5*time.Second, "the redrive booked it", func() bool { b, _ := h.counts(); return b == 1 })
			time.Sleep(200 * time.Millisecond)
			if n := h.deadLetters(t); n != 1 {
				t.Errorf("%d dead letters after the redrive: the defect leaves the booked payment listed", n)
			}
			if n := len(h.ledger.entryWrites()); n != 7 {
				t.Errorf("%d writes: the stuck letter must not be redriven again", n)
			}
		}},
		{defectInvalidRequest, nil, func(t *testing.T, h *harness) {
			for i := range 3 {
				h.deliver(t, paymentEvent(fmt.Sprintf("pay_%d", i+2)))
			}
			waitFor(t, 3*time.Second, "four writes", func() bool { return len(h.ledger.entryWrites()) == 4 })
			without := 0
			for _, w := range h.ledger.entryWrites() {
				if !bytes.Contains(w.body, []byte(`"booked_at"`)) {
					without++
				}
			}
			if without != 1 {
				t.Errorf("%d of 4 writes lack booked_at, want 1", without)
			}
		}},
		{defectSlowWebhook, nil, func(t *testing.T, h *harness) {
			start := time.Now()
			h.deliver(t, paymentEvent("pay_9"))
			if took := time.Since(start); took < slowWebhookDelay {
				t.Errorf("the webhook answered in %v, want at least %v", took, slowWebhookDelay)
			}
		}},
	} {
		t.Run(string(c.defect), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, fastConfig(c.defect), c.script...)
			h.deliver(t, paymentEvent("pay_1"))
			c.check(t, h)
		})
	}
}

// TestCorrectServiceAnswersWebhooksFast is the control of slow-webhook.
func TestCorrectServiceAnswersWebhooksFast(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig(defectNone))
	start := time.Now()
	h.deliver(t, paymentEvent("pay_1"))
	if took := time.Since(start); took >= slowWebhookDelay/2 {
		t.Errorf("the webhook took %v", took)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"payment.succeeded","data":{"object":{"id":"pay_1"}}}`))
	f.Add([]byte(`{"type":"payment.succeeded","data":{"id":"pay_1"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseEvent(body)
		if err == nil && strings.HasPrefix(ev.Type, "payment.") && !strings.HasPrefix(ev.PaymentID, "pay_") {
			t.Errorf("accepted a payment event without a payment: %+v", ev)
		}
	})
}
