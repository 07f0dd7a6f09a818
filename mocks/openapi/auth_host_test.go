package openapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAuthOnTheMocksOwnHost: a mock server serves its token endpoint and
// the auth and webhook admin APIs itself, beside the contract's paths: a
// key revoked and a token expired through the admin API get 401.
func TestAuthOnTheMocksOwnHost(t *testing.T) {
	t.Parallel()
	clock := newVendorClock()
	o := oauthOptions(clock)
	o.APIKeys = []string{"key-1"}
	a, err := toolkit.NewAuth(o)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := toolkit.NewWebhooks(toolkit.WebhookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hooks.Close)
	srv, err := NewServer(parseContract(t, "vendor.yaml", []byte(vendorContract)), WithAuth(a), WithStateful(true), WithWebhooks(hooks))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	host := "http://" + srv.Addr
	status, tok, _, _ := tokenRequest(t, host, url.Values{"grant_type": {"client_credentials"}})
	if status != 200 || tok.AccessToken == "" {
		t.Fatalf("token endpoint on the mock's host: %d", status)
	}
	if resp, body := vendorGet(t, srv.URL+"/orders", bearerHeader(tok.AccessToken)...); resp.StatusCode != 200 {
		t.Fatalf("with the token: %d %s", resp.StatusCode, body)
	}
	resp, err := http.Post(host+toolkit.AuthPath+"/tokens/expire", "application/json", strings.NewReader(""))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("expire through the mock's admin API: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, _ := vendorGet(t, srv.URL+"/orders", bearerHeader(tok.AccessToken)...); resp.StatusCode != 401 {
		t.Errorf("an expired token: %d, want 401", resp.StatusCode)
	}
	if resp, _ := vendorGet(t, srv.URL+"/keyed?api_key=key-1"); resp.StatusCode != 200 {
		t.Fatalf("valid key: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodDelete, host+toolkit.AuthPath+"/keys/key-1", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("revoke through the mock's admin API: %v %v", resp, err)
	}
	if resp, _ := vendorGet(t, srv.URL+"/keyed?api_key=key-1"); resp.StatusCode != 401 {
		t.Errorf("a revoked key: %d, want 401", resp.StatusCode)
	}
	resp, body := vendorGet(t, host+toolkit.WebhooksPath)
	var q toolkit.WebhookQueue
	if err := json.Unmarshal(body, &q); resp.StatusCode != 200 || err != nil {
		t.Errorf("webhook admin API on the mock's host: %d %v", resp.StatusCode, err)
	}
	if resp, _ := vendorGet(t, host+"/__firedrill/health"); resp.StatusCode != 200 {
		t.Errorf("the mock's own admin API: %d", resp.StatusCode)
	}
}
