package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// payment is the part of the processor's payment the service books.
type payment struct {
	ID           string `json:"id"`
	Amount       int64  `json:"amount"` // minor units
	Currency     string `json:"currency"`
	Status       string `json:"status"`
	Customer     string `json:"customer"`
	ReceiptEmail string `json:"receipt_email"`
	Created      int64  `json:"created"` // Unix seconds
}

// account is a ledger account.
type account struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// entry is what the service books for a payment.
type entry struct {
	AccountID   string `json:"account_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	PaymentID   string `json:"payment_id"`
	BookedAt    string `json:"booked_at,omitempty"` // required: only the invalid-request defect leaves it out
}

// entryFor maps a payment to its ledger entry: the amount stays in minor
// units, the currency goes upper case (the processor writes "eur", the
// ledger "EUR"), and the entry is dated when the payment was made, so a
// retried write carries the very same body.
func entryFor(p payment, acct account, d defect) entry {
	e := entry{
		AccountID:   acct.ID,
		AmountMinor: p.Amount,
		Currency:    strings.ToUpper(p.Currency),
		PaymentID:   p.ID,
		BookedAt:    time.Unix(p.Created, 0).UTC().Format(time.RFC3339),
	}
	if d == defectAmountMajor {
		e.AmountMinor = p.Amount / 100
	}
	return e
}

// vendorClient speaks JSON to one vendor.
type vendorClient struct {
	name  string
	base  string
	token string
	http  *http.Client
}

// do sends a request and decodes a 2xx answer into out. An answer that
// cannot be read whole is a transport failure: the write it answers may
// have happened, and a retry of an idempotent write is safe.
func (c *vendorClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		payload, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", c.name, err)
		}
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
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
		ra, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return &vendorError{Vendor: c.name, Status: resp.StatusCode, RetryAfter: ra, Detail: truncate(string(data), 200)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
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

// payments reads the processor's payments.
type payments struct{ vendorClient }

func (p *payments) get(ctx context.Context, id string) (payment, error) {
	var out payment
	err := p.do(ctx, http.MethodGet, "/v1/payments/"+url.PathEscape(id), nil, &out)
	return out, err
}

// errNoAccount is a permanent failure: the customer has no ledger account.
var errNoAccount = errors.New("no ledger account")

// ledger looks accounts up and books entries.
type ledger struct{ vendorClient }

// accountByEmail finds the account of a customer. No account is a
// vendorError 404-alike: not retryable, the payment is parked.
func (l *ledger) accountByEmail(ctx context.Context, email string) (account, error) {
	var page struct {
		Data []account `json:"data"`
	}
	if err := l.do(ctx, http.MethodGet, "/v1/accounts?email="+url.QueryEscape(email), nil, &page); err != nil {
		return account{}, err
	}
	for _, a := range page.Data {
		if strings.EqualFold(a.Email, email) {
			return a, nil
		}
	}
	return account{}, fmt.Errorf("%w for %s", errNoAccount, email)
}

// putEntry books e under id: 201 when new, 200 when it replaced the entry
// already booked under that id.
func (l *ledger) putEntry(ctx context.Context, id string, e entry) error {
	var out struct {
		ID string `json:"id"`
	}
	if err := l.do(ctx, http.MethodPut, "/v1/entries/"+url.PathEscape(id), e, &out); err != nil {
		return err
	}
	if out.ID != id {
		return fmt.Errorf("ledger: booked under %q, asked for %q: %w", out.ID, id, errTransport)
	}
	return nil
}
