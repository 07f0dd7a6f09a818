package toolkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

func FuzzAuthAdmin(f *testing.F) {
	for _, s := range []string{`{"key":"k"}`, `{"token":"x"}`, ``, `{"key":1}`, `[`, `{"key":"k"} trailing`} {
		f.Add("POST", "/keys", s)
		f.Add("POST", "/tokens/expire", s)
	}
	f.Add("DELETE", "/keys/a%2Fb", "")
	f.Add("GET", "", "")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !validMethod(method) {
			return
		}
		a, err := NewAuth(AuthOptions{APIKeys: []string{"k"}, OAuth2: &OAuth2Options{Clients: map[string]string{"c": "s"}}})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+AuthPath+path, strings.NewReader(body))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		a.AdminHandler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, w.Code, w.Body)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		return true
	}
	return false
}

func oauthOptions(clock *vendorClock) AuthOptions {
	return AuthOptions{
		OAuth2: &OAuth2Options{Clients: map[string]string{"sync": "s3cret", "other": "pw"}, TokenTTL: time.Minute},
		Now:    clock.Now,
	}
}

func credRequest(header ...string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://mock/graphql", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}
