package openapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestAuthAttachedCheck: an Auth attached to a server without security
// schemes takes every kind of credential it was configured with, and only
// those; an Auth configured with none lets everything through.
func TestAuthAttachedCheck(t *testing.T) {
	t.Parallel()
	keys := AuthOptions{APIKeys: []string{"k1"}}
	basic := AuthOptions{BasicUsers: map[string]string{"ann": "pw"}}
	oauth := oauthOptions(newVendorClock())
	for _, tc := range []struct {
		name   string
		o      AuthOptions
		header []string
		want   string // "" passes; else a part of the challenge of the 401
	}{
		{"key in header", keys, []string{APIKeyHeader, "k1"}, ""},
		{"key as bearer", keys, []string{"Authorization", "Bearer k1"}, ""},
		{"unknown key", keys, []string{APIKeyHeader, "k2"}, `ApiKey realm="crm", in="header", name="X-API-Key"`},
		{"unknown bearer key", keys, []string{"Authorization", "Bearer k2"}, `error="invalid_token"`},
		{"no key", keys, nil, `Bearer realm="crm"`},
		{"basic for keys", keys, []string{"Authorization", "Basic YW5uOnB3"}, "ApiKey"},
		{"basic user", basic, []string{"Authorization", "Basic YW5uOnB3"}, ""},
		{"wrong password", basic, []string{"Authorization", "Basic YW5uOng="}, `Basic realm="crm"`},
		{"key for basic", basic, []string{APIKeyHeader, "k1"}, "Basic"},
		{"bearer for basic", basic, []string{"Authorization", "Bearer k1"}, "Basic"},
		{"unissued token", oauth, []string{"Authorization", "Bearer fd_at_nope"}, `error="invalid_token"`},
		{"key for oauth", oauth, []string{APIKeyHeader, "k1"}, "Bearer"},
		{"nothing configured", AuthOptions{}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := NewAuth(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Attach("crm"); err != nil {
				t.Fatal(err)
			}
			err = a.Check(credRequest(tc.header...))
			var ae *AuthError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case !errors.As(err, &ae):
				t.Fatalf("got %v, want an *AuthError", err)
			case ae.Status != http.StatusUnauthorized || !strings.Contains(ae.Challenge, tc.want) || ae.Fault() != "auth: unauthorized":
				t.Errorf("refusal %d %q (%s), want 401 challenging %s", ae.Status, ae.Challenge, ae.Fault(), tc.want)
			}
		})
	}
}

// TestAuthAttachedAtRunTime: tokens issued, keys added and revoked while the
// server runs are checked as they stand; an Auth serves one server.
func TestAuthAttachedAtRunTime(t *testing.T) {
	t.Parallel()
	a, err := NewAuth(oauthOptions(newVendorClock()))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Attach("crm"); err != nil {
		t.Fatal(err)
	}
	if a.TokenPath() != DefaultTokenPath {
		t.Errorf("token path %q, want %s", a.TokenPath(), DefaultTokenPath)
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
	if err := a.Check(credRequest(APIKeyHeader, "k9")); err != nil {
		t.Errorf("key added at run time refused: %v", err)
	}
	a.RevokeKey("k9")
	if err := a.Check(credRequest(APIKeyHeader, "k9")); err == nil {
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
