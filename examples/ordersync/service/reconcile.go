package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The reconciliation poll (SHOP_URL and ORDERSYNC_RECONCILE_EVERY): a
// webhook can be lost, so the sync also lists the shop's orders changed
// since its watermark and takes those no webhook brought. The watermark is
// the latest updated_at the poll has seen, less a lookback
// (ORDERSYNC_RECONCILE_LOOKBACK, 10m by default): an order can arrive late
// with an older timestamp (written on another node, imported, a clock
// behind), and a watermark taken from the poll's own clock would pass it
// by for good. An order is taken once, whichever way it comes.

// reconcilePage is how many orders the poll asks for at a time.
const reconcilePage = 250

// reconcile polls the shop until ctx ends.
func (s *service) reconcile(ctx context.Context) {
	t := time.NewTicker(s.cfg.ReconcileEvery)
	defer t.Stop()
	var watermark time.Time // the latest updated_at seen
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		started := time.Now()
		since := watermark.Add(-s.cfg.ReconcileLookback)
		if watermark.IsZero() {
			since = time.Time{}
		}
		latest, err := s.pollOrders(ctx, since)
		if err != nil {
			s.logger.Warn("ordersync: reconciliation poll failed", "err", err)
			continue
		}
		switch {
		case s.cfg.Defect == "watermark-no-lookback":
			// The bug: the poll's own clock as the watermark, no lookback.
			watermark, s.cfg.ReconcileLookback = started, 0
		case latest.After(watermark):
			watermark = latest
		}
	}
}

// pollOrders takes the orders updated at or after since and returns the
// latest updated_at among them.
func (s *service) pollOrders(ctx context.Context, since time.Time) (time.Time, error) {
	var latest time.Time
	for offset := 0; ; offset += reconcilePage {
		q := url.Values{"limit": {strconv.Itoa(reconcilePage)}, "offset": {strconv.Itoa(offset)}}
		if !since.IsZero() {
			q.Set("updated_at_min", since.UTC().Format(time.RFC3339Nano))
		}
		var page struct {
			Orders []order `json:"orders"`
		}
		if err := s.shop.get(ctx, "/orders?"+q.Encode(), &page); err != nil {
			return latest, err
		}
		for _, o := range page.Orders {
			if o.UpdatedAt.After(latest) {
				latest = o.UpdatedAt
			}
			if s.takeOrder(o.ID) {
				select {
				case s.queue <- job{Order: o}: // waits for room: the poll must not drop work
				case <-ctx.Done():
					return latest, ctx.Err()
				}
			}
		}
		if len(page.Orders) < reconcilePage {
			return latest, nil
		}
	}
}

// takeOrder claims an order for delivery; false when a webhook or an
// earlier poll took it already. Only with the poll on: without it every
// webhook is its own delivery, as before.
func (s *service) takeOrder(id string) bool {
	if s.cfg.ReconcileEvery <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken[id] {
		return false
	}
	s.taken[id] = true
	return true
}

// shopClient reads the shop's Admin API.
type shopClient struct{ vendorClient }

// get decodes a 2xx answer of a GET into out.
func (c *shopClient) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.base, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("X-Shop-Key", c.token)
	}
	return c.do(req, out)
}
