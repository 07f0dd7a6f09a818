package toolkit

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxTokenRequest bounds the form a token request may send.
const maxTokenRequest = 64 << 10

// TokenResponse is the token endpoint's answer (RFC 6749, section 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// tokenStore keeps the access and refresh tokens an Auth issued.
type tokenStore struct {
	mu      sync.Mutex
	max     int
	access  map[string]*accessToken
	refresh map[string]*refreshGrant
}

type accessToken struct {
	client  string
	scopes  map[string]bool
	expires time.Time
}

type refreshGrant struct {
	client string
	scopes []string
}

func newTokenStore(max int) *tokenStore {
	return &tokenStore{max: max, access: map[string]*accessToken{}, refresh: map[string]*refreshGrant{}}
}

// issue stores a new access token (and, when refresh is "", a new refresh
// token) and returns both.
func (s *tokenStore) issue(client string, scopes []string, expires, now time.Time, refresh string) (string, string) {
	set := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		set[sc] = true
	}
	tok := randomToken("fd_at_")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.access) >= s.max {
		for k, t := range s.access {
			if !now.Before(t.expires) {
				delete(s.access, k)
			}
		}
		for k := range s.access {
			if len(s.access) < s.max {
				break
			}
			delete(s.access, k)
		}
	}
	s.access[tok] = &accessToken{client: client, scopes: set, expires: expires}
	if refresh == "" {
		refresh = randomToken("fd_rt_")
		for k := range s.refresh {
			if len(s.refresh) < s.max {
				break
			}
			delete(s.refresh, k)
		}
		s.refresh[refresh] = &refreshGrant{client: client, scopes: scopes}
	}
	return tok, refresh
}

// lookup finds a live access token; why says what is wrong with it otherwise.
func (s *tokenStore) lookup(tok string, now time.Time) (accessToken, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[tok]
	switch {
	case !ok:
		return accessToken{}, "is not one the mock issued"
	case !now.Before(t.expires):
		return accessToken{}, "expired at " + t.expires.UTC().Format(time.RFC3339)
	}
	return *t, ""
}

func (s *tokenStore) grant(refresh string) (refreshGrant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[refresh]
	if !ok {
		return refreshGrant{}, false
	}
	return *g, true
}

func (s *tokenStore) expire(tok string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[tok]
	if !ok || !now.Before(t.expires) {
		return false
	}
	t.expires = now
	return true
}

func (s *tokenStore) expireAll(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.access {
		if now.Before(t.expires) {
			t.expires = now
			n++
		}
	}
	return n
}

func (s *tokenStore) counts(now time.Time) (live, refresh int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		if now.Before(t.expires) {
			live++
		}
	}
	return live, len(s.refresh)
}

func randomToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// oauthError is an error answer of the token endpoint (RFC 6749, 5.2).
type oauthError struct {
	status      int
	code        string
	description string
}

func (a *Auth) writeOAuthError(w http.ResponseWriter, e oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm=%q`, a.realm))
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// Handler serves the token endpoint and the auth admin API (AuthPath) in
// front of next, for mocks served by a handler chain of their own.
func (a *Auth) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case a.oauth != nil && r.URL.Path == a.TokenPath():
			a.TokenHandler().ServeHTTP(w, r)
		case r.URL.Path == AuthPath || strings.HasPrefix(r.URL.Path, AuthPath+"/"):
			a.AdminHandler().ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// TokenHandler serves the OAuth2 token endpoint (see TokenPath): the
// client_credentials and refresh_token grants. A mock serves it on its host.
func (a *Auth) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenRequest))
		if err != nil {
			a.writeOAuthError(w, oauthError{http.StatusBadRequest, "invalid_request", "the request body is unreadable or too large"})
			return
		}
		a.serveToken(w, r, body)
	})
}

// serveToken answers a token request: the client_credentials and
// refresh_token grants, the client authenticated by HTTP basic or by
// client_id and client_secret in the form.
func (a *Auth) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.writeOAuthError(w, oauthError{http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		a.writeOAuthError(w, oauthError{http.StatusBadRequest, "invalid_request", "the token request is a form: Content-Type application/x-www-form-urlencoded"})
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		a.writeOAuthError(w, oauthError{http.StatusBadRequest, "invalid_request", "the form does not parse: " + err.Error()})
		return
	}
	client, e := a.authenticateClient(r, form)
	if e != nil {
		a.writeOAuthError(w, *e)
		return
	}
	var scopes []string
	refresh := ""
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
		scopes, e = a.grantScopes(form.Get("scope"), nil)
	case "refresh_token":
		refresh = form.Get("refresh_token")
		g, ok := a.tokens.grant(refresh)
		switch {
		case refresh == "":
			e = &oauthError{http.StatusBadRequest, "invalid_request", "refresh_token is required"}
		case !ok || g.client != client:
			e = &oauthError{http.StatusBadRequest, "invalid_grant", "the refresh token is not one issued to this client"}
		default:
			scopes, e = a.grantScopes(form.Get("scope"), g.scopes)
		}
	case "":
		e = &oauthError{http.StatusBadRequest, "invalid_request", "grant_type is required"}
	default:
		e = &oauthError{http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q: the mock grants client_credentials and refresh_token", gt)}
	}
	if e != nil {
		a.writeOAuthError(w, *e)
		return
	}
	now := a.now()
	tok, rt := a.tokens.issue(client, scopes, now.Add(a.oauth.TokenTTL), now, refresh)
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, TokenResponse{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(a.oauth.TokenTTL / time.Second),
		RefreshToken: rt, Scope: strings.Join(scopes, " "),
	})
}

func (a *Auth) authenticateClient(r *http.Request, form url.Values) (string, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return "", &oauthError{http.StatusUnauthorized, "invalid_client", "no client credentials (HTTP basic, or client_id and client_secret)"}
	}
	want, ok := a.oauth.Clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return "", &oauthError{http.StatusUnauthorized, "invalid_client", fmt.Sprintf("unknown client %q or wrong secret", id)}
	}
	return id, nil
}

// grantScopes checks the scopes asked for: each must be declared by the
// contract (when it declares any) and, on refresh, held by the grant. No
// scope asked for grants all that are allowed.
func (a *Auth) grantScopes(asked string, held []string) ([]string, *oauthError) {
	allowed := held
	if allowed == nil {
		allowed = a.declaredScopes()
	}
	if strings.TrimSpace(asked) == "" {
		return allowed, nil
	}
	ok := map[string]bool{}
	for _, s := range allowed {
		ok[s] = true
	}
	var out []string
	for _, s := range strings.Fields(asked) {
		if (held != nil || len(allowed) > 0) && !ok[s] {
			return nil, &oauthError{http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not one this client may have", s)}
		}
		out = append(out, s)
	}
	return out, nil
}

// declaredScopes are every scope of the contract's oauth2 flows, sorted.
func (a *Auth) declaredScopes() []string {
	set := map[string]bool{}
	for _, name := range sortedSchemeNames(a.doc) {
		s := a.doc.Components.SecuritySchemes[name].Value
		if s.Type != "oauth2" || s.Flows == nil {
			continue
		}
		for _, f := range flowsOf(s) {
			for sc := range f.Scopes {
				set[sc] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// flowsOf lists the flows a scheme declares.
func flowsOf(s *openapi3.SecurityScheme) []*openapi3.OAuthFlow {
	if s.Flows == nil {
		return nil
	}
	var out []*openapi3.OAuthFlow
	for _, f := range []*openapi3.OAuthFlow{s.Flows.ClientCredentials, s.Flows.AuthorizationCode, s.Flows.Password, s.Flows.Implicit} {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// IssueToken mints an access token (and its refresh token) for client as
// the token endpoint would, for harnesses that configure the integration
// with a token up front. No scope asked for grants every scope the contract
// declares.
func (a *Auth) IssueToken(client string, scopes ...string) (TokenResponse, error) {
	if a.oauth == nil {
		return TokenResponse{}, errors.New("mocks: auth: no OAuth2 server (OAuth2Options)")
	}
	if _, ok := a.oauth.Clients[client]; !ok {
		return TokenResponse{}, fmt.Errorf("mocks: auth: unknown client %q", client)
	}
	granted, e := a.grantScopes(strings.Join(scopes, " "), nil)
	if e != nil {
		return TokenResponse{}, fmt.Errorf("mocks: auth: %s", e.description)
	}
	now := a.now()
	tok, rt := a.tokens.issue(client, granted, now.Add(a.oauth.TokenTTL), now, "")
	return TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(a.oauth.TokenTTL / time.Second), RefreshToken: rt, Scope: strings.Join(granted, " ")}, nil
}
