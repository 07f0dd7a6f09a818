package mocks

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestAuthWarnsOfUnusedCredentials: credentials of a kind the contract
// never asks for (basic users for a contract of API keys) are said, since
// no request will be checked for them; the kinds it asks for are not.
func TestAuthWarnsOfUnusedCredentials(t *testing.T) {
	t.Parallel()
	shop := loadContract(t, "../examples/ordersync/contracts/shop.openapi.yaml")
	for _, tc := range []struct {
		o    AuthOptions
		want string
	}{
		{AuthOptions{APIKeys: []string{"k"}}, ""},
		{AuthOptions{APIKeys: []string{"k"}, BasicUsers: map[string]string{"ops": "pw"}}, "basic users"},
		{AuthOptions{OAuth2: &OAuth2Options{Clients: map[string]string{"c": "s"}}}, "OAuth2 clients"},
	} {
		var logs bytes.Buffer
		a, err := NewAuth(tc.o)
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
