// Command ledgersync is firedrill's second example integration: payments
// into a general ledger. The payment processor (a Stripe-like API, read-only
// for payments) POSTs a signed payment.succeeded event to
// /webhooks/payments; the service checks the Stripe-Signature, answers 202
// at once and queues the work. A worker then
//
//  1. fetches the payment from the payments API (the event is only a hint:
//     what is booked is what the API says),
//  2. looks the customer's ledger account up by email (accounts are opened
//     by the finance team; the service never creates one),
//  3. books the entry with PUT /v1/entries/{payment id}: the payment id is
//     the entry id, so a retry or a second event about the same payment
//     replaces the entry instead of booking it twice.
//
// Every vendor call has a timeout and is retried with exponential backoff
// and full jitter up to a give-up; Retry-After is honoured; a circuit
// breaker per vendor opens after consecutive failures and lets one probe
// through once it has cooled down. A payment that cannot be booked is
// parked in a dead-letter queue (GET /admin/dead-letters) and redriven
// periodically.
//
// LEDGERSYNC_DEFECT plants one defect (see defects.go), each made to fail
// one firedrill gate for its own reason: the proof that the gates tell a
// correct integration from a broken one.
//
// Environment: PORT (default 8080), LISTEN_HOST (default 127.0.0.1),
// PAYMENTS_URL, PAYMENTS_API_KEY, PAYMENTS_WEBHOOK_SECRET (whsec_...),
// LEDGER_URL, LEDGER_TOKEN, LEDGERSYNC_WORKERS (default 8),
// LEDGERSYNC_DEFECT.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		logger.Error("ledgersync: bad configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("ledgersync: stopped", "err", err)
		os.Exit(1)
	}
}

// config is what the service reads from its environment.
type config struct {
	Addr           string
	PaymentsURL    string
	PaymentsKey    string
	WebhookSecret  string
	LedgerURL      string
	LedgerToken    string
	Workers        int
	Defect         defect
	Policy         policy
	WebhookDelay   time.Duration // what the handler waits before answering (slow-webhook)
	RedriveEvery   time.Duration // how often the dead-letter queue is redriven
	RedriveMinAge  time.Duration // how long a payment stays parked before a redrive
	SignatureSlack time.Duration // how old a signed event may be
}

func configFromEnv(getenv func(string) string) (config, error) {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host := getenv("LISTEN_HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	cfg := config{
		Addr:           net.JoinHostPort(host, port),
		PaymentsURL:    getenv("PAYMENTS_URL"),
		PaymentsKey:    getenv("PAYMENTS_API_KEY"),
		WebhookSecret:  getenv("PAYMENTS_WEBHOOK_SECRET"),
		LedgerURL:      getenv("LEDGER_URL"),
		LedgerToken:    getenv("LEDGER_TOKEN"),
		Workers:        8,
		Policy:         carefulPolicy,
		RedriveEvery:   time.Second,
		RedriveMinAge:  2 * time.Second,
		SignatureSlack: 5 * time.Minute,
	}
	if w := getenv("LEDGERSYNC_WORKERS"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("LEDGERSYNC_WORKERS=%q is not a positive number", w)
		}
		cfg.Workers = n
	}
	d, err := parseDefect(getenv("LEDGERSYNC_DEFECT"))
	if err != nil {
		return cfg, fmt.Errorf("LEDGERSYNC_DEFECT: %w", err)
	}
	cfg.Defect = d
	var missing []string
	for _, v := range []struct{ name, value string }{
		{"PAYMENTS_URL", cfg.PaymentsURL}, {"PAYMENTS_WEBHOOK_SECRET", cfg.WebhookSecret}, {"LEDGER_URL", cfg.LedgerURL},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("missing environment: %v", missing)
	}
	cfg.apply()
	return cfg, nil
}

// serve runs the service until ctx ends, then drains in-flight work.
func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	svc := newService(cfg, logger)
	srv := &http.Server{Addr: cfg.Addr, Handler: svc.routes(), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	done := svc.start(workCtx)
	logger.Info("ledgersync: listening", "addr", ln.Addr().String(), "defect", string(cfg.Defect))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	stopWork()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
