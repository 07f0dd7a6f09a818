package toolkit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// DefaultRateLimitBuckets bounds the credentials a rate limiter tracks at
// once; idle (full) buckets are dropped first. The header names default to
// DefaultRateLimitLimitHeader and its siblings, shared with the
// rate_limited fault.
const DefaultRateLimitBuckets = 100_000

// RateLimitHeaders names the headers that tell a client its budget. An
// empty name takes the default; "-" leaves that header out.
type RateLimitHeaders struct {
	Limit     string // DefaultRateLimitLimitHeader
	Remaining string // DefaultRateLimitRemainingHeader
	Reset     string // DefaultRateLimitResetHeader
	// ResetEpoch sends Reset as a Unix time (GitHub's way) instead of the
	// seconds left until the bucket is full again.
	ResetEpoch bool
}

// RateLimitOptions configure the token-bucket rate limiter: each
// credential (the Authorization header or API key, else the client address)
// has a bucket of Burst tokens refilled at Requests per Per.
type RateLimitOptions struct {
	Requests int           // tokens added per Per; the advertised limit
	Per      time.Duration // the window of Requests (time.Second for "20/s")
	Burst    int           // bucket size; Requests when 0
	Headers  RateLimitHeaders
	MaxKeys  int // DefaultRateLimitBuckets when 0
	Now      func() time.Time
	// Cost throttles GraphQL queries by their calculated cost, Shopify's
	// way, instead of one token a request: the tokens are cost points,
	// Requests per Per is the restore rate and Burst the bucket size
	// (maximumAvailable). Only the GraphQL mock has it (RateLimiter.Charge);
	// the OpenAPI mock refuses it (ErrCostLimit).
	Cost bool
	// KeyHeader is the header NewRateLimiter tells credentials apart by
	// after Authorization (APIKeyHeader when ""): the vendor's own, where
	// AuthOptions.APIKeyHeader names one.
	KeyHeader string
}

// ParseRateLimit reads a rate limit written as on the command line:
// "20/s", "100/m,burst=10", "5000/h", "3/500ms". The unit is s, m, h, or a
// Go duration; burst defaults to the number of requests. The budget
// headers take a vendor's names with limit-header=, remaining-header= and
// reset-header= ("-" leaves one out), and reset=epoch sends the reset as a
// Unix time (GitHub's way) instead of seconds left:
// "5000/h,limit-header=X-HubSpot-RateLimit-Max,reset=epoch". by=cost
// throttles GraphQL queries by their cost (RateLimitOptions.Cost): N/unit
// is the restore rate in points, burst the bucket size,
// "50/s,burst=1000,by=cost"; by=requests, the default, counts requests.
func ParseRateLimit(s string) (RateLimitOptions, error) {
	bad := func(format string, a ...any) (RateLimitOptions, error) {
		return RateLimitOptions{}, fmt.Errorf("mocks: rate limit %q: %s (want N/unit[,burst=B][,by=requests|cost][,limit-header=H][,remaining-header=H][,reset-header=H][,reset=epoch|seconds], e.g. 20/s,burst=5)", s, fmt.Sprintf(format, a...))
	}
	rate, rest, hasOpts := strings.Cut(strings.TrimSpace(s), ",")
	r, err := contracts.ParseRate(rate)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), " (want ") // the grammar follows
		return bad("%s", strings.TrimPrefix(msg, contracts.ErrRate.Error()+": "))
	}
	// A fractional rate is one request per its interval: 0.5/s is 1/2s.
	n, per := int(r.Count), r.Per
	if float64(n) != r.Count {
		n, per = 1, r.Interval()
	}
	if per <= 0 {
		return bad("the rate is too fast to keep a window")
	}
	o := RateLimitOptions{Requests: n, Per: per}
	if hasOpts {
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch strings.TrimSpace(k) {
			case "burst":
				b, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || b <= 0 {
					return bad("burst %q is not a positive number", v)
				}
				o.Burst = b
			case "limit-header", "remaining-header", "reset-header":
				name := strings.TrimSpace(v)
				if name != "-" && !validHeaderName(name) {
					return bad("%s %q is not a header name", strings.TrimSpace(k), v)
				}
				*map[string]*string{"limit-header": &o.Headers.Limit, "remaining-header": &o.Headers.Remaining, "reset-header": &o.Headers.Reset}[strings.TrimSpace(k)] = name
			case "reset":
				switch strings.TrimSpace(v) {
				case "epoch":
					o.Headers.ResetEpoch = true
				case "seconds":
				default:
					return bad("reset %q is not epoch or seconds", v)
				}
			case "by":
				switch strings.TrimSpace(v) {
				case "cost":
					o.Cost = true
				case "requests":
				default:
					return bad("by %q is not requests or cost", v)
				}
			default:
				return bad("unknown setting %q (known: burst, by, limit-header, remaining-header, reset-header, reset)", k)
			}
		}
	}
	return o, nil
}

// String writes the options back as ParseRateLimit reads them.
func (o RateLimitOptions) String() string {
	out := o.rate()
	for _, h := range [][2]string{{"limit-header", o.Headers.Limit}, {"remaining-header", o.Headers.Remaining}, {"reset-header", o.Headers.Reset}} {
		if h[1] != "" {
			out += "," + h[0] + "=" + h[1]
		}
	}
	if o.Headers.ResetEpoch {
		out += ",reset=epoch"
	}
	if o.Cost {
		out += ",by=cost"
	}
	return out
}

// rate is the rate and burst alone, as refusals state the limit.
func (o RateLimitOptions) rate() string {
	unit := o.Per.String()
	switch o.Per {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	}
	out := fmt.Sprintf("%d/%s", o.Requests, unit)
	if o.Burst > 0 && o.Burst != o.Requests {
		out += fmt.Sprintf(",burst=%d", o.Burst)
	}
	return out
}

// ErrCostLimit refuses RateLimitOptions.Cost where requests, not queries,
// are throttled (the OpenAPI mock's WithRateLimit).
var ErrCostLimit = errors.New("by=cost throttles GraphQL queries by their cost; an OpenAPI mock throttles requests")

// RateLimiter is a token bucket per credential. A mock with stages runs its
// Stage: a request over the limit gets 429 as problem+json with Retry-After
// (whole seconds, rounded up, never 0) and is marked Throttled in the
// journal; every answer carries the limit, the remaining tokens and the
// reset time. A mock with a handler chain of its own, such as the GraphQL
// mock, calls Allow (or, by cost, Charge and Refund) for each request.
// Safe for concurrent use.
type RateLimiter struct {
	o        RateLimitOptions
	perToken time.Duration              // time to earn one token
	keys     []*openapi3.SecurityScheme // where API keys are read, after Authorization
	mu       sync.Mutex
	buckets  map[string]*bucket
}

// NewRateLimiter checks o and returns its limiter. Requests are told apart
// by their Authorization header, else their o.KeyHeader (APIKeyHeader when
// ""), else the client's address.
func NewRateLimiter(o RateLimitOptions) (*RateLimiter, error) {
	l, err := newRateLimiter(o)
	if err != nil {
		return nil, err
	}
	h := o.KeyHeader
	if h == "" {
		h = APIKeyHeader
	}
	l.keys = []*openapi3.SecurityScheme{{Type: "apiKey", In: "header", Name: h}}
	return l, nil
}

// NewContractRateLimiter is NewRateLimiter for a mock served from doc:
// requests are told apart by their Authorization header, else the value of
// an API key one of doc's apiKey schemes names (in name order), else the
// client's address.
func NewContractRateLimiter(o RateLimitOptions, doc *openapi3.T) (*RateLimiter, error) {
	l, err := newRateLimiter(o)
	if err != nil {
		return nil, err
	}
	l.keys = apiKeySchemes(doc)
	return l, nil
}

// ThrottleError is the refusal of RateLimiter.Allow: the bucket of the
// request's credential is empty. Its text is what the client is told.
type ThrottleError struct {
	Limit      string        // as ParseRateLimit reads it: "20/s"
	RetryAfter time.Duration // whole seconds, at least one: the Retry-After sent
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("too many requests: the limit is %s per credential; retry after %d s", e.Limit, int64(e.RetryAfter/time.Second))
}

// Allow spends one token of the bucket of r's credential and sets the
// budget headers (RateLimitHeaders) in h. When the bucket is empty it also
// sets Retry-After and returns a *ThrottleError.
func (l *RateLimiter) Allow(h http.Header, r *http.Request) error {
	d := l.take(rateKey(l.keys, r), 1)
	l.setHeaders(h, d)
	if d.allowed {
		return nil
	}
	secs := retrySeconds(d.retry)
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	return &ThrottleError{Limit: l.o.rate(), RetryAfter: time.Duration(secs) * time.Second}
}

// BucketStatus is the state of a credential's bucket in cost mode, as
// Shopify reports it in extensions.cost.throttleStatus.
type BucketStatus struct {
	Maximum     float64 // maximumAvailable: the bucket size, Burst
	Available   float64 // currentlyAvailable: the points left, whole
	RestoreRate float64 // restoreRate: points restored per second
}

// Charge spends cost points of the bucket of r's credential when it holds
// that many, and returns whether it did with the bucket's state after it.
// It is the cost mode (RateLimitOptions.Cost) of the GraphQL mock: a
// query's requested cost is charged before it runs and the part it did not
// use refunded after (Refund). Charge(r, 0) reads the state.
func (l *RateLimiter) Charge(r *http.Request, cost float64) (BucketStatus, bool) {
	d := l.take(rateKey(l.keys, r), max(cost, 0))
	return l.status(d.tokens), d.allowed
}

// Refund gives points back to the bucket of r's credential, never beyond
// its size, and returns the bucket's state after it.
func (l *RateLimiter) Refund(r *http.Request, points float64) BucketStatus {
	key := rateKey(l.keys, r)
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil { // evicted since: a new bucket is full
		return l.status(float64(l.o.Burst))
	}
	l.refill(b, now)
	b.tokens = math.Min(float64(l.o.Burst), b.tokens+max(points, 0))
	return l.status(b.tokens)
}

func (l *RateLimiter) status(tokens float64) BucketStatus {
	return BucketStatus{
		Maximum:     float64(l.o.Burst),
		Available:   math.Floor(tokens),
		RestoreRate: float64(l.o.Requests) / l.o.Per.Seconds(),
	}
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last computed
}

func newRateLimiter(o RateLimitOptions) (*RateLimiter, error) {
	switch {
	case o.Requests <= 0:
		return nil, fmt.Errorf("mocks: rate limit: requests %d must be positive", o.Requests)
	case o.Per <= 0:
		return nil, fmt.Errorf("mocks: rate limit: window %v must be positive", o.Per)
	case o.Burst < 0:
		return nil, fmt.Errorf("mocks: rate limit: burst %d must be positive", o.Burst)
	case o.MaxKeys < 0:
		return nil, fmt.Errorf("mocks: rate limit: MaxKeys %d must be positive", o.MaxKeys)
	}
	if o.Burst == 0 {
		o.Burst = o.Requests
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultRateLimitBuckets
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &o.Headers
	h.Limit = defaultName(h.Limit, DefaultRateLimitLimitHeader)
	h.Remaining = defaultName(h.Remaining, DefaultRateLimitRemainingHeader)
	h.Reset = defaultName(h.Reset, DefaultRateLimitResetHeader)
	return &RateLimiter{o: o, perToken: o.Per / time.Duration(o.Requests), buckets: map[string]*bucket{}}, nil
}

func defaultName(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

// decision is the limiter's answer for one request.
type decision struct {
	allowed   bool
	remaining int           // whole tokens left after this request
	retry     time.Duration // until the tokens asked for are back (when refused)
	tokens    float64       // left after this request
	full      time.Duration // until the bucket is full again
}

// take spends n tokens of key's bucket if it has them.
func (l *RateLimiter) take(key string, n float64) decision {
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		l.evict(now)
		b = &bucket{tokens: float64(l.o.Burst), at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	d := decision{allowed: b.tokens >= n}
	if d.allowed {
		b.tokens -= n
	} else {
		d.retry = time.Duration((n - b.tokens) * float64(l.perToken))
	}
	d.tokens = b.tokens
	d.remaining = int(math.Floor(b.tokens))
	d.full = time.Duration((float64(l.o.Burst) - b.tokens) * float64(l.perToken))
	return d
}

func (l *RateLimiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(float64(l.o.Burst), b.tokens+float64(elapsed)/float64(l.perToken))
		b.at = now
	}
}

// evict makes room for a new bucket: full buckets are idle and forgotten
// at no cost to anyone; if none is, the first found goes.
func (l *RateLimiter) evict(now time.Time) {
	if len(l.buckets) < l.o.MaxKeys {
		return
	}
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.o.Burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.o.MaxKeys {
			break
		}
		delete(l.buckets, k)
	}
}

// Stage throttles the exchanges of next.
func (l *RateLimiter) Stage(next HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, x *Exchange) {
		err := l.Allow(w.Header(), x.Request)
		if err == nil {
			next(w, x)
			return
		}
		x.Entry.Throttled = true
		WriteProblem(w, http.StatusTooManyRequests, Problem{Title: "Too many requests", Detail: err.Error(), Operation: x.Operation})
	}
}

func (l *RateLimiter) setHeaders(h http.Header, d decision) {
	hs := l.o.Headers
	if hs.Limit != "-" {
		h.Set(hs.Limit, strconv.Itoa(l.o.Requests))
	}
	if hs.Remaining != "-" {
		h.Set(hs.Remaining, strconv.Itoa(d.remaining))
	}
	if hs.Reset == "-" {
		return
	}
	reset := retrySeconds(d.full)
	if d.full == 0 {
		reset = 0
	}
	if hs.ResetEpoch {
		reset = l.o.Now().Add(time.Duration(reset) * time.Second).Unix()
	}
	h.Set(hs.Reset, strconv.FormatInt(reset, 10))
}

// retrySeconds rounds d up to whole seconds, at least 1: a client told to
// wait 0 s would come straight back.
func retrySeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// apiKeySchemes are doc's apiKey schemes, in name order.
func apiKeySchemes(doc *openapi3.T) []*openapi3.SecurityScheme {
	var out []*openapi3.SecurityScheme
	if doc == nil {
		return nil
	}
	for _, name := range sortedSchemeNames(doc) {
		if s := doc.Components.SecuritySchemes[name].Value; s.Type == "apiKey" {
			out = append(out, s)
		}
	}
	return out
}

// rateKey names the bucket of a request: its Authorization header, else the
// value of an API key the contract declares, else the client's address.
// Values are hashed: the limiter keeps no secrets.
func rateKey(keys []*openapi3.SecurityScheme, r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		return hashKey("authorization", a)
	}
	for _, s := range keys {
		if v := apiKeyValue(r, s.In, s.Name); v != "" {
			return hashKey(s.In+":"+s.Name, v)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

func hashKey(kind, v string) string {
	sum := sha256.Sum256([]byte(v))
	return kind + ":" + string(sum[:16])
}

// apiKeyValue reads an API key from where a security scheme puts it.
func apiKeyValue(r *http.Request, in, name string) string {
	switch in {
	case "header":
		return r.Header.Get(name)
	case "query":
		return r.URL.Query().Get(name)
	case "cookie":
		if c, err := r.Cookie(name); err == nil {
			return c.Value
		}
	}
	return ""
}
