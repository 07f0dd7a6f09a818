package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// order is the part of the shop's order the service maps.
type order struct {
	ID         string `json:"id"`
	Number     int    `json:"number"`
	TotalPrice string `json:"total_price"`
	Currency   string `json:"currency"`
	Customer   struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"customer"`
	LineItems []struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	} `json:"line_items,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// cents turns the shop's decimal text ("49.90") into integer cents exactly.
func cents(amount string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(amount), ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %q has more than two decimals", amount)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 {
		return 0, fmt.Errorf("amount %q is not a decimal number", amount)
	}
	return w*100 + f, nil
}

// vendorClient sends JSON to one vendor.
type vendorClient struct {
	name  string
	base  string
	token string
	http  *http.Client
}

// post sends body and decodes a 2xx answer into out.
func (c *vendorClient) post(ctx context.Context, path string, header http.Header, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.base, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.do(req, out)
}

// do sends req and decodes a 2xx answer into out.
func (c *vendorClient) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", c.name, errTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w: %w", c.name, errTransport, err)
	}
	if resp.StatusCode/100 != 2 {
		return &vendorError{Vendor: c.name, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header, time.Now()), Detail: truncate(string(data), 200)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			// A 2xx with a body we cannot read: the write may have happened,
			// so it is retried under the same idempotency key.
			return fmt.Errorf("%s: unreadable answer: %w: %w", c.name, errTransport, err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// accounting creates invoices.
type accounting struct{ vendorClient }

// createInvoice bills an order. key, when set, makes retries safe.
func (a *accounting) createInvoice(ctx context.Context, o order, key string) error {
	amount, err := cents(o.TotalPrice)
	if err != nil {
		return &vendorError{Vendor: "ordersync", Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	}
	h := http.Header{}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	body := map[string]any{
		"reference":      o.ID,
		"customer_email": o.Customer.Email,
		"amount_cents":   amount,
		"currency":       o.Currency,
	}
	var invoice struct {
		ID string `json:"id"`
	}
	return a.post(ctx, "/invoices", h, body, &invoice)
}

// crm keeps customers.
type crm struct{ vendorClient }

// upsertCustomer creates or updates the order's customer by email.
func (c *crm) upsertCustomer(ctx context.Context, o order) error {
	_, err := c.upsert(ctx, o)
	return err
}
