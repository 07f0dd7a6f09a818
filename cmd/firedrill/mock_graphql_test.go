package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func crmPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// askCRM posts one query to a GraphQL endpoint with header pairs and
// returns the status, the headers and the body.
func askCRM(t *testing.T, endpoint string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"query":"{ customer(id: \"7\") { id email } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for ; len(header) > 1; header = header[2:] {
		req.Header.Set(header[0], header[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, string(body)
}

// TestMockGraphQLVendorFlags: --api-key, --basic-user, --oauth-client and
// --rate-limit reach a GraphQL mock: unknown credentials get 401 with a
// GraphQL error, each credential has its budget, the token endpoint and the
// auth admin API are on the mock's host. Without the flags (the control)
// nothing is refused or throttled.
func TestMockGraphQLVendorFlags(t *testing.T) {
	t.Parallel()
	lines, stop := startMockCLI(t, 1, crmPath(t), "--port", "0", "--api-key", "k1", "--basic-user", "ann:pw",
		"--oauth-client", "sync:s3cret", "--rate-limit", "2/m")
	defer stop()
	endpoint := strings.SplitN(lines[0], " ", 2)[1]
	base := strings.TrimSuffix(endpoint, "/graphql")
	if s, h, body := askCRM(t, endpoint, "X-API-Key", "k2"); s != 401 || !strings.Contains(body, `"code":"UNAUTHENTICATED"`) || h.Get("WWW-Authenticate") == "" {
		t.Errorf("unknown key: %d %q %s", s, h.Get("WWW-Authenticate"), body)
	}
	s1, h, body := askCRM(t, endpoint, "X-API-Key", "k1")
	if s1 != 200 || h.Get("X-RateLimit-Limit") != "2" || !strings.Contains(body, `"customer"`) {
		t.Errorf("key k1: %d %v %s", s1, h, body)
	}
	askCRM(t, endpoint, "X-API-Key", "k1")
	if s, h, body := askCRM(t, endpoint, "X-API-Key", "k1"); s != 429 || h.Get("Retry-After") == "" || !strings.Contains(body, `"code":"RATE_LIMITED"`) {
		t.Errorf("third request of k1 at 2/m: %d %v %s", s, h, body)
	}
	if s, _, body := askCRM(t, endpoint, "Authorization", "Basic YW5uOnB3"); s != 200 {
		t.Errorf("basic user ann: %d %s", s, body)
	}
	tok := crmToken(t, base)
	if s, _, body := askCRM(t, endpoint, "Authorization", "Bearer "+tok.AccessToken); s != 200 {
		t.Errorf("OAuth2 token: %d %s", s, body)
	}
	resp, err := http.Get(base + "/__firedrill/auth")
	if err != nil {
		t.Fatal(err)
	}
	state, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(state), `"api_keys":1`) || !strings.Contains(string(state), `"live_tokens":1`) {
		t.Errorf("auth admin API: %d %s", resp.StatusCode, state)
	}

	lines, stopPlain := startMockCLI(t, 1, crmPath(t), "--port", "0")
	defer stopPlain()
	plain := strings.SplitN(lines[0], " ", 2)[1]
	for i := range 5 {
		if s, h, body := askCRM(t, plain, "X-API-Key", "k2"); s != 200 || h.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("control, request %d without the flags: %d %v %s", i, s, h, body)
		}
	}
}

// TestMockGraphQLOpenAPIOnlyFlags: --references and the callback signing
// flags are refused (exit 2, naming the flag) when every contract is
// GraphQL, and said once to skip the GraphQL mocks when the contracts are
// mixed; --idempotency-key and --webhook (with --stateful) serve GraphQL
// mocks too.
func TestMockGraphQLOpenAPIOnlyFlags(t *testing.T) {
	t.Parallel()
	for flag, args := range map[string][]string{
		"--references":      {"--references", "--stateful"},
		"--callback-secret": {"--callback-secret", "whsec_ZGVtby1zaG9wLXNlY3JldA=="},
		"--callback-scheme": {"--callback-scheme", "github"},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"mock", crmPath(t), crmPath(t), "--port", "0"}, args...)...)
		if code != 2 || !strings.Contains(stderr, flag) || !strings.Contains(stderr, "GraphQL") {
			t.Errorf("%v on GraphQL contracts only: exit %d, stderr %q; want 2 naming %s", args, code, stderr, flag)
		}
	}
	const warning = "apply to the OpenAPI mocks only"
	_, stop := startMockCLI(t, 2, petstorePath(t), crmPath(t), "--port", "0", "--references", "--callback-secret", "whsec_ZGVtby1zaG9wLXNlY3JldA==", "--stateful")
	code, stderr := stop()
	if code != 0 || strings.Count(stderr, warning) != 1 || !strings.Contains(stderr, "--references --callback-secret") {
		t.Errorf("mixed contracts: exit %d, stderr %q; want one warning naming both flags", code, stderr)
	}
	for _, contracts := range [][]string{{crmPath(t), crmPath(t)}, {petstorePath(t), crmPath(t)}} {
		_, stop = startMockCLI(t, 2, append(contracts, "--port", "0", "--api-key", "k", "--idempotency-key", "Idempotency-Key", "--webhook", "http://127.0.0.1:1/hooks", "--stateful")...)
		if code, stderr := stop(); code != 0 || strings.Contains(stderr, warning) {
			t.Errorf("%v with --idempotency-key and --webhook: exit %d, stderr %q; want them served, with no warning", contracts, code, stderr)
		}
	}
}

// TestMockGraphQLLimitsFlag: --graphql-limits refuses values that are
// not bounds, and with mixed contracts bounds the GraphQL mocks only,
// saying so once.
func TestMockGraphQLLimitsFlag(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"depth=0", "depth=-3", "deep=5", "tokens=many"} {
		code, _, stderr := runCLI(t, context.Background(), "mock", crmPath(t), "--port", "0", "--graphql-limits", v)
		if code != 2 || !strings.Contains(stderr, "--graphql-limits") {
			t.Errorf("--graphql-limits %s: exit %d, stderr %q; want 2 naming the flag", v, code, stderr)
		}
	}
	const warning = "applies to the GraphQL mocks only"
	_, stop := startMockCLI(t, 3, petstorePath(t), crmPath(t), petstorePath(t), "--port", "0", "--graphql-limits", "depth=5,tokens=100")
	if code, stderr := stop(); code != 0 || strings.Count(stderr, warning) != 1 {
		t.Errorf("mixed contracts: exit %d, stderr %q; want the mocks served, one warning", code, stderr)
	}
}

// TestMockOAuthTokenTTL: --oauth-token-ttl sets the life of the tokens
// served, so that a drill sees its integration refresh them.
func TestMockOAuthTokenTTL(t *testing.T) {
	t.Parallel()
	lines, stop := startMockCLI(t, 1, crmPath(t), "--port", "0", "--oauth-client", "sync:s3cret", "--oauth-token-ttl", "2s")
	defer stop()
	endpoint := strings.SplitN(lines[0], " ", 2)[1]
	tok := crmToken(t, strings.TrimSuffix(endpoint, "/graphql"))
	if tok.ExpiresIn != 2 {
		t.Fatalf("token: expires_in %d, want 2", tok.ExpiresIn)
	}
	if s, _, body := askCRM(t, endpoint, "Authorization", "Bearer "+tok.AccessToken); s != 200 {
		t.Fatalf("fresh token: %d %s", s, body)
	}
	time.Sleep(2100 * time.Millisecond)
	if s, h, _ := askCRM(t, endpoint, "Authorization", "Bearer "+tok.AccessToken); s != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("a token past its two seconds: %d %q, want 401 invalid_token", s, h.Get("WWW-Authenticate"))
	}
}

type crmTok struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// crmToken takes a client-credentials token for client sync from the
// mock at base.
func crmToken(t *testing.T, base string) crmTok {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"sync"}, "client_secret": {"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok crmTok
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	return tok
}

// TestMockGraphQLCostFlag: --rate-limit by=cost throttles a GraphQL mock by
// query cost: every answer carries extensions.cost with the bucket given and
// no budget headers. On an OpenAPI contract, alone or beside a GraphQL one,
// it is refused (exit 2) with the reason; by requests (the control) is taken.
func TestMockGraphQLCostFlag(t *testing.T) {
	t.Parallel()
	lines, stop := startMockCLI(t, 1, crmPath(t), "--port", "0", "--rate-limit", "50/s,burst=1000,by=cost")
	defer stop()
	endpoint := strings.SplitN(lines[0], " ", 2)[1]
	s, h, body := askCRM(t, endpoint)
	var a struct {
		Data       map[string]any `json:"data"`
		Extensions struct {
			Cost struct {
				Requested int  `json:"requestedQueryCost"`
				Actual    *int `json:"actualQueryCost"`
				Throttle  struct {
					Maximum     float64 `json:"maximumAvailable"`
					Available   float64 `json:"currentlyAvailable"`
					RestoreRate float64 `json:"restoreRate"`
				} `json:"throttleStatus"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || s != 200 || a.Data["customer"] == nil {
		t.Fatalf("a query: %d %s (%v)", s, body, err)
	}
	c := a.Extensions.Cost
	if c.Requested != 1 || c.Actual == nil || *c.Actual != 1 || c.Throttle.Maximum != 1000 || c.Throttle.RestoreRate != 50 || c.Throttle.Available < 999 {
		t.Errorf("extensions.cost %+v, want a customer costing 1 of a bucket of 1000 at 50/s: %s", c, body)
	}
	if h.Get("X-RateLimit-Limit") != "" || h.Get("Retry-After") != "" {
		t.Errorf("budget headers in cost mode: %v", h)
	}

	const reason = "by=cost throttles GraphQL queries by their cost; an OpenAPI mock throttles requests"
	for _, contracts := range [][]string{{petstorePath(t)}, {crmPath(t), petstorePath(t)}} {
		code, _, stderr := runCLI(t, context.Background(), append(append([]string{"mock"}, contracts...), "--port", "0", "--rate-limit", "50/s,by=cost")...)
		if code != 2 || !strings.Contains(stderr, reason) || !strings.Contains(stderr, "petstore.yaml") {
			t.Errorf("by=cost with %d contract(s), one OpenAPI: exit %d, stderr %q", len(contracts), code, stderr)
		}
	}
	_, stopPlain := startMockCLI(t, 1, petstorePath(t), "--port", "0", "--rate-limit", "50/s,by=requests")
	if code, stderr := stopPlain(); code != 0 {
		t.Errorf("control, by=requests on OpenAPI: exit %d, %s", code, stderr)
	}
}
