package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// job is one order to deliver to the vendors.
type job struct {
	Order     order     `json:"order"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	ParkedAt  time.Time `json:"parked_at,omitempty"`
}

// service receives order webhooks and delivers them.
type service struct {
	cfg        config
	logger     *slog.Logger
	accounting *accounting
	crm        *crm
	shop       *shopClient
	breakers   map[string]*breaker
	queue      chan job

	mu        sync.Mutex
	seen      map[string]time.Time // webhook ids already taken, for deduplication
	dlq       []job
	inFlight  int
	delivered int
	counted   map[string]bool // orders counted in the CRM, or being counted
	taken     map[string]bool // orders taken by a webhook or the poll (poll on)
}

const queueSize = 10_000

func newService(cfg config, logger *slog.Logger) *service {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	return &service{
		cfg:        cfg,
		logger:     logger,
		accounting: &accounting{vendorClient{name: "accounting", base: cfg.AccountingURL, token: cfg.AccountingToken, http: client}},
		crm:        &crm{vendorClient{name: "crm", base: cfg.CRMURL, token: cfg.CRMToken, http: client}},
		shop:       &shopClient{vendorClient{name: "shop", base: cfg.ShopURL, token: cfg.ShopToken, http: client}},
		breakers: map[string]*breaker{
			"accounting": newBreaker("accounting", cfg.Policy),
			"crm":        newBreaker("crm", cfg.Policy),
		},
		queue:   make(chan job, queueSize),
		seen:    map[string]time.Time{},
		counted: map[string]bool{},
		taken:   map[string]bool{},
	}
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/orders", s.handleWebhook)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /dlq", s.handleDLQ)
	return mux
}

// start runs the workers and the dead-letter retry loop until ctx ends; the
// returned channel closes when they have all stopped.
func (s *service) start(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.queue:
					s.deliver(ctx, j)
				}
			}
		}()
	}
	if s.cfg.Policy.DeadLetters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(s.cfg.Policy.DLQRetryEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					s.retryDeadLetters()
				}
			}
		}()
	}
	if s.cfg.ReconcileEvery > 0 {
		wg.Go(func() { s.reconcile(ctx) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// deliver sends one order to the CRM, then to accounting.
func (s *service) deliver(ctx context.Context, j job) {
	s.mu.Lock()
	s.inFlight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	j.Attempts++
	p := s.cfg.Policy
	err := p.call(ctx, s.breakers["crm"], func(ctx context.Context) error {
		if s.cfg.CountOrders {
			return s.countOrder(ctx, j.Order)
		}
		return s.crm.upsertCustomer(ctx, j.Order)
	})
	if err == nil {
		key := ""
		if p.IdempotencyKeys {
			key = "order-" + j.Order.ID + "-invoice"
		}
		err = p.call(ctx, s.breakers["accounting"], func(ctx context.Context) error {
			return s.accounting.createInvoice(ctx, j.Order, key)
		})
	}
	if err == nil {
		s.mu.Lock()
		s.delivered++
		s.mu.Unlock()
		return
	}
	if !p.DeadLetters || ctx.Err() != nil && !errors.Is(err, errBreakerOpen) {
		s.logger.Error("ordersync: order lost", "order", j.Order.ID, "err", err)
		return
	}
	j.LastError, j.ParkedAt = err.Error(), time.Now()
	s.mu.Lock()
	s.dlq = append(s.dlq, j)
	s.mu.Unlock()
	s.logger.Warn("ordersync: order parked", "order", j.Order.ID, "err", err)
}

// retryDeadLetters puts parked orders back on the queue once no breaker is open.
func (s *service) retryDeadLetters() {
	for _, b := range s.breakers {
		if b.state() == "open" {
			return
		}
	}
	s.mu.Lock()
	parked := s.dlq
	s.dlq = nil
	s.mu.Unlock()
	for i, j := range parked {
		select {
		case s.queue <- j:
		default:
			s.mu.Lock()
			s.dlq = append(s.dlq, parked[i:]...)
			s.mu.Unlock()
			return
		}
	}
}

// maxWebhookAge bounds how old a signed webhook may be (replay protection).
const maxWebhookAge = 5 * time.Minute

func (s *service) handleWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	if err := verifyStandardWebhook(s.cfg.WebhookSecret, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, time.Now()); err != nil {
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	o, err := parseOrderEvent(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	_, dup := s.seen[id]
	if !dup {
		s.seen[id] = time.Now()
		s.forgetOldWebhooks()
	}
	s.mu.Unlock()
	if dup {
		w.WriteHeader(http.StatusOK) // a redelivery: already taken
		return
	}
	if !s.takeOrder(o.ID) {
		w.WriteHeader(http.StatusAccepted) // the poll found the order first
		return
	}
	select {
	case s.queue <- job{Order: o}:
		w.WriteHeader(http.StatusAccepted)
	default:
		s.mu.Lock()
		delete(s.seen, id) // not taken: the shop must deliver it again
		delete(s.taken, o.ID)
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "queue full", http.StatusServiceUnavailable)
	}
}

// forgetOldWebhooks drops ids older than the replay window; s.mu is held.
func (s *service) forgetOldWebhooks() {
	if len(s.seen) < 50_000 {
		return
	}
	cutoff := time.Now().Add(-2 * maxWebhookAge)
	for id, t := range s.seen {
		if t.Before(cutoff) {
			delete(s.seen, id)
		}
	}
}

// parseOrderEvent reads {type, data: order} or a bare order.
func parseOrderEvent(body []byte) (order, error) {
	var ev struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return order{}, fmt.Errorf("not JSON: %w", err)
	}
	raw := body
	if len(ev.Data) > 0 {
		raw = ev.Data
	}
	var o order
	if err := json.Unmarshal(raw, &o); err != nil {
		return order{}, fmt.Errorf("not an order: %w", err)
	}
	if o.ID == "" || o.Customer.Email == "" {
		return order{}, errors.New("an order needs id and customer.email")
	}
	return o, nil
}

// verifyStandardWebhook checks a signature as the Standard Webhooks
// specification defines it: base64 HMAC-SHA256 of "id.timestamp.body" with
// the secret (whsec_ + base64), in a space-separated list of "v1,<sig>".
func verifyStandardWebhook(secret, id, timestamp, signatures string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signatures == "" {
		return errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not a number")
	}
	if age := now.Sub(time.Unix(ts, 0)); age > maxWebhookAge || age < -maxWebhookAge {
		return fmt.Errorf("timestamp is %s away from now", age.Round(time.Second))
	}
	key := []byte(secret)
	if k, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err = base64.StdEncoding.DecodeString(k); err != nil {
			return errors.New("secret is not whsec_ followed by base64")
		}
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, timestamp)
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(signatures) {
		version, value, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

func (s *service) handleHealth(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	status := map[string]any{
		"status":       "ok",
		"queued":       len(s.queue),
		"in_flight":    s.inFlight,
		"delivered":    s.delivered,
		"dead_letters": len(s.dlq),
		"naive":        s.cfg.Naive,
	}
	s.mu.Unlock()
	breakers := map[string]string{}
	for name, b := range s.breakers {
		breakers[name] = b.state()
	}
	status["breakers"] = breakers
	writeJSON(w, http.StatusOK, status)
}

func (s *service) handleDLQ(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	parked := append([]job{}, s.dlq...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": parked})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
