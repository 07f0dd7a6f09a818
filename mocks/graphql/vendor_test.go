package graphql_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// fakeClock is a clock the test moves by hand, safe for the server's goroutines.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Unix(1_700_000_000, 0).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// vendorServer runs the shop mock with opts on loopback until the test ends.
func vendorServer(t *testing.T, opts ...graphql.Option) *graphql.Server {
	t.Helper()
	s, err := graphql.NewServer(shopSchema(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// answer is what a client sees of one exchange.
type answer struct {
	status int
	header http.Header
	raw    string
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (a answer) code() string {
	if len(a.Errors) != 1 {
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	return c
}

// query sends one GraphQL POST over real HTTP with header pairs.
func query(t *testing.T, endpoint, q string, header ...string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": q})
	return exchange(t, http.MethodPost, endpoint, "application/json", string(body), header...)
}

func exchange(t *testing.T, method, target, contentType, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for len(header) >= 2 {
		req.Header.Set(header[0], header[1])
		header = header[2:]
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err == nil {
		err = json.Unmarshal(raw, &a)
	}
	if err != nil && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s: %d, not JSON: %v\n%s", method, target, resp.StatusCode, err, raw)
	}
	return a
}

// TestRateLimitAtConfiguredRate: at 20/s with a burst of 5, a client sending
// every 10 ms passes the burst, then one request in five; every answer
// carries the budget, every 429 Retry-After and a GraphQL error, and the
// journal marks exactly the 429s as throttled.
func TestRateLimitAtConfiguredRate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := vendorServer(t, graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 20, Per: time.Second, Burst: 5, Now: clock.Now}))
	ok, throttled := 0, 0
	for i := range 100 {
		a := query(t, s.URL, "{ version }", "Authorization", "Bearer sk_test")
		h := a.header
		remaining, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		if h.Get("X-RateLimit-Limit") != "20" || err != nil || remaining < 0 || remaining > 4 || h.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("request %d: budget headers %v", i, h)
		}
		switch a.status {
		case http.StatusOK:
			ok++
			if i < 5 && remaining != 4-i {
				t.Fatalf("request %d of the burst: %d remaining", i, remaining)
			}
		case http.StatusTooManyRequests:
			throttled++
			if i < 5 {
				t.Fatalf("request %d of the burst was throttled", i)
			}
			if h.Get("Retry-After") != "1" || a.code() != graphql.CodeRateLimited || a.Data != nil {
				t.Fatalf("request %d: 429 with Retry-After %q: %s", i, h.Get("Retry-After"), a.raw)
			}
		default:
			t.Fatalf("request %d: %d %s", i, a.status, a.raw)
		}
		clock.Advance(10 * time.Millisecond)
	}
	// 5 in the burst, then one every 50 ms of the 990 ms: 24.8 tokens.
	if ok < 24 || ok > 25 {
		t.Errorf("%d requests passed in one second at 20/s burst 5, want 24 or 25", ok)
	}
	marked := 0
	for _, e := range s.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Throttled != (e.Status == http.StatusTooManyRequests) || !e.Valid || e.Operation != "version" {
			t.Errorf("journal entry %d: status %d, throttled %v, valid %v, operation %q", e.Seq, e.Status, e.Throttled, e.Valid, e.Operation)
		}
		if e.Throttled {
			marked++
		}
	}
	if marked != throttled {
		t.Errorf("journal marks %d throttled, %d 429s were sent", marked, throttled)
	}
}

// TestRateLimitRetryAfterHonoured: whenever a client is throttled, retrying
// at once is throttled again (the control), and retrying after Retry-After
// is served: a client that honours it never meets a second 429.
func TestRateLimitRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := vendorServer(t, graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 10, Per: time.Second, Burst: 3, Now: clock.Now}))
	send := func() answer { return query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "k") }
	throttled := 0
	for i := range 150 {
		a := send()
		if a.status == http.StatusOK {
			clock.Advance(5 * time.Millisecond) // 200 requests a second against 10
			continue
		}
		throttled++
		secs, err := strconv.Atoi(a.header.Get("Retry-After"))
		if a.status != http.StatusTooManyRequests || err != nil || secs < 1 {
			t.Fatalf("request %d: %d with Retry-After %q", i, a.status, a.header.Get("Retry-After"))
		}
		if again := send(); again.status != http.StatusTooManyRequests {
			t.Fatalf("request %d: an immediate retry got %d, want 429", i, again.status)
		}
		clock.Advance(time.Duration(secs) * time.Second)
		if after := send(); after.status != http.StatusOK {
			t.Fatalf("request %d: after waiting Retry-After (%d s): %d %s", i, secs, after.status, after.raw)
		}
	}
	if throttled == 0 {
		t.Fatal("a client at 200/s against 10/s was never throttled")
	}
}

func TestRateLimitHeaderNames(t *testing.T) {
	t.Parallel()
	s := vendorServer(t, graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 2, Per: time.Second,
		Headers: toolkit.RateLimitHeaders{Limit: "X-Rate-Limit-Limit", Remaining: "-"}}))
	h := query(t, s.URL, "{ version }").header
	if h.Get("X-Rate-Limit-Limit") != "2" || h.Get("X-RateLimit-Limit") != "" || h.Get("X-RateLimit-Remaining") != "" || h.Get("X-RateLimit-Reset") == "" {
		t.Errorf("headers %v: want X-Rate-Limit-Limit, no remaining, the default reset", h)
	}
}

func newAuth(t *testing.T, o toolkit.AuthOptions) *toolkit.Auth {
	t.Helper()
	a, err := toolkit.NewAuth(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAuthAPIKeys: a key is accepted as a bearer token or in X-API-Key;
// an unknown or missing one, introspection included, gets 401 with
// WWW-Authenticate and an UNAUTHENTICATED error; a key revoked through the
// admin API is refused from then on.
func TestAuthAPIKeys(t *testing.T) {
	t.Parallel()
	s := vendorServer(t, graphql.WithName("crm"), graphql.WithAuth(newAuth(t, toolkit.AuthOptions{APIKeys: []string{"k1", "k2"}})))
	for _, tc := range []struct {
		q      string
		header []string
		want   int
	}{
		{"{ version }", []string{"Authorization", "Bearer k1"}, 200},
		{"{ version }", []string{toolkit.APIKeyHeader, "k1"}, 200},
		{"{ __schema { queryType { name } } }", []string{toolkit.APIKeyHeader, "k1"}, 200},
		{"{ version }", []string{toolkit.APIKeyHeader, "nope"}, 401},
		{"{ version }", []string{"Authorization", "Bearer nope"}, 401},
		{"{ version }", nil, 401},
		{"{ __schema { queryType { name } } }", nil, 401},
		{"{ notAField }", nil, 401}, // credentials come before the query
	} {
		a := query(t, s.URL, tc.q, tc.header...)
		if a.status != tc.want {
			t.Errorf("%s with %v: %d, want %d: %s", tc.q, tc.header, a.status, tc.want, a.raw)
			continue
		}
		if tc.want == 401 {
			challenge := a.header.Get("WWW-Authenticate")
			if a.code() != graphql.CodeUnauthenticated || a.Data != nil || a.Errors[0].Message == "" ||
				!strings.Contains(challenge, `ApiKey realm="crm", in="header", name="X-API-Key"`) || !strings.Contains(challenge, `Bearer realm="crm"`) {
				t.Errorf("%s with %v: challenge %q, body %s", tc.q, tc.header, challenge, a.raw)
			}
		}
	}
	if a := exchange(t, http.MethodGet, s.URL+"?query="+url.QueryEscape("{ version }"), "", ""); a.status != 401 {
		t.Errorf("GET without credentials: %d", a.status)
	}
	if a := exchange(t, http.MethodOptions, s.URL, "", ""); a.status != http.StatusNoContent {
		t.Errorf("a CORS preflight (sent without credentials) got %d", a.status)
	}
	refused := s.Mock.Journal().Entries(toolkit.Filter{Status: 401})
	if len(refused) != 6 || refused[0].Fault != "auth: unauthorized" || !refused[0].Valid || refused[len(refused)-2].Valid {
		t.Errorf("journal of the 401s: %+v; want 6 marked, valid unless the query breaks the schema", refused)
	}
	if a := exchange(t, http.MethodDelete, "http://"+s.Addr+toolkit.AuthPath+"/keys/k1", "", ""); a.status != http.StatusNoContent {
		t.Fatalf("revoke k1: %d %s", a.status, a.raw)
	}
	if a := query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "k1"); a.status != 401 || a.code() != graphql.CodeUnauthenticated {
		t.Errorf("revoked key: %d %s", a.status, a.raw)
	}
	if a := query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "k2"); a.status != 200 {
		t.Errorf("the key not revoked: %d %s", a.status, a.raw)
	}
}

func TestAuthBasicUsers(t *testing.T) {
	t.Parallel()
	s := vendorServer(t, graphql.WithAuth(newAuth(t, toolkit.AuthOptions{BasicUsers: map[string]string{"ann": "pw"}})))
	if a := query(t, s.URL, "{ version }", "Authorization", "Basic YW5uOnB3"); a.status != 200 {
		t.Errorf("ann:pw: %d %s", a.status, a.raw)
	}
	a := query(t, s.URL, "{ version }", "Authorization", "Basic YW5uOng=")
	if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), `Basic realm="graphql"`) || a.code() != graphql.CodeUnauthenticated {
		t.Errorf("ann:x: %d %q %s", a.status, a.header.Get("WWW-Authenticate"), a.raw)
	}
	if a := query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "k1"); a.status != 401 {
		t.Errorf("an API key where only basic users are configured: %d", a.status)
	}
}

// token asks the mock's token endpoint for a grant as the client sync.
func token(t *testing.T, s *graphql.Server, form url.Values) toolkit.TokenResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.Addr+toolkit.DefaultTokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("sync", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr toolkit.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 || tr.AccessToken == "" {
		t.Fatalf("token grant %v: %d %v %+v", form, resp.StatusCode, err, tr)
	}
	return tr
}

// TestAuthTokenExpiredThenRefreshed: a token of the mock's OAuth2 endpoint
// works until the admin API expires it; then 401 with invalid_token, and
// after a refresh-token grant the same query succeeds.
func TestAuthTokenExpiredThenRefreshed(t *testing.T) {
	t.Parallel()
	s := vendorServer(t, graphql.WithAuth(newAuth(t, toolkit.AuthOptions{
		OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"sync": "s3cret"}}})))
	tr := token(t, s, url.Values{"grant_type": {"client_credentials"}})
	const q = `{ customer(id: "7") { id email } }`
	if a := query(t, s.URL, q, "Authorization", "Bearer "+tr.AccessToken); a.status != 200 || a.Data == nil {
		t.Fatalf("fresh token: %d %s", a.status, a.raw)
	}
	if a := exchange(t, http.MethodPost, "http://"+s.Addr+toolkit.AuthPath+"/tokens/expire", "application/json", `{"token":"`+tr.AccessToken+`"}`); a.status != 200 {
		t.Fatalf("expire through the admin API: %d %s", a.status, a.raw)
	}
	a := query(t, s.URL, q, "Authorization", "Bearer "+tr.AccessToken)
	if a.status != 401 || a.code() != graphql.CodeUnauthenticated || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) ||
		!strings.Contains(a.Errors[0].Message, "expired") {
		t.Fatalf("expired token: %d %q %s", a.status, a.header.Get("WWW-Authenticate"), a.raw)
	}
	fresh := token(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	if a := query(t, s.URL, q, "Authorization", "Bearer "+fresh.AccessToken); a.status != 200 || a.Data == nil {
		t.Errorf("after the refresh: %d %s", a.status, a.raw)
	}
	if e := s.Mock.Journal().Entries(toolkit.Filter{}); len(e) != 3 {
		t.Errorf("journal holds %d entries; want the three queries, not the token requests", len(e))
	}
}

// TestVendorOrder: behaviours run in the order of their options. Auth
// first: a bad key is told 401 every time and spends no budget. Rate limit
// first: the bad key's own bucket runs dry and it is told 429.
func TestVendorOrder(t *testing.T) {
	t.Parallel()
	limit := toolkit.RateLimitOptions{Requests: 1, Per: time.Minute}
	for _, tc := range []struct {
		name string
		opts func(*toolkit.Auth) []graphql.Option
		bad  [2]int
	}{
		{"auth first", func(a *toolkit.Auth) []graphql.Option {
			return []graphql.Option{graphql.WithAuth(a), graphql.WithRateLimit(limit)}
		}, [2]int{401, 401}},
		{"rate limit first", func(a *toolkit.Auth) []graphql.Option {
			return []graphql.Option{graphql.WithRateLimit(limit), graphql.WithAuth(a)}
		}, [2]int{401, 429}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := vendorServer(t, tc.opts(newAuth(t, toolkit.AuthOptions{APIKeys: []string{"good"}}))...)
			var got [2]int
			for i := range got {
				got[i] = query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "bad").status
			}
			if got != tc.bad {
				t.Errorf("bad key: %v, want %v", got, tc.bad)
			}
			if a, b := query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "good"), query(t, s.URL, "{ version }", toolkit.APIKeyHeader, "good"); a.status != 200 || b.status != 429 {
				t.Errorf("good key at 1/m: %d then %d, want 200 then 429", a.status, b.status)
			}
		})
	}
}

// TestNoVendorOptions is the negative control: without the options nothing
// is refused or throttled, no budget is sent and no auth endpoint is served.
func TestNoVendorOptions(t *testing.T) {
	t.Parallel()
	s := vendorServer(t)
	for i := range 50 {
		a := query(t, s.URL, "{ __schema { queryType { name } } }", toolkit.APIKeyHeader, "anything")
		if a.status != 200 || a.header.Get("X-RateLimit-Limit") != "" || a.header.Get("WWW-Authenticate") != "" {
			t.Fatalf("request %d: %d %v %s", i, a.status, a.header, a.raw)
		}
	}
	for _, p := range []string{toolkit.DefaultTokenPath, toolkit.AuthPath} {
		if a := exchange(t, http.MethodGet, "http://"+s.Addr+p, "", ""); a.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, a.status)
		}
	}
}

func TestVendorOptionsRefused(t *testing.T) {
	t.Parallel()
	attached := newAuth(t, toolkit.AuthOptions{APIKeys: []string{"k"}})
	if err := attached.Attach("elsewhere"); err != nil {
		t.Fatal(err)
	}
	oauth := func(path string) *toolkit.Auth {
		return newAuth(t, toolkit.AuthOptions{OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"c": "s"}, TokenPath: path}})
	}
	for name, opts := range map[string][]graphql.Option{
		"no window":             {graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 1})},
		"nil auth":              {graphql.WithAuth(nil)},
		"two auths":             {graphql.WithAuth(newAuth(t, toolkit.AuthOptions{})), graphql.WithAuth(newAuth(t, toolkit.AuthOptions{}))},
		"auth of another mock":  {graphql.WithAuth(attached)},
		"token path on graphql": {graphql.WithAuth(oauth("/graphql"))},
	} {
		if _, err := graphql.NewHandler(shopSchema(t), opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := graphql.NewHandler(shopSchema(t), graphql.WithAuth(oauth("/token"))); err != nil {
		t.Errorf("control: a token path beside the GraphQL path refused: %v", err)
	}
}

// FuzzVendorCredentials sends arbitrary credentials and paths to a mock with
// every kind of credential and a rate limit: never a 5xx, always JSON.
func FuzzVendorCredentials(f *testing.F) {
	f.Add("Bearer k1", "k1", "/graphql")
	f.Add("Basic YW5uOnB3", "", "/graphql")
	f.Add("Basic !!!", "\x00", "/oauth/token")
	f.Add("Bearer ", "k1", toolkit.AuthPath+"/keys/%zz")
	a, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"k1"}, BasicUsers: map[string]string{"ann": "pw"},
		OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"sync": "s3cret"}}})
	if err != nil {
		f.Fatal(err)
	}
	m := newMock(f, graphql.WithAuth(a), graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 5, Per: time.Second}), graphql.WithJournalSize(16))
	f.Fuzz(func(t *testing.T, authorization, key, path string) {
		target := (&url.URL{Path: path}).String()
		if !strings.HasPrefix(target, "/") {
			return
		}
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"query":"{ version }"}`))
		req.Header["Authorization"] = []string{authorization}
		req.Header[toolkit.APIKeyHeader] = []string{key}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q %q %q: %d %s", authorization, key, path, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%q %q %q: %d, not JSON: %s", authorization, key, path, rec.Code, rec.Body)
		}
	})
}

// TestAuthAPIKeyHeader: a vendor that takes its key in a header of its own
// (Shopify's X-Shopify-Access-Token) is served so: the key passes in that
// header and nowhere else, and the refusal names it.
func TestAuthAPIKeyHeader(t *testing.T) {
	t.Parallel()
	s := vendorServer(t, graphql.WithName("shop"), graphql.WithAuth(newAuth(t, toolkit.AuthOptions{APIKeys: []string{"shpat_1"}, APIKeyHeader: "X-Shopify-Access-Token"})))
	for _, tc := range []struct {
		header []string
		want   int
	}{
		{[]string{"X-Shopify-Access-Token", "shpat_1"}, 200},
		{[]string{"x-shopify-access-token", "shpat_1"}, 200},
		{[]string{"X-Shopify-Access-Token", "nope"}, 401},
		{[]string{toolkit.APIKeyHeader, "shpat_1"}, 401},
		{[]string{"Authorization", "Bearer shpat_1"}, 401},
		{nil, 401},
	} {
		a := query(t, s.URL, "{ version }", tc.header...)
		if a.status != tc.want {
			t.Errorf("%v: %d, want %d: %s", tc.header, a.status, tc.want, a.raw)
			continue
		}
		if challenge := a.header.Get("WWW-Authenticate"); tc.want == 401 && !strings.Contains(challenge, `name="X-Shopify-Access-Token"`) {
			t.Errorf("%v: challenge %q does not name the header", tc.header, challenge)
		}
	}
	for _, h := range []string{"Authorization", "X Token", ""} {
		if _, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"k"}, APIKeyHeader: h}); (err == nil) != (h == "") {
			t.Errorf("header %q: %v", h, err)
		}
	}
}
