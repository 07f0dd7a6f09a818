package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// policy is how the service calls a vendor.
type policy struct {
	Timeout          time.Duration // per call
	MaxAttempts      int
	BackoffBase      time.Duration // first retry waits about this long
	BackoffCap       time.Duration // no wait is longer
	HonorRetryAfter  bool
	IdempotencyKeys  bool
	BreakerThreshold int           // consecutive failures that open the breaker; 0: no breaker
	BreakerCooldown  time.Duration // how long it stays open
	DeadLetters      bool          // park what cannot be delivered, retry it later
	DLQRetryEvery    time.Duration
}

var carefulPolicy = policy{
	Timeout:          2 * time.Second,
	MaxAttempts:      6,
	BackoffBase:      100 * time.Millisecond,
	BackoffCap:       5 * time.Second,
	HonorRetryAfter:  true,
	IdempotencyKeys:  true,
	BreakerThreshold: 5,
	BreakerCooldown:  3 * time.Second,
	DeadLetters:      true,
	DLQRetryEvery:    2 * time.Second,
}

// naivePolicy is the integration shipped without thinking about failure:
// a client's default one-second timeout, blind immediate retries, no keys,
// no breaker, no dead-letter queue.
var naivePolicy = policy{
	Timeout:     time.Second,
	MaxAttempts: 3,
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

// retryable says whether another attempt may succeed.
func retryable(err error) bool {
	var ve *vendorError
	if errors.As(err, &ve) {
		return ve.Status == http.StatusTooManyRequests || ve.Status == http.StatusRequestTimeout ||
			ve.Status == http.StatusConflict || ve.Status >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTransport)
}

var errTransport = errors.New("transport")

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait before retry n (1-based): exponential with "equal
// jitter" (half fixed, half random), so waits grow and callers spread out.
func (p policy) backoff(n int) time.Duration {
	if p.BackoffBase <= 0 {
		return 0
	}
	d := p.BackoffBase << (n - 1)
	if d > p.BackoffCap || d <= 0 {
		d = p.BackoffCap
	}
	half := d / 2
	return half + rand.N(half+1)
}

// call runs fn under the policy: a timeout per attempt, retries with
// backoff, Retry-After, and the vendor's breaker.
func (p policy) call(ctx context.Context, b *breaker, fn func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if p.HonorRetryAfter {
			// The vendor asked this client, not this request, to wait.
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
		throttled := errors.As(err, &ve) && ve.Status == http.StatusTooManyRequests
		// A 429 says "slower", not "down": it does not count towards the breaker.
		b.record(err == nil || !retryable(err) || throttled)
		if p.HonorRetryAfter && ve != nil && ve.RetryAfter > 0 {
			b.holdFor(ve.RetryAfter)
		}
		if err == nil || !retryable(err) || attempt >= p.MaxAttempts || ctx.Err() != nil {
			return err
		}
		wait := p.backoff(attempt)
		if p.HonorRetryAfter && ve != nil && ve.RetryAfter > wait {
			wait = ve.RetryAfter
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
	}
}

// breaker opens after threshold consecutive failures, stays open for
// cooldown, then lets one trial call through (half-open).
type breaker struct {
	name      string
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool      // a half-open trial is in flight
	notBefore time.Time // the vendor's Retry-After: no call to it before then
}

// holdFor stops every call to the vendor for d (a Retry-After it sent).
func (b *breaker) holdFor(d time.Duration) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.notBefore) {
		b.notBefore = until
	}
}

// pause waits until the vendor's Retry-After has passed.
func (b *breaker) pause(ctx context.Context) error {
	if b == nil {
		return nil
	}
	for {
		b.mu.Lock()
		wait := b.notBefore.Sub(b.now())
		b.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func newBreaker(name string, p policy) *breaker {
	return &breaker{name: name, threshold: p.BreakerThreshold, cooldown: p.BreakerCooldown, now: time.Now}
}

func (b *breaker) allow() bool {
	if b == nil || b.threshold <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if b.now().Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true
	return true
}

func (b *breaker) record(ok bool) {
	if b == nil || b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

func (b *breaker) state() string {
	if b == nil || b.threshold <= 0 {
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
