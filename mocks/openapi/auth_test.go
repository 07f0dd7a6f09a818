package openapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// vendorContract declares every kind of credential: OAuth2 with scopes (the
// token URL on the API's host), an API key in the query, HTTP basic.
const vendorContract = `openapi: 3.0.3
info: {title: Vendor, version: "1"}
servers: [{url: "https://api.vendor.example.com/v2"}]
security: [{oauth: [orders.read]}]
paths:
  /orders:
    get:
      operationId: listOrders
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: object}}}}}
    post:
      operationId: createOrder
      security: [{oauth: [orders.write]}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {sku: {type: string}}}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {type: object}}}}
  /keyed:
    get:
      operationId: keyed
      security: [{key: []}, {basic: []}]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /public:
    get:
      operationId: public
      security: []
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: "https://api.vendor.example.com/oauth/token"
          scopes: {orders.read: read orders, orders.write: write orders}
    key: {type: apiKey, in: query, name: api_key}
    basic: {type: http, scheme: basic}
`

// vendorServer serves the vendor mock with a behind a real listener, the
// token endpoint and the auth admin API in front of it.
func vendorServer(t *testing.T, o toolkit.AuthOptions) (*toolkit.Auth, string) {
	t.Helper()
	a, err := toolkit.NewAuth(o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewHandler(parseContract(t, "vendor.yaml", []byte(vendorContract)), WithAuth(a))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler(m))
	t.Cleanup(srv.Close)
	return a, srv.URL
}

func oauthOptions(clock *vendorClock) toolkit.AuthOptions {
	return toolkit.AuthOptions{
		OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"sync": "s3cret", "other": "pw"}, TokenTTL: time.Minute},
		Now:    clock.Now,
	}
}

// tokenRequest posts a token request as the client "sync" and decodes the answer.
func tokenRequest(t *testing.T, base string, form url.Values, header ...string) (int, toolkit.TokenResponse, map[string]string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+toolkit.DefaultTokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("sync", "s3cret")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var tr toolkit.TokenResponse
	var oe map[string]string
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(data, &tr); err != nil {
			t.Fatalf("token answer %s: %v", data, err)
		}
	} else {
		_ = json.Unmarshal(data, &oe)
	}
	return resp.StatusCode, tr, oe, resp.Header
}

func bearerHeader(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// TestAuthExpiredTokenRefreshed is the proof of issue 3: an expired token
// gets 401 with WWW-Authenticate; after a refresh the same call succeeds.
func TestAuthExpiredTokenRefreshed(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	_, base := vendorServer(t, oauthOptions(clock))
	status, tok, _, h := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}})
	if status != 200 || tok.TokenType != "Bearer" || tok.ExpiresIn != 60 || tok.RefreshToken == "" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %+v", status, tok)
	}
	if tok.Scope != "orders.read orders.write" {
		t.Errorf("no scope asked: granted %q, want every declared scope", tok.Scope)
	}
	if resp, body := vendorGet(t, base+"/v2/orders", bearerHeader(tok.AccessToken)...); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d %s", resp.StatusCode, body)
	}
	clock.Advance(time.Minute)
	resp, body := vendorGet(t, base+"/v2/orders", bearerHeader(tok.AccessToken)...)
	wa := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, `error="invalid_token"`) {
		t.Fatalf("expired token: %d, WWW-Authenticate %q", resp.StatusCode, wa)
	}
	if !strings.Contains(string(body), "expired") {
		t.Errorf("the problem does not say the token expired: %s", body)
	}
	status, fresh, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if status != 200 || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %d %+v", status, fresh)
	}
	if resp, body := vendorGet(t, base+"/v2/orders", bearerHeader(fresh.AccessToken)...); resp.StatusCode != 200 {
		t.Fatalf("after the refresh: %d %s", resp.StatusCode, body)
	}
}

func TestAuthTokensExpiredAtRunTime(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	a, base := vendorServer(t, oauthOptions(clock))
	_, one, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}})
	_, two, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}})
	post := func(body string) (int, string) {
		resp, err := http.Post(base+toolkit.AuthPath+"/tokens/expire", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if s, b := post(`{"token":"` + one.AccessToken + `"}`); s != 200 || b != `{"expired":1}` {
		t.Fatalf("expire one: %d %s", s, b)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader(one.AccessToken)...); resp.StatusCode != 401 {
		t.Errorf("a token expired through the admin API: %d", resp.StatusCode)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader(two.AccessToken)...); resp.StatusCode != 200 {
		t.Errorf("another token was expired too: %d", resp.StatusCode)
	}
	if s, _ := post(`{"token":"` + one.AccessToken + `"}`); s != 404 {
		t.Errorf("expiring a dead token: %d, want 404", s)
	}
	if s, b := post(`{"tokn":"x"}`); s != 400 || !strings.Contains(b, "tokn") {
		t.Errorf("unknown field: %d %s", s, b)
	}
	if s, b := post(""); s != 200 || b != `{"expired":1}` {
		t.Errorf("expire all: %d %s", s, b)
	}
	if st := a.State(); st.LiveTokens != 0 || st.RefreshTokens != 2 || !st.OAuth2 || st.TokenPath != "/oauth/token" {
		t.Errorf("state %+v", st)
	}
}

func TestAuthScopesEnforced(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	_, base := vendorServer(t, oauthOptions(clock))
	create := func(tok string) (int, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, base+"/v2/orders", strings.NewReader(`{"sku":"A-1"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	_, reader, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders.read"}})
	status, h := create(reader.AccessToken)
	if wa := h.Get("WWW-Authenticate"); status != 403 || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="orders.write"`) {
		t.Fatalf("read-only token on a write: %d %q, want 403 insufficient_scope", status, wa)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader(reader.AccessToken)...); resp.StatusCode != 200 {
		t.Errorf("read-only token on a read: %d", resp.StatusCode)
	}
	_, writer, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders.write"}})
	if status, _ := create(writer.AccessToken); status != 201 {
		t.Errorf("write token on a write: %d", status)
	}
	// A refresh cannot widen the scopes of its grant.
	status, _, oe, _ := tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {reader.RefreshToken}, "scope": {"orders.write"}})
	if status != 400 || oe["error"] != "invalid_scope" {
		t.Errorf("refresh widening scopes: %d %v", status, oe)
	}
	if resp, _ := vendorGet(t, base+"/v2/public"); resp.StatusCode != 200 {
		t.Errorf("an operation with security [] needs no credentials: %d", resp.StatusCode)
	}
	for name, tok := range map[string]string{"forged": "fd_at_forged", "empty": ""} {
		resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader(tok)...)
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s token: %d %q", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestAuthTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	_, base := vendorServer(t, oauthOptions(clock))
	_, other, _, _ := tokenRequest(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {"other"}, "client_secret": {"pw"}}, "Authorization", "")
	if other.RefreshToken == "" {
		t.Fatal("client authenticated in the form got no token")
	}
	cases := []struct {
		name   string
		form   url.Values
		header []string
		status int
		code   string
	}{
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, []string{"Authorization", "Basic c3luYzp3cm9uZw=="}, 401, "invalid_client"},
		{"no client", url.Values{"grant_type": {"client_credentials"}}, []string{"Authorization", ""}, 401, "invalid_client"},
		{"no grant", url.Values{}, nil, 400, "invalid_request"},
		{"password grant", url.Values{"grant_type": {"password"}}, nil, 400, "unsupported_grant_type"},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, nil, 400, "invalid_scope"},
		{"no refresh token", url.Values{"grant_type": {"refresh_token"}}, nil, 400, "invalid_request"},
		{"another client's refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {other.RefreshToken}}, nil, 400, "invalid_grant"},
		{"json body", url.Values{"grant_type": {"client_credentials"}}, []string{"Content-Type", "application/json"}, 400, "invalid_request"},
	}
	for _, tc := range cases {
		status, _, oe, h := tokenRequest(t, base, tc.form, tc.header...)
		if status != tc.status || oe["error"] != tc.code || oe["error_description"] == "" {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, oe, tc.status, tc.code)
		}
		if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: 401 without a Basic challenge", tc.name)
		}
	}
	if resp, _ := vendorGet(t, base+toolkit.DefaultTokenPath); resp.StatusCode != 405 {
		t.Errorf("GET on the token endpoint: %d", resp.StatusCode)
	}
}

func TestAuthAPIKeysAndBasic(t *testing.T) {
	t.Parallel()
	_, base := vendorServer(t, toolkit.AuthOptions{APIKeys: []string{"key-1", "key/2"}, BasicUsers: map[string]string{"ada": "lovelace"}})
	status := func(target string, header ...string) (int, string) {
		resp, _ := vendorGet(t, base+target, header...)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	if s, _ := status("/v2/keyed?api_key=key-1"); s != 200 {
		t.Fatalf("valid key: %d", s)
	}
	if s, _ := status("/v2/keyed", "Authorization", "Basic YWRhOmxvdmVsYWNl"); s != 200 {
		t.Errorf("valid basic user (the other requirement): %d", s)
	}
	s, wa := status("/v2/keyed?api_key=nope")
	if s != 401 || !strings.Contains(wa, `ApiKey realm="vendor", in="query", name="api_key"`) || !strings.Contains(wa, `Basic realm="vendor"`) {
		t.Errorf("unknown key: %d %q", s, wa)
	}
	if s, _ := status("/v2/keyed", "Authorization", "Basic YWRhOndyb25n"); s != 401 {
		t.Errorf("wrong password: %d", s)
	}
	// Revoked at run time through the admin API: 401 from then on.
	req, _ := http.NewRequest(http.MethodDelete, base+toolkit.AuthPath+"/keys/"+url.PathEscape("key/2"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("revoke: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if s, _ := status("/v2/keyed?api_key=key%2F2"); s != 401 {
		t.Errorf("a revoked key: %d, want 401", s)
	}
	if s, _ := status("/v2/keyed?api_key=key-1"); s != 200 {
		t.Errorf("revoking one key revoked another: %d", s)
	}
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 404 {
		t.Errorf("revoking it again: %d, want 404", resp.StatusCode)
	}
	resp, _ = http.Post(base+toolkit.AuthPath+"/keys", "application/json", strings.NewReader(`{"key":"key-3"}`))
	if resp.StatusCode != 201 {
		t.Errorf("add a key: %d", resp.StatusCode)
	}
	if s, _ := status("/v2/keyed?api_key=key-3"); s != 200 {
		t.Errorf("a key added at run time: %d", s)
	}
}

// TestAuthBearerAPIKeys: a contract with an http bearer scheme takes the
// vendor's secret keys as bearer tokens, as Stripe does; a revoked key gets
// 401. Without the option (the negative control) any bearer passes.
func TestAuthBearerAPIKeys(t *testing.T) {
	t.Parallel()
	a, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"sk_test"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := accountingServer(t, WithAuth(a))
	open := accountingServer(t)
	for _, tc := range []struct {
		url, tok string
		want     int
	}{
		{srv.URL, "sk_test", 200}, {srv.URL, "sk_other", 401},
		{open.URL, "sk_test", 200}, {open.URL, "sk_other", 200},
	} {
		if resp, _ := vendorGet(t, tc.url+"/invoices", bearerHeader(tc.tok)...); resp.StatusCode != tc.want {
			t.Errorf("%s with %s: %d, want %d", tc.url, tc.tok, resp.StatusCode, tc.want)
		}
	}
	if !a.RevokeKey("sk_test") || a.RevokeKey("sk_test") {
		t.Error("RevokeKey reports the key's validity wrong")
	}
	resp, _ := vendorGet(t, srv.URL+"/invoices", bearerHeader("sk_test")...)
	if wa := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("revoked key: %d %q", resp.StatusCode, wa)
	}
	var unauthorized int
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{Status: 401}) {
		if e.Fault != "auth: unauthorized" || e.Header.Get("Authorization") != "Bearer "+toolkit.Masked {
			t.Errorf("journal entry %+v", e)
		}
		unauthorized++
	}
	if unauthorized != 2 {
		t.Errorf("%d refusals journaled, want 2", unauthorized)
	}
}

// TestAuthTokenPathDeclared: when the contract declares its token endpoint
// among its paths, the mock serves it there.
func TestAuthTokenPath(t *testing.T) {
	t.Parallel()
	declared := strings.Replace(vendorContract, `tokenUrl: "https://api.vendor.example.com/oauth/token"`, `tokenUrl: "/v2/token"`, 1)
	declared = strings.Replace(declared, "  /public:", `  /token:
    post:
      operationId: token
      security: []
      requestBody: {content: {application/x-www-form-urlencoded: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
  /public:`, 1)
	clock := newVendorClock()
	a, _ := toolkit.NewAuth(oauthOptions(clock))
	m, err := NewHandler(parseContract(t, "declared.yaml", []byte(declared)), WithAuth(a))
	if err != nil {
		t.Fatal(err)
	}
	if a.TokenPath() != "/v2/token" {
		t.Fatalf("token path %q", a.TokenPath())
	}
	resp := call(t, m, http.MethodPost, "/v2/token", "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic c3luYzpzM2NyZXQ=")
	var tr toolkit.TokenResponse
	if err := json.Unmarshal(readBody(t, resp), &tr); resp.StatusCode != 200 || err != nil || tr.AccessToken == "" {
		t.Fatalf("declared token endpoint: %d %v", resp.StatusCode, err)
	}
	if resp := call(t, m, http.MethodGet, "/v2/orders", "", bearerHeader(tr.AccessToken)...); resp.StatusCode != 200 {
		t.Errorf("token from the declared endpoint: %d", resp.StatusCode)
	}
	elsewhere := strings.Replace(vendorContract, "https://api.vendor.example.com/oauth/token", "https://login.vendor.example.com/token", 1)
	b, _ := toolkit.NewAuth(oauthOptions(clock))
	if _, err := NewHandler(parseContract(t, "elsewhere.yaml", []byte(elsewhere)), WithAuth(b)); err != nil {
		t.Fatal(err)
	}
	if b.TokenPath() != toolkit.DefaultTokenPath {
		t.Errorf("token URL on another host: path %q, want %q", b.TokenPath(), toolkit.DefaultTokenPath)
	}
}

func TestAuthOptionsRefused(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]toolkit.AuthOptions{
		"empty key":      {APIKeys: []string{"a", ""}},
		"colon user":     {BasicUsers: map[string]string{"a:b": "c"}},
		"no clients":     {OAuth2: &toolkit.OAuth2Options{}},
		"negative TTL":   {OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"a": "b"}, TokenTTL: -time.Second}},
		"relative path":  {OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"a": "b"}, TokenPath: "token"}},
		"negative limit": {OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"a": "b"}, MaxTokens: -1}},
	} {
		if _, err := toolkit.NewAuth(o); err == nil || !strings.HasPrefix(err.Error(), "mocks: auth:") {
			t.Errorf("%s: %v", name, err)
		}
	}
	a, _ := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"k"}})
	c := petstoreContract(t)
	if _, err := NewHandler(c, WithAuth(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHandler(c, WithAuth(a)); err == nil {
		t.Error("one Auth attached to two mocks")
	}
	if _, err := NewHandler(c, WithAuth(nil)); err == nil {
		t.Error("nil auth accepted")
	}
	if err := a.AddKey(""); err == nil {
		t.Error("empty key added")
	}
}

func FuzzAuthTokenEndpoint(f *testing.F) {
	for _, s := range []string{"grant_type=client_credentials", "grant_type=refresh_token&refresh_token=x", "scope=%zz", "grant_type=client_credentials&scope=orders.read+admin"} {
		f.Add(s, "application/x-www-form-urlencoded")
	}
	clock := newVendorClock()
	a, _ := toolkit.NewAuth(oauthOptions(clock))
	m, err := NewHandler(parseContract(f, "vendor.yaml", []byte(vendorContract)), WithAuth(a))
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler(m)
	f.Fuzz(func(t *testing.T, body, ct string) {
		resp := call(t, h, http.MethodPost, toolkit.DefaultTokenPath, body, "Content-Type", ct, "Authorization", "Basic c3luYzpzM2NyZXQ=")
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: %d", body, resp.StatusCode)
		}
		resp = call(t, h, http.MethodGet, "/v2/orders", "", "Authorization", body)
		if resp.StatusCode != 401 && resp.StatusCode != 200 {
			t.Fatalf("Authorization %q: %d", body, resp.StatusCode)
		}
	})
}

// TestAuthUnconfiguredKindNeedsItsCredential: an operation that takes an
// API key or HTTP basic, on a mock that checks only keys, refuses a revoked
// key: the unchecked basic alternative still needs basic credentials.
func TestAuthUnconfiguredKindNeedsItsCredential(t *testing.T) {
	t.Parallel()
	a, base := vendorServer(t, toolkit.AuthOptions{APIKeys: []string{"key-1"}})
	if resp, _ := vendorGet(t, base+"/v2/keyed?api_key=key-1"); resp.StatusCode != 200 {
		t.Fatalf("valid key: %d", resp.StatusCode)
	}
	if resp, _ := vendorGet(t, base+"/v2/keyed", "Authorization", "Basic YW55OmFueQ=="); resp.StatusCode != 200 {
		t.Errorf("any basic user, basic not checked: %d", resp.StatusCode)
	}
	a.RevokeKey("key-1")
	if resp, _ := vendorGet(t, base+"/v2/keyed?api_key=key-1"); resp.StatusCode != 401 {
		t.Errorf("revoked key with no basic credentials: %d, want 401", resp.StatusCode)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders"); resp.StatusCode != 401 {
		t.Errorf("no bearer where OAuth2 is not checked: %d, want 401", resp.StatusCode)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader("anything")...); resp.StatusCode != 200 {
		t.Errorf("any bearer where OAuth2 is not checked: %d", resp.StatusCode)
	}
}

func TestAuthIssueToken(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	a, base := vendorServer(t, oauthOptions(clock))
	tok, err := a.IssueToken("sync", "orders.read")
	if err != nil || tok.Scope != "orders.read" {
		t.Fatalf("IssueToken: %+v %v", tok, err)
	}
	if resp, _ := vendorGet(t, base+"/v2/orders", bearerHeader(tok.AccessToken)...); resp.StatusCode != 200 {
		t.Errorf("a minted token: %d", resp.StatusCode)
	}
	if _, err := a.IssueToken("nobody"); err == nil {
		t.Error("a token minted for an unknown client")
	}
	if _, err := a.IssueToken("sync", "admin"); err == nil {
		t.Error("a token minted with an undeclared scope")
	}
	b, _ := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"k"}})
	if _, err := b.IssueToken("sync"); err == nil {
		t.Error("a token minted without OAuth2")
	}
}
