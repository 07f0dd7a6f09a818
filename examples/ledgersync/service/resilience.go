package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// policy is how the service calls a vendor.
type policy struct {
	Timeout          time.Duration // per call
	MaxAttempts      int           // then the payment is parked
	BackoffBase      time.Duration // the first retry waits up to this long; 0: retry at once
	BackoffCap       time.Duration // no wait is longer
	HonorRetryAfter  bool
	BreakerThreshold int           // consecutive failures that open the breaker; 0: no breaker
	BreakerCooldown  time.Duration // how long it stays open before a probe
}

var carefulPolicy = policy{
	Timeout:          2 * time.Second,
	MaxAttempts:      6,
	BackoffBase:      100 * time.Millisecond,
	BackoffCap:       1600 * time.Millisecond,
	HonorRetryAfter:  true,
	BreakerThreshold: 8,
	BreakerCooldown:  time.Second,
}

// vendorError is an answer a vendor gave that is not a success.
type vendorError struct {
	Vendor     string
	Status     int
	RetryAfter time.Duration
	Detail     string
}

func (e *vendorError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.Vendor, e.Status, e.Detail)
}

// errBreakerOpen is returned without calling a vendor whose breaker is open.
var errBreakerOpen = errors.New("circuit breaker open")

// errTransport marks failures on the way: no answer, or an answer cut short.
var errTransport = errors.New("transport")

// retryable says whether another attempt may succeed.
func retryable(err error) bool {
	var ve *vendorError
	if errors.As(err, &ve) {
		return ve.Status == http.StatusTooManyRequests || ve.Status == http.StatusRequestTimeout || ve.Status >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTransport)
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// It reports false for an absent or unreadable value.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoffCeiling is the longest wait before retry n (1-based):
// BackoffBase doubled per retry, up to BackoffCap.
func (p policy) backoffCeiling(n int) time.Duration {
	if p.BackoffBase <= 0 {
		return 0
	}
	d := p.BackoffBase
	for i := 1; i < n && d < p.BackoffCap; i++ {
		d *= 2
	}
	return min(d, p.BackoffCap)
}

// backoff is the wait before retry n: "full jitter", anywhere between zero
// and the ceiling, so that clients that failed together retry apart.
func (p policy) backoff(n int) time.Duration {
	c := p.backoffCeiling(n)
	if c <= 0 {
		return 0
	}
	return rand.N(c + 1)
}

// call runs fn under the policy: a timeout per attempt, retries with
// backoff up to MaxAttempts, Retry-After, and the vendor's breaker. It
// returns the last error; errBreakerOpen when the breaker refused a call.
func (p policy) call(ctx context.Context, b *breaker, fn func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if p.HonorRetryAfter {
			// The vendor asked this client, not one request, to wait.
			if err := b.pause(ctx); err != nil {
				return err
			}
		}
		if !b.allow() {
			return fmt.Errorf("%s: %w", b.name, errBreakerOpen)
		}
		callCtx, cancel := context.WithTimeout(ctx, p.Timeout)
		err = fn(callCtx)
		cancel()
		var ve *vendorError
		isVendor := errors.As(err, &ve)
		throttled := isVendor && ve.Status == http.StatusTooManyRequests
		// A 429 says "slower", not "down"; a 4xx is this request's fault.
		b.record(err == nil || !retryable(err) || throttled)
		if p.HonorRetryAfter && isVendor && ve.RetryAfter > 0 {
			b.holdFor(ve.RetryAfter)
		}
		if err == nil || !retryable(err) || attempt >= p.MaxAttempts || ctx.Err() != nil {
			return err
		}
		wait := p.backoff(attempt)
		if p.HonorRetryAfter && isVendor && ve.RetryAfter > wait {
			wait = ve.RetryAfter
		}
		if !sleep(ctx, wait) {
			return err
		}
	}
}

// sleep waits d unless ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// breaker opens after threshold consecutive failures, stays open for
// cooldown, then lets one probe through (half-open): a success closes it,
// a failure opens it again. It also keeps the vendor's Retry-After: no
// call goes out before the time the vendor named.
type breaker struct {
	name      string
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool      // the half-open probe is in flight
	notBefore time.Time // the vendor's Retry-After
}

func newBreaker(name string, p policy) *breaker {
	return &breaker{name: name, threshold: p.BreakerThreshold, cooldown: p.BreakerCooldown, now: time.Now}
}

// holdFor stops every call to the vendor for d.
func (b *breaker) holdFor(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.notBefore) {
		b.notBefore = until
	}
}

// pause waits until the vendor's Retry-After has passed.
func (b *breaker) pause(ctx context.Context) error {
	for {
		b.mu.Lock()
		wait := b.notBefore.Sub(b.now())
		b.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// allow says whether a call may go out now.
func (b *breaker) allow() bool {
	if b.threshold <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if b.now().Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

// record notes how a call that allow let through ended.
func (b *breaker) record(ok bool) {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// state is "closed", "open", "half-open" or, without a breaker, "none".
func (b *breaker) state() string {
	if b.threshold <= 0 {
		return "none"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.failures < b.threshold:
		return "closed"
	case b.now().Before(b.openUntil):
		return "open"
	}
	return "half-open"
}
