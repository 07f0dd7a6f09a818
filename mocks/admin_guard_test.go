package mocks

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// adminCall sends one request to a served vendor with the Host and
// Authorization given ("" leaves them as the client sets them).
func adminCall(t *testing.T, srv *httptest.Server, method, path, host, auth string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"key":"k-new"}`))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestAdminAPIGuarded: on both kinds of mock, every admin endpoint (the
// mock's own and its behaviours': auth, faults, webhooks) refuses a
// foreign Host with 403, wants the admin token when one is set, and
// answers without CORS headers; the contract's paths are left alone.
func TestAdminAPIGuarded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		contract string
		paths    []string
	}{
		{"shop.openapi.yaml", []string{"/__firedrill/requests", "/__firedrill/health", "/__firedrill/faults", "/__firedrill/auth", "/__firedrill/webhooks", "/__firedrill/collections"}},
		{"crm.graphql", []string{"/__firedrill/requests", "/__firedrill/health", "/__firedrill/faults", "/__firedrill/auth", "/__firedrill/webhooks", "/__firedrill/collections"}},
	} {
		t.Run(tc.contract, func(t *testing.T) {
			t.Parallel()
			c := loadExample(t, tc.contract)
			spec := Spec{Stateful: true, APIKeys: []string{"k1"}, AdminToken: "adm-tok",
				Webhooks: []Webhook{{URL: "http://127.0.0.1:9/hooks"}}}
			v, err := New(c, spec, Settings{AdminHosts: []string{"shop-mock"}})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			srv := httptest.NewServer(v.Handler)
			defer srv.Close()
			for _, p := range tc.paths {
				if resp := adminCall(t, srv, http.MethodGet, p, "attacker.example", "Bearer adm-tok"); resp.StatusCode != http.StatusForbidden {
					t.Errorf("GET %s from attacker.example: %d, want 403", p, resp.StatusCode)
				}
				if resp := adminCall(t, srv, http.MethodGet, p, "", ""); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("GET %s without the token: %d, want 401", p, resp.StatusCode)
				}
				for _, host := range []string{"", "localhost", "[::1]:80", "shop-mock:8080"} {
					if resp := adminCall(t, srv, http.MethodGet, p, host, "Bearer adm-tok"); resp.StatusCode != http.StatusOK {
						t.Errorf("GET %s with the token, Host %q: %d, want 200", p, host, resp.StatusCode)
					}
				}
				for _, m := range []string{http.MethodOptions, http.MethodGet} {
					resp := adminCall(t, srv, m, p, "", "Bearer adm-tok", "Origin", "http://attacker.example", "Access-Control-Request-Method", "DELETE")
					for k := range resp.Header {
						if strings.HasPrefix(k, "Access-Control-") {
							t.Errorf("%s %s answers %s", m, p, k)
						}
					}
				}
			}
			// Adding an API key, the worst an intruder could do, needs the token.
			if resp := adminCall(t, srv, http.MethodPost, "/__firedrill/auth/keys", "", ""); resp.StatusCode != http.StatusUnauthorized || v.Auth.State().APIKeys != 1 {
				t.Errorf("POST auth/keys without the token: %d, %d keys", resp.StatusCode, v.Auth.State().APIKeys)
			}
			if resp := adminCall(t, srv, http.MethodPost, "/__firedrill/auth/keys", "", "Bearer adm-tok"); resp.StatusCode != http.StatusCreated || v.Auth.State().APIKeys != 2 {
				t.Errorf("POST auth/keys with the token: %d, %d keys", resp.StatusCode, v.Auth.State().APIKeys)
			}
		})
	}
}

// TestGraphQLEndpointKeepsCORS: the GraphQL endpoint answers browser IDEs
// of other origins as the vendors do; the guard takes that from the admin
// API only.
func TestGraphQLEndpointKeepsCORS(t *testing.T) {
	t.Parallel()
	v, err := New(loadExample(t, "crm.graphql"), Spec{}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srv := httptest.NewServer(v.Handler)
	defer srv.Close()
	resp := adminCall(t, srv, http.MethodOptions, v.GraphQL.Path(), "", "", "Origin", "http://ide.example", "Access-Control-Request-Method", "POST")
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("the GraphQL endpoint lost its CORS: %v", resp.Header)
	}
}

// TestJournalResetRefusesParameters: DELETE /__firedrill/requests?since=x
// used to empty the whole journal; any parameter is now a 400 naming it,
// and the journal is kept.
func TestJournalResetRefusesParameters(t *testing.T) {
	t.Parallel()
	for _, contract := range []string{"shop.openapi.yaml", "crm.graphql"} {
		t.Run(contract, func(t *testing.T) {
			t.Parallel()
			v, err := New(loadExample(t, contract), Spec{}, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			srv := httptest.NewServer(v.Handler)
			defer srv.Close()
			if v.GraphQL != nil {
				adminCall(t, srv, http.MethodPost, v.GraphQL.Path(), "", "", "Content-Type", "application/json")
			} else {
				adminCall(t, srv, http.MethodGet, "/nowhere", "", "")
			}
			if v.Journal.Total() == 0 {
				t.Fatal("nothing journaled")
			}
			for _, tc := range []struct{ method, query, param string }{
				{http.MethodDelete, "?since=x", "since"},
				{http.MethodDelete, "?since=2026-01-01T00:00:00Z", "since"},
				{http.MethodDelete, "?all=yes", "all"},
				{http.MethodGet, "?since=x", "since"},
				{http.MethodGet, "?statsu=500", "statsu"},
				{http.MethodGet, "?status=500&status=200", "status"},
			} {
				req, _ := http.NewRequest(tc.method, srv.URL+"/__firedrill/requests"+tc.query, nil)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var p toolkit.Problem
				err = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || err != nil || len(p.Violations) == 0 || p.Violations[0].Name != tc.param {
					t.Errorf("%s %s: %d %+v, want 400 naming %s", tc.method, tc.query, resp.StatusCode, p, tc.param)
				}
			}
			if v.Journal.Total() == 0 || len(v.Journal.Entries(toolkit.Filter{})) == 0 {
				t.Error("a refused reset emptied the journal")
			}
			if resp := adminCall(t, srv, http.MethodDelete, "/__firedrill/requests", "", ""); resp.StatusCode != http.StatusNoContent || len(v.Journal.Entries(toolkit.Filter{})) != 0 {
				t.Errorf("a plain reset: %d", resp.StatusCode)
			}
		})
	}
}
