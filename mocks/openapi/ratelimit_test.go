package openapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

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

// TestRateLimitAtConfiguredRate sends 100 requests spread evenly over one
// second at 20/s with a burst of 5: the burst and the 20 tokens earned pass,
// every other request gets 429 with the headers a vendor sends.
func TestRateLimitAtConfiguredRate(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	srv := accountingServer(t, WithRateLimit(toolkit.RateLimitOptions{Requests: 20, Per: time.Second, Burst: 5, Now: clock.Now}))
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
			if ct := h.Get("Content-Type"); ct != toolkit.ProblemContentType || !strings.Contains(string(body), `"status":429`) {
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
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
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
			srv := accountingServer(t, WithRateLimit(toolkit.RateLimitOptions{Requests: 10, Per: time.Second, Burst: 3, Now: clock.Now}))
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
	srv := accountingServer(t, WithRateLimit(toolkit.RateLimitOptions{Requests: 5, Per: time.Second, Burst: 2}))
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
	m := newPetstore(t, WithRateLimit(toolkit.RateLimitOptions{Requests: 1, Per: time.Minute, Now: clock.Now}))
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
	m := newPetstore(t, WithRateLimit(toolkit.RateLimitOptions{
		Requests: 2, Per: time.Second, Now: clock.Now,
		Headers: toolkit.RateLimitHeaders{Limit: "X-Rate-Limit-Limit", Remaining: "-", Reset: "X-Rate-Limit-Reset", ResetEpoch: true},
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
	for _, o := range []toolkit.RateLimitOptions{{}, {Requests: 1}, {Requests: 1, Per: time.Second, Burst: -1}} {
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
	o, err := toolkit.ParseRateLimit("50/s,burst=1000,by=cost")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newPetstoreErr(t, WithRateLimit(o))
	if !errors.Is(err, toolkit.ErrCostLimit) || !strings.Contains(err.Error(), "by=cost throttles GraphQL queries by their cost; an OpenAPI mock throttles requests") {
		t.Fatalf("by=cost on an OpenAPI mock: %v", err)
	}
	o.Cost = false
	if _, err := newPetstoreErr(t, WithRateLimit(o)); err != nil {
		t.Fatalf("the same limit by requests: %v", err)
	}
}

func newPetstoreErr(t testing.TB, opts ...Option) (*Mock, error) {
	t.Helper()
	return NewHandler(petstoreContract(t), opts...)
}
