package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultReadRate is how many requests a second a drill's consistency
// checks send to a real system when drill.read_rate is not given.
const DefaultReadRate = 5.0

// Bounds of the waits a real system asks for with Retry-After.
const (
	maxRetryAfter     = time.Minute
	maxRetryAfterHits = 5
)

// readOnly is the transport a drill's consistency checks read real
// systems through: GET and HEAD only, to allow-listed hosts only, paced at
// a rate, and patient when the system answers 429 or 503 with a
// Retry-After.
type readOnly struct {
	next  http.RoundTripper
	allow *Drill
	every time.Duration // the least time between two requests
	// waited reports each Retry-After honoured, for the audit log.
	waited func(host string, d time.Duration)

	mu   sync.Mutex
	turn time.Time // when the next request may go
}

// readClient is the HTTP client of a drill's consistency checks: one
// per drill, so that every check shares its pace.
func (r *run) readClient() *http.Client {
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	if r.reads != nil {
		return r.reads
	}
	rate := DefaultReadRate
	if r.s.Drill.ReadRate.PerSecond() > 0 {
		rate = r.s.Drill.ReadRate.PerSecond()
	}
	t := &readOnly{next: http.DefaultTransport, allow: r.s.Drill, every: time.Duration(float64(time.Second) / rate),
		waited: func(host string, d time.Duration) {
			r.audit("read", host, "ok", fmt.Sprintf("honoured Retry-After: waited %s", d))
		}}
	r.reads = &http.Client{Transport: t, Timeout: 2 * maxRetryAfter}
	return r.reads
}

// RoundTrip sends req once its turn comes, and again after each
// Retry-After the system asks for (up to maxRetryAfterHits times).
func (t *readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return nil, fmt.Errorf("scenarios: a drill reads real systems read-only: %s %s refused", req.Method, req.URL.Redacted())
	}
	if !t.allow.Allows(req.URL.Hostname()) {
		return nil, fmt.Errorf("scenarios: %s is not on the drill's allow-list: read refused", req.URL.Hostname())
	}
	for hits := 0; ; hits++ {
		if err := t.wait(req.Context()); err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		d, ok := retryAfter(resp, time.Now())
		if !ok || hits == maxRetryAfterHits {
			return resp, nil
		}
		resp.Body.Close()
		t.waited(req.URL.Host, d)
		if err := sleep(req.Context(), d); err != nil {
			return nil, err
		}
	}
}

// wait holds a request until the pace allows it.
func (t *readOnly) wait(ctx context.Context) error {
	t.mu.Lock()
	now := time.Now()
	at := t.turn
	if at.Before(now) {
		at = now
	}
	t.turn = at.Add(t.every)
	t.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// retryAfter is how long a 429 or 503 asks the client to wait (seconds
// or an HTTP date), capped at maxRetryAfter; false when it asks nothing.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(at.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
