package openapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAuthAttachedAtRunTime: tokens issued, keys added and revoked while the
// server runs are checked as they stand; an Auth serves one server.
func TestAuthAttachedAtRunTime(t *testing.T) {
	t.Parallel()
	a, err := toolkit.NewAuth(oauthOptions(newVendorClock()))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Attach("crm"); err != nil {
		t.Fatal(err)
	}
	if a.TokenPath() != toolkit.DefaultTokenPath {
		t.Errorf("token path %q, want %s", a.TokenPath(), toolkit.DefaultTokenPath)
	}
	tok, err := a.IssueToken("sync")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(credRequest(bearerHeader(tok.AccessToken)...)); err != nil {
		t.Errorf("issued token refused: %v", err)
	}
	a.ExpireToken(tok.AccessToken)
	if err := a.Check(credRequest(bearerHeader(tok.AccessToken)...)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v, want refused as expired", err)
	}
	if err := a.AddKey("k9"); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(credRequest(toolkit.APIKeyHeader, "k9")); err != nil {
		t.Errorf("key added at run time refused: %v", err)
	}
	a.RevokeKey("k9")
	if err := a.Check(credRequest(toolkit.APIKeyHeader, "k9")); err == nil {
		t.Error("revoked key accepted")
	}
	if err := a.Attach("again"); err == nil {
		t.Error("an Auth attached twice")
	}
	if _, err := NewHandler(petstoreContract(t), WithAuth(a)); err == nil {
		t.Error("an attached Auth bound to a second mock")
	}
}

func credRequest(header ...string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://mock/graphql", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}
