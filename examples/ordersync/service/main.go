// Command ordersync is the example integration firedrill's scenarios test:
// the shop sends an order webhook (signed as Standard Webhooks says); the
// service upserts the customer in the CRM (GraphQL) and creates an invoice
// in accounting (REST, with an Idempotency-Key).
//
// It is written the way a careful team writes an integration: every vendor
// call has a timeout, failed calls are retried with exponential backoff and
// jitter, Retry-After is honoured, a circuit breaker stops hammering a vendor
// that keeps failing, and orders that cannot be delivered are parked in a
// dead-letter queue that is retried later and exposed at GET /dlq.
//
// ORDERSYNC_NAIVE=1 turns all of that off (no idempotency keys, immediate
// blind retries after a one-second timeout, no breaker, no Retry-After, no
// dead-letter queue): the integration many teams ship first, which the same scenarios
// must catch.
//
// ORDERSYNC_COUNT_ORDERS=1 keeps each customer's order count in the CRM:
// found by the CRM's search argument, raised with compare-and-set
// (crmcount.go). SHOP_URL with ORDERSYNC_RECONCILE_EVERY (a duration) turns
// on the reconciliation poll that takes the orders no webhook brought
// (reconcile.go). ORDERSYNC_DEFECT plants one defect for the drills to
// catch: search-unfiltered, blind-count, count-items or
// watermark-no-lookback.
//
// Environment: PORT (default 8080), LISTEN_HOST (default 127.0.0.1),
// SHOP_WEBHOOK_SECRET (whsec_...), ACCOUNTING_URL, ACCOUNTING_TOKEN, CRM_URL,
// CRM_TOKEN, ORDERSYNC_NAIVE, ORDERSYNC_WORKERS, ORDERSYNC_COUNT_ORDERS,
// SHOP_URL, SHOP_API_KEY, ORDERSYNC_RECONCILE_EVERY,
// ORDERSYNC_RECONCILE_LOOKBACK, ORDERSYNC_DEFECT.
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
	"slices"
	"strconv"
	"syscall"
	"time"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		logger.Error("ordersync: bad configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("ordersync: stopped", "err", err)
		os.Exit(1)
	}
}

// config is what the service reads from its environment.
type config struct {
	Addr            string
	WebhookSecret   string
	AccountingURL   string
	AccountingToken string
	CRMURL          string
	CRMToken        string
	Naive           bool
	Workers         int
	Policy          policy
	// CountOrders keeps each customer's order count in the CRM.
	CountOrders bool
	// ShopURL and ShopToken reach the shop's Admin API for the poll.
	ShopURL, ShopToken string
	// ReconcileEvery is the poll's period; 0: no poll.
	ReconcileEvery time.Duration
	// ReconcileLookback is how far behind its watermark the poll reads.
	ReconcileLookback time.Duration
	// Defect is the planted defect, "" for none.
	Defect string
}

// defects are the ORDERSYNC_DEFECT values.
var defects = []string{"search-unfiltered", "blind-count", "count-items", "watermark-no-lookback"}

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
		Addr:              net.JoinHostPort(host, port),
		WebhookSecret:     getenv("SHOP_WEBHOOK_SECRET"),
		AccountingURL:     getenv("ACCOUNTING_URL"),
		AccountingToken:   getenv("ACCOUNTING_TOKEN"),
		CRMURL:            getenv("CRM_URL"),
		CRMToken:          getenv("CRM_TOKEN"),
		Naive:             getenv("ORDERSYNC_NAIVE") == "1",
		Workers:           8,
		CountOrders:       getenv("ORDERSYNC_COUNT_ORDERS") == "1",
		ShopURL:           getenv("SHOP_URL"),
		ShopToken:         getenv("SHOP_API_KEY"),
		Defect:            getenv("ORDERSYNC_DEFECT"),
		ReconcileLookback: 10 * time.Minute,
	}
	if cfg.Defect == "none" {
		cfg.Defect = ""
	}
	if cfg.Defect != "" && !slices.Contains(defects, cfg.Defect) {
		return cfg, fmt.Errorf("ORDERSYNC_DEFECT=%q is none of %v", cfg.Defect, defects)
	}
	for name, d := range map[string]*time.Duration{"ORDERSYNC_RECONCILE_EVERY": &cfg.ReconcileEvery, "ORDERSYNC_RECONCILE_LOOKBACK": &cfg.ReconcileLookback} {
		if v := getenv(name); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil || p < 0 {
				return cfg, fmt.Errorf("%s=%q is not a duration", name, v)
			}
			*d = p
		}
	}
	if cfg.ReconcileEvery > 0 && cfg.ShopURL == "" {
		return cfg, errors.New("ORDERSYNC_RECONCILE_EVERY needs SHOP_URL, the shop the poll reads")
	}
	if w := getenv("ORDERSYNC_WORKERS"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("ORDERSYNC_WORKERS=%q is not a positive number", w)
		}
		cfg.Workers = n
	}
	var missing []string
	for name, v := range map[string]string{"SHOP_WEBHOOK_SECRET": cfg.WebhookSecret, "ACCOUNTING_URL": cfg.AccountingURL, "CRM_URL": cfg.CRMURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("missing environment: %v", missing)
	}
	cfg.Policy = carefulPolicy
	if cfg.Naive {
		cfg.Policy = naivePolicy
	}
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
	logger.Info("ordersync: listening", "addr", ln.Addr().String(), "naive", cfg.Naive)
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
