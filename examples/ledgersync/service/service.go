package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// job is one payment to book.
type job struct {
	PaymentID string `json:"payment_id"`
	Redrive   bool   `json:"-"` // taken from the dead-letter queue
}

// deadLetter is a payment the service could not book, parked for a redrive.
type deadLetter struct {
	PaymentID string    `json:"payment_id"`
	Attempts  int       `json:"attempts"` // bookings tried
	LastError string    `json:"last_error"`
	ParkedAt  time.Time `json:"parked_at"`
	Redriving bool      `json:"redriving"` // back on the queue
}

// service receives payment events and books them in the ledger.
type service struct {
	cfg      config
	logger   *slog.Logger
	payments *payments
	ledger   *ledger
	breakers map[string]*breaker
	queue    chan job
	writes   atomic.Int64 // entry writes sent (the invalid-request defect spoils every fourth)

	mu       sync.Mutex
	known    map[string]time.Time // payments queued, parked or booked, for deduplication
	dlq      map[string]*deadLetter
	inFlight int
	booked   int
	lost     int
}

const queueSize = 10_000

func newService(cfg config, logger *slog.Logger) *service {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	return &service{
		cfg:      cfg,
		logger:   logger,
		payments: &payments{vendorClient{name: "payments", base: cfg.PaymentsURL, token: cfg.PaymentsKey, http: client}},
		ledger:   &ledger{vendorClient{name: "ledger", base: cfg.LedgerURL, token: cfg.LedgerToken, http: client}},
		breakers: map[string]*breaker{
			"payments": newBreaker("payments", cfg.Policy),
			"ledger":   newBreaker("ledger", cfg.Policy),
		},
		queue: make(chan job, queueSize),
		known: map[string]time.Time{},
		dlq:   map[string]*deadLetter{},
	}
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/payments", s.handleWebhook)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /admin/dead-letters", s.handleDeadLetters)
	return mux
}

// start runs the workers and the redrive loop until ctx ends; the returned
// channel closes when they have all stopped.
func (s *service) start(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.queue:
					s.book(ctx, j)
				}
			}
		})
	}
	wg.Go(func() {
		t := time.NewTicker(s.cfg.RedriveEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.redrive(time.Now())
			}
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// book books one payment: fetch it, find the account, write the entry.
func (s *service) book(ctx context.Context, j job) {
	s.mu.Lock()
	s.inFlight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	err := s.bookOnce(ctx, j.PaymentID)
	if err == nil {
		s.mu.Lock()
		s.booked++
		if j.Redrive && s.cfg.Defect != defectStuckDeadLetters {
			delete(s.dlq, j.PaymentID)
		}
		s.mu.Unlock()
		return
	}
	if ctx.Err() != nil && !errors.Is(err, errBreakerOpen) {
		s.park(j.PaymentID, err) // shutting down: parked, not lost
		return
	}
	if s.cfg.Defect == defectDropOnError {
		s.mu.Lock()
		s.lost++
		delete(s.dlq, j.PaymentID)
		s.mu.Unlock()
		s.logger.Error("ledgersync: payment lost", "payment", j.PaymentID, "err", err)
		return
	}
	s.park(j.PaymentID, err)
}

// errNotSucceeded: the payment the event named has not succeeded (yet).
var errNotSucceeded = errors.New("payment has not succeeded")

func (s *service) bookOnce(ctx context.Context, id string) error {
	p := s.cfg.Policy
	var pay payment
	err := p.call(ctx, s.breakers["payments"], func(ctx context.Context) (err error) {
		pay, err = s.payments.get(ctx, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("fetch payment: %w", err)
	}
	if pay.Status != "succeeded" {
		return fmt.Errorf("%s is %q: %w", id, pay.Status, errNotSucceeded)
	}
	var acct account
	err = p.call(ctx, s.breakers["ledger"], func(ctx context.Context) (err error) {
		acct, err = s.ledger.accountByEmail(ctx, pay.ReceiptEmail)
		return err
	})
	if err != nil {
		return fmt.Errorf("find account: %w", err)
	}
	e := entryFor(pay, acct, s.cfg.Defect)
	err = p.call(ctx, s.breakers["ledger"], func(ctx context.Context) error {
		entryID, body := pay.ID, e
		if s.cfg.Defect == defectRandomEntryID {
			entryID = "ent_" + randomHex(8) // a new id per write: a retry books again
		}
		if s.writes.Add(1)%4 == 0 && s.cfg.Defect == defectInvalidRequest {
			body.BookedAt = ""
		}
		return s.ledger.putEntry(ctx, entryID, body)
	})
	if err != nil {
		return fmt.Errorf("book entry: %w", err)
	}
	return nil
}

// park puts a payment in the dead-letter queue.
func (s *service) park(id string, err error) {
	s.mu.Lock()
	d := s.dlq[id]
	if d == nil {
		d = &deadLetter{PaymentID: id}
		s.dlq[id] = d
	}
	d.Attempts++
	d.LastError, d.ParkedAt, d.Redriving = err.Error(), time.Now(), false
	s.mu.Unlock()
	s.logger.Warn("ledgersync: payment parked", "payment", id, "err", err)
}

// redrive puts back on the queue the payments parked for at least
// RedriveMinAge, unless a breaker is open: they would only be parked
// again. The minimum age keeps a redrive apart from the retries that
// failed before it.
func (s *service) redrive(now time.Time) int {
	for _, b := range s.breakers {
		if b.state() == "open" {
			return 0
		}
	}
	s.mu.Lock()
	var ready []string
	for id, d := range s.dlq {
		if !d.Redriving && now.Sub(d.ParkedAt) >= s.cfg.RedriveMinAge {
			ready = append(ready, id)
		}
	}
	n := 0
	for _, id := range ready {
		select {
		case s.queue <- job{PaymentID: id, Redrive: true}:
			s.dlq[id].Redriving = true
			n++
		default:
		}
	}
	s.mu.Unlock()
	return n
}

func (s *service) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if s.cfg.WebhookDelay > 0 {
		time.Sleep(s.cfg.WebhookDelay)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := verifyStripeSignature(s.cfg.WebhookSecret, r.Header.Get("Stripe-Signature"), body, time.Now(), s.cfg.SignatureSlack); err != nil {
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	ev, err := parseEvent(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ev.Type != "payment.succeeded" {
		writeJSON(w, http.StatusOK, map[string]string{"ignored": ev.Type})
		return
	}
	// Deduplicate by payment, not by event: a processor may send several
	// events about one payment, and each of them at least once.
	s.mu.Lock()
	_, dup := s.known[ev.PaymentID]
	if !dup {
		s.known[ev.PaymentID] = time.Now()
		s.forgetOld()
	}
	s.mu.Unlock()
	if dup {
		writeJSON(w, http.StatusOK, map[string]string{"duplicate": ev.PaymentID})
		return
	}
	select {
	case s.queue <- job{PaymentID: ev.PaymentID}:
		writeJSON(w, http.StatusAccepted, map[string]string{"queued": ev.PaymentID})
	default:
		s.mu.Lock()
		delete(s.known, ev.PaymentID) // not taken: the processor must send it again
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "queue full", http.StatusServiceUnavailable)
	}
}

// forgetOld bounds the deduplication memory; s.mu is held. A payment
// forgotten and delivered again is booked again under its own id: the
// ledger replaces the entry.
func (s *service) forgetOld() {
	if len(s.known) < 100_000 {
		return
	}
	cutoff := time.Now().Add(-24 * time.Hour)
	for id, t := range s.known {
		if _, parked := s.dlq[id]; t.Before(cutoff) && !parked {
			delete(s.known, id)
		}
	}
}

// event is the part of a payment event the service reads.
type event struct {
	ID        string
	Type      string
	PaymentID string
}

// parseEvent reads {id, type, data} where data is the payment, or, as in
// Stripe's snapshot events, {object: payment}.
func parseEvent(body []byte) (event, error) {
	var raw struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return event{}, fmt.Errorf("not a JSON event: %w", err)
	}
	if raw.Type == "" {
		return event{}, errors.New("an event needs a type")
	}
	var data struct {
		ID     string          `json:"id"`
		Object json.RawMessage `json:"object"`
	}
	if len(raw.Data) > 0 {
		if err := json.Unmarshal(raw.Data, &data); err != nil {
			return event{}, fmt.Errorf("data is not an object: %w", err)
		}
	}
	if len(data.Object) > 0 && data.Object[0] == '{' {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(data.Object, &obj); err != nil {
			return event{}, fmt.Errorf("data.object is not an object: %w", err)
		}
		data.ID = obj.ID
	}
	ev := event{ID: raw.ID, Type: raw.Type, PaymentID: data.ID}
	if strings.HasPrefix(ev.Type, "payment.") && !strings.HasPrefix(ev.PaymentID, "pay_") {
		return event{}, fmt.Errorf("event %s names no payment (data.id %q)", ev.ID, ev.PaymentID)
	}
	return ev, nil
}

// verifyStripeSignature checks a Stripe-Signature header: "t=<unix>" and
// one or more "v1=<hex>", each an HMAC-SHA256 of "<t>.<body>" under the
// endpoint's signing secret (used as is, whsec_ prefix included). The
// timestamp must be within slack of now, against replays.
func verifyStripeSignature(secret, header string, body []byte, now time.Time, slack time.Duration) error {
	if header == "" {
		return errors.New("no Stripe-Signature header")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no timestamp (t=) in Stripe-Signature")
	}
	if age := now.Sub(time.Unix(unix, 0)); age > slack || age < -slack {
		return fmt.Errorf("timestamp is %s away from now", age.Round(time.Second))
	}
	if len(sigs) == 0 {
		return errors.New("no v1 signature in Stripe-Signature")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
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
		"booked":       s.booked,
		"lost":         s.lost,
		"dead_letters": len(s.dlq),
		"defect":       string(s.cfg.Defect),
	}
	s.mu.Unlock()
	breakers := map[string]string{}
	for name, b := range s.breakers {
		breakers[name] = b.state()
	}
	status["breakers"] = breakers
	writeJSON(w, http.StatusOK, status)
}

// handleDeadLetters lists the parked payments: {"count": N, "items": [...]}.
func (s *service) handleDeadLetters(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	items := make([]deadLetter, 0, len(s.dlq))
	for _, d := range s.dlq {
		items = append(items, *d)
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b deadLetter) int { return a.ParkedAt.Compare(b.ParkedAt) })
	writeJSON(w, http.StatusOK, map[string]any{"count": len(items), "items": items})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
