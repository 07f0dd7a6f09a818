package openapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// vendorClock is a clock a test moves by hand, safe for the server's goroutines.
type vendorClock struct {
	mu  sync.Mutex
	now time.Time
}

func newVendorClock() *vendorClock { return &vendorClock{now: time.Unix(1_700_000_000, 0)} }

func (c *vendorClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *vendorClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// get sends GET url with header pairs over real HTTP and returns the answer
// with its body read.
func vendorGet(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want RateLimitOptions
	}{
		{"20/s", RateLimitOptions{Requests: 20, Per: time.Second}},
		{"20/s,burst=5", RateLimitOptions{Requests: 20, Per: time.Second, Burst: 5}},
		{" 100/m , burst=10 ", RateLimitOptions{Requests: 100, Per: time.Minute, Burst: 10}},
		{"5000/h", RateLimitOptions{Requests: 5000, Per: time.Hour}},
		{"3/500ms", RateLimitOptions{Requests: 3, Per: 500 * time.Millisecond}},
		{"5000/h,limit-header=X-HubSpot-RateLimit-Max,remaining-header=X-HubSpot-RateLimit-Remaining,reset-header=-,reset=epoch",
			RateLimitOptions{Requests: 5000, Per: time.Hour, Headers: RateLimitHeaders{Limit: "X-HubSpot-RateLimit-Max", Remaining: "X-HubSpot-RateLimit-Remaining", Reset: "-", ResetEpoch: true}}},
		{"50/s,burst=1000,by=cost", RateLimitOptions{Requests: 50, Per: time.Second, Burst: 1000, Cost: true}},
		{"20/s, by = requests", RateLimitOptions{Requests: 20, Per: time.Second}},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRateLimit(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Requests != tc.want.Requests || got.Per != tc.want.Per || got.Burst != tc.want.Burst || got.Headers != tc.want.Headers || got.Cost != tc.want.Cost {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			again, err := ParseRateLimit(got.String())
			if err != nil || again.Requests != got.Requests || again.Per != got.Per || again.Headers != got.Headers || again.Cost != got.Cost {
				t.Fatalf("String() %q does not parse back: %v", got.String(), err)
			}
		})
	}
	bad := map[string]string{
		"":                          `no "/"`,
		"20":                        `no "/"`,
		"x/s":                       `"x" is not a positive number`,
		"0/s":                       `"0" is not a positive number`,
		"-3/s":                      `"-3" is not a positive number`,
		"20/":                       "no unit",
		"20/fortnight":              `unit "fortnight"`,
		"20/-1s":                    `unit "-1s"`,
		"20/s,burst=0":              `burst "0"`,
		"20/s,burst=abc":            `burst "abc"`,
		"20/s,bust=5":               `unknown setting "bust"`,
		"20/s,limit-header=X Limit": `limit-header "X Limit" is not a header name`,
		"20/s,reset-header=":        `reset-header "" is not a header name`,
		"20/s,reset=unix":           `reset "unix" is not epoch or seconds`,
		"20/s,by=points":            `by "points" is not requests or cost`,
		"20/s,by=":                  `by "" is not requests or cost`,
	}
	for in, want := range bad {
		t.Run("bad "+in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRateLimit(in)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "mocks: rate limit") || !strings.Contains(err.Error(), "[,by=requests|cost]") {
				t.Fatalf("ParseRateLimit(%q) = %v, want an error naming %s", in, err, want)
			}
		})
	}
}

func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"20/s", "20/s,burst=5", "1/1ns", "9/h,burst=1,burst=2", "/,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseRateLimit(s)
		if err != nil {
			return
		}
		if o.Requests <= 0 || o.Per <= 0 || o.Burst < 0 {
			t.Fatalf("%q accepted as %+v", s, o)
		}
		if _, err := newRateLimiter(o); err != nil {
			t.Fatalf("%q parsed but refused: %v", s, err)
		}
	})
}

// TestRateLimitAtConfiguredRate sends 100 requests spread evenly over one
// second at 20/s with a burst of 5: the burst and the 20 tokens earned pass,
// every other request gets 429 with the headers a vendor sends.
func TestRateLimitAtConfiguredRate(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	srv := accountingServer(t, WithRateLimit(RateLimitOptions{Requests: 20, Per: time.Second, Burst: 5, Now: clock.Now}))
	ok, throttled := 0, 0
	lastRemaining := 5
	for i := range 100 {
		resp, body := vendorGet(t, srv.URL+"/invoices", "Authorization", "Bearer sk_test")
		h := resp.Header
		if h.Get("X-RateLimit-Limit") != "20" {
			t.Fatalf("request %d: X-RateLimit-Limit %q, want 20", i, h.Get("X-RateLimit-Limit"))
		}
		remaining, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		if err != nil || remaining < 0 || remaining > 5 {
			t.Fatalf("request %d: X-RateLimit-Remaining %q", i, h.Get("X-RateLimit-Remaining"))
		}
		reset, err := strconv.Atoi(h.Get("X-RateLimit-Reset"))
		if err != nil || reset < 0 || reset > 1 {
			t.Fatalf("request %d: X-RateLimit-Reset %q, want 0 or 1 s", i, h.Get("X-RateLimit-Reset"))
		}
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
			if i < 5 && remaining != lastRemaining-1 {
				t.Fatalf("request %d of the burst: remaining %d after %d", i, remaining, lastRemaining)
			}
			lastRemaining = remaining
		case http.StatusTooManyRequests:
			throttled++
			if i < 5 {
				t.Fatalf("request %d of the burst was throttled", i)
			}
			if ra := h.Get("Retry-After"); ra != "1" {
				t.Fatalf("request %d: Retry-After %q, want 1 (rounded up, never 0)", i, ra)
			}
			if remaining != 0 {
				t.Fatalf("request %d: throttled with %d remaining", i, remaining)
			}
			if ct := h.Get("Content-Type"); ct != ProblemContentType || !strings.Contains(string(body), `"status":429`) {
				t.Fatalf("request %d: 429 body %s (%s)", i, body, ct)
			}
		default:
			t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, body)
		}
		clock.Advance(10 * time.Millisecond)
	}
	// 5 in the burst, then one every 50 ms of the 990 ms: 24.8 tokens.
	if ok < 24 || ok > 25 {
		t.Errorf("%d requests passed in one second at 20/s burst 5, want 24 or 25", ok)
	}
	marked := 0
	for _, e := range srv.Mock().Journal().Entries(Filter{}) {
		if e.Throttled != (e.Status == http.StatusTooManyRequests) {
			t.Errorf("journal entry %d: status %d, throttled %v", e.Seq, e.Status, e.Throttled)
		}
		if e.Throttled {
			marked++
		}
	}
	if marked != throttled {
		t.Errorf("journal marks %d throttled, %d 429s were sent", marked, throttled)
	}
}

// sendFor runs a client for the given number of requests, one every 5 ms
// of the fake clock, and counts 429s that came right after the client had
// waited the Retry-After it was given. An honouring client waits it; the
// other retries at once.
func sendFor(t *testing.T, url string, clock *vendorClock, honour bool) (throttled, afterWait int) {
	t.Helper()
	waited := false
	for range 150 {
		resp, _ := vendorGet(t, url, "Authorization", "Bearer sk_test")
		if resp.StatusCode != http.StatusTooManyRequests {
			waited = false
			clock.Advance(5 * time.Millisecond)
			continue
		}
		throttled++
		if waited {
			afterWait++
		}
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || secs < 1 {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		if honour {
			clock.Advance(time.Duration(secs) * time.Second)
			waited = true
		} else {
			clock.Advance(5 * time.Millisecond)
			waited = true // it "waited" 5 ms: the control must see 429 again
		}
	}
	return throttled, afterWait
}

func TestRateLimitRetryAfterHonouredNeverThrottledAgain(t *testing.T) {
	t.Parallel()
	for _, honour := range []bool{true, false} {
		t.Run(map[bool]string{true: "honours", false: "ignores"}[honour], func(t *testing.T) {
			t.Parallel()
			clock := newVendorClock()
			srv := accountingServer(t, WithRateLimit(RateLimitOptions{Requests: 10, Per: time.Second, Burst: 3, Now: clock.Now}))
			throttled, afterWait := sendFor(t, srv.URL+"/invoices", clock, honour)
			if throttled == 0 {
				t.Fatal("a client at 200/s against 10/s was never throttled")
			}
			if honour && afterWait != 0 {
				t.Errorf("a client that honoured Retry-After got %d more 429s right after waiting", afterWait)
			}
			if !honour && afterWait == 0 {
				t.Error("negative control: a client that ignores Retry-After was never throttled twice in a row")
			}
		})
	}
}

// TestRateLimitRealClock is the same proof on the wall clock: throttled,
// wait Retry-After, served; retrying at once is throttled again.
func TestRateLimitRealClock(t *testing.T) {
	t.Parallel()
	srv := accountingServer(t, WithRateLimit(RateLimitOptions{Requests: 5, Per: time.Second, Burst: 2}))
	statuses := make([]int, 3)
	var retry string
	for i := range statuses {
		resp, _ := vendorGet(t, srv.URL+"/invoices", "Authorization", "Bearer real")
		statuses[i] = resp.StatusCode
		retry = resp.Header.Get("Retry-After")
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != 429 || retry != "1" {
		t.Fatalf("statuses %v, Retry-After %q: want 200 200 429 and 1", statuses, retry)
	}
	if resp, _ := vendorGet(t, srv.URL+"/invoices", "Authorization", "Bearer real"); resp.StatusCode != 429 {
		t.Errorf("an immediate retry got %d, want 429", resp.StatusCode)
	}
	time.Sleep(time.Second)
	if resp, _ := vendorGet(t, srv.URL+"/invoices", "Authorization", "Bearer real"); resp.StatusCode != 200 {
		t.Errorf("after waiting Retry-After: %d, want 200", resp.StatusCode)
	}
}

func TestRateLimitPerCredential(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	m := newPetstore(t, WithRateLimit(RateLimitOptions{Requests: 1, Per: time.Minute, Now: clock.Now}))
	status := func(header ...string) int {
		resp := call(t, m, http.MethodGet, "/v1/pets", "", header...)
		return resp.StatusCode
	}
	if s := status("X-API-Key", "alpha"); s != 200 {
		t.Fatalf("first request of key alpha: %d", s)
	}
	if s := status("X-API-Key", "alpha"); s != 429 {
		t.Errorf("second request of key alpha: %d, want 429", s)
	}
	if s := status("X-API-Key", "beta"); s != 200 {
		t.Errorf("key beta shares alpha's bucket: %d", s)
	}
	if s := status("X-API-Key", "beta", "Authorization", "Bearer one"); s != 200 {
		t.Errorf("bearer one shares a bucket: %d", s)
	}
	resp := call(t, m, http.MethodGet, "/v1/pets", "", "X-API-Key", "alpha")
	if ra := resp.Header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q at 1/min, want 60", ra)
	}
}

func TestRateLimitHeaderNames(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	m := newPetstore(t, WithRateLimit(RateLimitOptions{
		Requests: 2, Per: time.Second, Now: clock.Now,
		Headers: RateLimitHeaders{Limit: "X-Rate-Limit-Limit", Remaining: "-", Reset: "X-Rate-Limit-Reset", ResetEpoch: true},
	}))
	resp := call(t, m, http.MethodGet, "/v1/pets", "", "X-API-Key", "k")
	h := resp.Header
	if h.Get("X-Rate-Limit-Limit") != "2" || h.Get("X-RateLimit-Limit") != "" || h.Get("X-RateLimit-Remaining") != "" {
		t.Errorf("headers %v", h)
	}
	want := strconv.FormatInt(clock.Now().Unix()+1, 10)
	if got := h.Get("X-Rate-Limit-Reset"); got != want {
		t.Errorf("epoch reset %q, want %q", got, want)
	}
	for _, o := range []RateLimitOptions{{}, {Requests: 1}, {Requests: 1, Per: time.Second, Burst: -1}} {
		if _, err := newPetstoreErr(t, WithRateLimit(o)); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

// TestRateLimitCostRefused: an OpenAPI mock throttles requests; by=cost,
// for GraphQL queries, is refused with a clear error, and the same limit
// by requests (the control) is taken.
func TestRateLimitCostRefused(t *testing.T) {
	t.Parallel()
	o, err := ParseRateLimit("50/s,burst=1000,by=cost")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newPetstoreErr(t, WithRateLimit(o))
	if !errors.Is(err, ErrCostLimit) || !strings.Contains(err.Error(), "by=cost throttles GraphQL queries by their cost; an OpenAPI mock throttles requests") {
		t.Fatalf("by=cost on an OpenAPI mock: %v", err)
	}
	o.Cost = false
	if _, err := newPetstoreErr(t, WithRateLimit(o)); err != nil {
		t.Fatalf("the same limit by requests: %v", err)
	}
}

// TestRateLimiterCharge: in cost mode a credential's bucket is charged
// points, refuses what it cannot pay without spending, is refunded up to
// its size, and restores at the rate.
func TestRateLimiterCharge(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	l, err := NewRateLimiter(RateLimitOptions{Requests: 10, Per: time.Second, Burst: 100, Cost: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPost, "http://mock/graphql", nil)
	r.Header.Set("Authorization", "Bearer shop")
	other, _ := http.NewRequest(http.MethodPost, "http://mock/graphql", nil)
	other.Header.Set(APIKeyHeader, "shop")
	if st, ok := l.Charge(r, 70); !ok || st != (BucketStatus{Maximum: 100, Available: 30, RestoreRate: 10}) {
		t.Fatalf("charge 70 of 100: %v %+v", ok, st)
	}
	if st, ok := l.Charge(r, 40); ok || st.Available != 30 {
		t.Fatalf("charge 40 of 30: %v %+v, want refused and nothing spent", ok, st)
	}
	if st, ok := l.Charge(other, 40); !ok || st.Available != 60 {
		t.Fatalf("another credential: %v %+v", ok, st)
	}
	if st := l.Refund(r, 500); st.Available != 100 {
		t.Fatalf("refund beyond the size: %+v", st)
	}
	l.Charge(r, 100)
	clock.Advance(2500 * time.Millisecond)
	if st, _ := l.Charge(r, 0); st.Available != 25 {
		t.Fatalf("after 2.5 s at 10/s: %+v", st)
	}
}

func newPetstoreErr(t testing.TB, opts ...Option) (*Mock, error) {
	t.Helper()
	return NewHandler(petstoreContract(t), opts...)
}

func TestRateLimitEvictsIdleBuckets(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	l, err := newRateLimiter(RateLimitOptions{Requests: 1, Per: time.Second, MaxKeys: 2, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	l.take("a", 1)
	l.take("b", 1)
	clock.Advance(2 * time.Second)
	l.take("c", 1)
	if len(l.buckets) > 2 {
		t.Fatalf("%d buckets kept, bound is 2", len(l.buckets))
	}
	if d := l.take("c", 1); d.allowed {
		t.Error("the new bucket c was evicted instead of an idle one")
	}
}

// TestRateLimiterAllow: the limiter on its own (for servers without a
// contract) tells credentials apart by Authorization, then APIKeyHeader,
// then the client's address, and refuses with a ThrottleError and the
// headers a client needs.
func TestRateLimiterAllow(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	l, err := NewRateLimiter(RateLimitOptions{Requests: 1, Per: 30 * time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	allow := func(addr string, header ...string) (http.Header, error) {
		r, _ := http.NewRequest(http.MethodGet, "http://mock/graphql", nil)
		r.RemoteAddr = addr
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		h := http.Header{}
		return h, l.Allow(h, r)
	}
	for _, c := range [][]string{{APIKeyHeader, "alpha"}, {APIKeyHeader, "beta"}, {"Authorization", "Bearer one"}, nil} {
		if h, err := allow("127.0.0.1:1", c...); err != nil || h.Get("X-RateLimit-Limit") != "1" || h.Get("X-RateLimit-Remaining") != "0" {
			t.Errorf("first request of %v: %v, headers %v", c, err, h)
		}
	}
	h, err := allow("127.0.0.1:2", APIKeyHeader, "alpha")
	var te *ThrottleError
	if !errors.As(err, &te) || te.RetryAfter != 30*time.Second || te.Limit != "1/30s" || h.Get("Retry-After") != "30" {
		t.Fatalf("second request of alpha: %v, headers %v; want a ThrottleError to retry after 30 s", err, h)
	}
	if _, err := allow("127.0.0.1:2"); err == nil {
		t.Error("a second request from the same address without credentials was let through")
	}
	if _, err := allow("127.0.0.2:1"); err != nil {
		t.Errorf("another address shares a bucket: %v", err)
	}
	clock.Advance(30 * time.Second)
	if _, err := allow("127.0.0.1:2", APIKeyHeader, "alpha"); err != nil {
		t.Errorf("alpha after waiting Retry-After: %v", err)
	}
	if _, err := NewRateLimiter(RateLimitOptions{Requests: 1}); err == nil {
		t.Error("a limit without a window accepted")
	}
}
