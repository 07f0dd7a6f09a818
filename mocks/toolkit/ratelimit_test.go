package toolkit

import (
	"errors"
	"net/http"
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
		{"0.5/s", RateLimitOptions{Requests: 1, Per: 2 * time.Second}},
		{"2.5/s,burst=3", RateLimitOptions{Requests: 1, Per: 400 * time.Millisecond, Burst: 3}},
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
		"":                          `no unit`,
		"20":                        `no unit`,
		"x/s":                       `"x" is not a positive number`,
		"0/s":                       `"0" is not a positive number`,
		"-3/s":                      `"-3" is not a positive number`,
		"20/":                       `unit ""`,
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

func TestRateLimitEvictsIdleBuckets(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	l, err := NewRateLimiter(RateLimitOptions{Requests: 1, Per: time.Second, MaxKeys: 2, Now: clock.Now})
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
