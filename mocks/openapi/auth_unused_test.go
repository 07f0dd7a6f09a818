package openapi

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAuthWarnsOfUnusedCredentials: credentials of a kind the contract
// never asks for (basic users for a contract of API keys) are said, since
// no request will be checked for them; the kinds it asks for are not.
func TestAuthWarnsOfUnusedCredentials(t *testing.T) {
	t.Parallel()
	shop := loadContract(t, "../../examples/ordersync/contracts/shop.openapi.yaml")
	for _, tc := range []struct {
		o    toolkit.AuthOptions
		want string
	}{
		{toolkit.AuthOptions{APIKeys: []string{"k"}}, ""},
		{toolkit.AuthOptions{APIKeys: []string{"k"}, BasicUsers: map[string]string{"ops": "pw"}}, "basic users"},
		{toolkit.AuthOptions{OAuth2: &toolkit.OAuth2Options{Clients: map[string]string{"c": "s"}}}, "OAuth2 clients"},
	} {
		var logs bytes.Buffer
		a, err := toolkit.NewAuth(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewHandler(shop, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithAuth(a)); err != nil {
			t.Fatal(err)
		}
		got := logs.String()
		switch {
		case tc.want == "" && strings.Contains(got, "never asks for"):
			t.Errorf("%+v: warned: %s", tc.o, got)
		case tc.want != "" && (!strings.Contains(got, "never asks for") || !strings.Contains(got, tc.want) || !strings.Contains(got, "shopKey")):
			t.Errorf("%+v: want a warning naming %s and the contract's schemes, got %q", tc.o, tc.want, got)
		}
	}
}

// TestAuthOnAContractWithoutSchemes: a contract that declares no security
// scheme (Stripe's 2020 spec, many Swagger 2.0 files) still checks the
// credentials the mock was given, in any of their plain forms, instead of
// letting every request through.
func TestAuthOnAContractWithoutSchemes(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "open.yaml", []byte(`openapi: 3.0.3
info: {title: open, version: "1"}
paths:
  /customers:
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {type: object}}}}}}
`))
	a, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"sk_test_123"}, BasicUsers: map[string]string{"ops": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m, err := NewHandler(c, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithAuth(a))
	if err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); strings.Contains(got, "never asks for") || !strings.Contains(got, "declares no security scheme") {
		t.Errorf("want the plain credential forms said, not a warning that nothing is checked: %s", got)
	}
	for _, tc := range []struct {
		header []string
		want   int
	}{
		{nil, 401},
		{[]string{"Authorization", "Bearer sk_test_wrong"}, 401},
		{[]string{"Authorization", "Bearer sk_test_123"}, 200},
		{[]string{toolkit.APIKeyHeader, "sk_test_123"}, 200},
		{[]string{"Authorization", "Basic b3BzOnB3"}, 200}, // ops:pw
		{[]string{"Authorization", "Basic b3BzOnd4"}, 401}, // ops:wx
	} {
		resp := call(t, m, "GET", "/customers", "", tc.header...)
		if resp.StatusCode != tc.want {
			t.Errorf("%v: %d, want %d", tc.header, resp.StatusCode, tc.want)
		}
		if tc.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%v: 401 without WWW-Authenticate", tc.header)
		}
	}
	// The refusals are auth's, not the contract's: the requests conform.
	for _, e := range m.Journal().Entries(toolkit.Filter{}) {
		if !e.Valid {
			t.Errorf("request %d journaled as breaking a contract that asks for no credentials: %v", e.Seq, e.Violations)
		}
	}
}
