package mocks

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
)

// Auth defaults.
const (
	// DefaultTokenPath serves the OAuth2 token endpoint when the contract's
	// tokenUrl is on another host (or there is none).
	DefaultTokenPath = "/oauth/token"
	// DefaultTokenTTL is how long an access token lives.
	DefaultTokenTTL = time.Hour
	// DefaultMaxTokens bounds the tokens kept; expired ones go first.
	DefaultMaxTokens = 100_000
	// AuthPath is where a mock's admin API manages its credentials.
	AuthPath = AdminPrefix + "auth"
)

// AuthOptions configure the credentials a mock accepts. Each kind is
// checked only when configured: a mock with API keys but no OAuth2 still
// takes any bearer token, but a credential must be present for every
// scheme of the requirement it satisfies.
type AuthOptions struct {
	// APIKeys are the valid keys of the contract's apiKey schemes (read
	// where the scheme says: header, query or cookie). They are also valid
	// bearer tokens for an http bearer scheme, as vendors such as Stripe
	// take their secret keys.
	APIKeys []string
	// BasicUsers maps user names to passwords for http basic schemes.
	BasicUsers map[string]string
	// OAuth2, when set, serves a token endpoint and accepts as bearer
	// tokens only the access tokens it issued and that have not expired.
	OAuth2 *OAuth2Options
	Now    func() time.Time
}

// OAuth2Options configure the mock's OAuth2 authorisation server.
type OAuth2Options struct {
	// Clients maps client ids to secrets; at least one is needed.
	Clients map[string]string
	// TokenTTL is the life of an access token (DefaultTokenTTL).
	TokenTTL time.Duration
	// TokenPath overrides where the token endpoint is served: by default the
	// path of the contract's tokenUrl when it is on the mock's host, else
	// DefaultTokenPath.
	TokenPath string
	MaxTokens int // DefaultMaxTokens when 0
}

// Auth checks the credentials of requests against the operations' security
// requirements: API keys, HTTP basic users and OAuth2 bearer tokens, with
// scopes. Keys can be added and revoked and tokens expired while the mock
// runs ("credentials rotated" drills), by method or through AdminHandler.
// Build one with NewAuth and attach it with WithAuth.
type Auth struct {
	now   func() time.Time
	basic map[string]string

	mu      sync.Mutex
	keysOn  bool
	keys    map[string]bool // key → valid (false: revoked)
	oauth   *OAuth2Options
	tokens  *tokenStore
	bound   bool
	doc     *openapi3.T
	realm   string
	tokPath string
}

// NewAuth checks o and returns the auth it describes.
func NewAuth(o AuthOptions) (*Auth, error) {
	a := &Auth{now: o.Now, basic: map[string]string{}, keys: map[string]bool{}}
	if a.now == nil {
		a.now = time.Now
	}
	for i, k := range o.APIKeys {
		if k == "" {
			return nil, fmt.Errorf("mocks: auth: API key %d is empty", i+1)
		}
		a.keys[k] = true
		a.keysOn = true
	}
	for u, p := range o.BasicUsers {
		if u == "" || strings.Contains(u, ":") {
			return nil, fmt.Errorf("mocks: auth: basic user %q: a user name is non-empty and has no ':'", u)
		}
		a.basic[u] = p
	}
	if o.OAuth2 != nil {
		oo := *o.OAuth2
		if len(oo.Clients) == 0 {
			return nil, errors.New("mocks: auth: OAuth2 needs at least one client (id and secret)")
		}
		if oo.TokenTTL == 0 {
			oo.TokenTTL = DefaultTokenTTL
		}
		if oo.MaxTokens == 0 {
			oo.MaxTokens = DefaultMaxTokens
		}
		switch {
		case oo.TokenTTL < 0:
			return nil, fmt.Errorf("mocks: auth: token TTL %v must be positive", oo.TokenTTL)
		case oo.MaxTokens < 0:
			return nil, fmt.Errorf("mocks: auth: MaxTokens %d must be positive", oo.MaxTokens)
		case oo.TokenPath != "" && !strings.HasPrefix(oo.TokenPath, "/"):
			return nil, fmt.Errorf("mocks: auth: token path %q must start with '/'", oo.TokenPath)
		}
		a.oauth = &oo
		a.tokens = newTokenStore(oo.MaxTokens)
	}
	return a, nil
}

// WithAuth makes the mock check credentials with a. One Auth serves one
// mock: it reads that mock's security schemes and token URL. The mock also
// serves a's admin API (AuthPath) and, with OAuth2, its token endpoint
// (TokenPath); token requests are not journaled.
func WithAuth(a *Auth) Option {
	return func(m *Mock) error {
		if a == nil {
			return errors.New("mocks: nil auth")
		}
		if err := a.bind(m); err != nil {
			return err
		}
		m.front = append(m.front, frontRoute{path: AuthPath, prefix: true, h: a.AdminHandler()})
		if a.oauth != nil {
			m.front = append(m.front, frontRoute{path: a.TokenPath(), h: a.tokenHandler()})
		}
		m.stages = append(m.stages, a.stage)
		return nil
	}
}

// WithAPIKeys accepts only the given API keys (see AuthOptions.APIKeys).
// To revoke keys at run time or to combine kinds, use NewAuth and WithAuth.
func WithAPIKeys(keys ...string) Option {
	return withNewAuth(AuthOptions{APIKeys: keys})
}

// WithBasicUsers accepts only the given users for http basic schemes.
func WithBasicUsers(users map[string]string) Option {
	return withNewAuth(AuthOptions{BasicUsers: users})
}

// WithOAuth2 serves an OAuth2 token endpoint and accepts only the bearer
// tokens it issued.
func WithOAuth2(o OAuth2Options) Option {
	return withNewAuth(AuthOptions{OAuth2: &o})
}

func withNewAuth(o AuthOptions) Option {
	return func(m *Mock) error {
		a, err := NewAuth(o)
		if err != nil {
			return err
		}
		return WithAuth(a)(m)
	}
}

func (a *Auth) bind(m *Mock) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bound {
		return errors.New("mocks: auth: already attached to a mock; build one Auth per mock")
	}
	a.bound, a.doc, a.realm = true, m.contract.Doc, m.name
	if a.realm == "" {
		a.realm = m.contract.Name()
	}
	if a.oauth != nil {
		a.tokPath = a.oauth.TokenPath
		if a.tokPath == "" {
			a.tokPath = tokenPathOf(m.contract.Doc)
		}
	}
	return nil
}

// TokenPath is where the token endpoint is served, "" without OAuth2.
func (a *Auth) TokenPath() string {
	if a == nil || a.oauth == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tokPath == "" {
		return DefaultTokenPath
	}
	return a.tokPath
}

// tokenPathOf is the path of the contract's first tokenUrl on the API's own
// host (or relative), else DefaultTokenPath.
func tokenPathOf(doc *openapi3.T) string {
	hosts := map[string]bool{}
	for _, s := range doc.Servers {
		if u, err := url.Parse(s.URL); err == nil {
			hosts[u.Host] = true
		}
	}
	for _, name := range sortedSchemeNames(doc) {
		s := doc.Components.SecuritySchemes[name].Value
		if s.Type != "oauth2" {
			continue
		}
		for _, f := range flowsOf(s) {
			if f.TokenURL == "" {
				continue
			}
			u, err := url.Parse(f.TokenURL)
			if err != nil || u.Path == "" || (u.Host != "" && !hosts[u.Host]) {
				continue
			}
			return u.Path
		}
	}
	return DefaultTokenPath
}

func sortedSchemeNames(doc *openapi3.T) []string {
	if doc.Components == nil {
		return nil
	}
	var names []string
	for name, ref := range doc.Components.SecuritySchemes {
		if ref != nil && ref.Value != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// AddKey makes key valid (again).
func (a *Auth) AddKey(key string) error {
	if key == "" {
		return errors.New("mocks: auth: empty API key")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[key], a.keysOn = true, true
	return nil
}

// RevokeKey makes key invalid from now on; it reports whether key was valid.
func (a *Auth) RevokeKey(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	valid := a.keys[key]
	if _, known := a.keys[key]; known {
		a.keys[key] = false
	}
	return valid
}

// ExpireToken expires one access token now; it reports whether the token
// was live. Its refresh token still works.
func (a *Auth) ExpireToken(token string) bool {
	if a.tokens == nil {
		return false
	}
	return a.tokens.expire(token, a.now())
}

// ExpireTokens expires every access token now and returns how many were
// live: every client must refresh.
func (a *Auth) ExpireTokens() int {
	if a.tokens == nil {
		return 0
	}
	return a.tokens.expireAll(a.now())
}

func (a *Auth) keyValid(k string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[k]
}

func (a *Auth) keysEnforced() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keysOn
}

// verdict is the outcome of checking one security scheme.
type verdict int

const (
	granted   verdict = iota
	missing           // no credential of this kind
	invalid           // a credential that is wrong, revoked or expired
	forbidden         // a valid token without the scopes needed
)

// check is the result of one scheme, with what to tell the client.
type check struct {
	v       verdict
	scheme  string // the scheme's name in the contract
	s       *openapi3.SecurityScheme
	extra   string // parameters of the challenge: error, scope
	message string
}

func (a *Auth) stage(next HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, x *Exchange) {
		if a.oauth != nil && x.Request.URL.Path == a.TokenPath() {
			a.serveToken(w, x.Request, x.Body) // the contract declares the token endpoint
			return
		}
		reqs := x.op.op.Security
		if reqs == nil {
			reqs = &a.doc.Security
		}
		if len(*reqs) == 0 {
			next(w, x)
			return
		}
		var failed []check
		for _, req := range *reqs {
			cs, ok := a.satisfies(x.Request, req)
			if ok {
				next(w, x)
				return
			}
			failed = append(failed, cs...)
		}
		a.refuse(w, x, failed)
	}
}

// satisfies checks every scheme of one requirement (all must pass) and
// returns the checks that failed.
func (a *Auth) satisfies(r *http.Request, req openapi3.SecurityRequirement) ([]check, bool) {
	var failed []check
	names := make([]string, 0, len(req))
	for name := range req {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if a.doc.Components == nil {
			continue
		}
		ref := a.doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue // an undeclared scheme: the contract's lint reports it
		}
		c := a.checkScheme(r, name, ref.Value, req[name])
		if c.v != granted {
			failed = append(failed, c)
		}
	}
	return failed, len(failed) == 0
}

func (a *Auth) checkScheme(r *http.Request, name string, s *openapi3.SecurityScheme, scopes []string) check {
	c := check{scheme: name, s: s}
	switch {
	case s.Type == "apiKey":
		v := apiKeyValue(r, s.In, s.Name)
		switch {
		case v == "":
			c.v, c.message = missing, fmt.Sprintf("no API key in %s %q", s.In, s.Name)
		case !a.keysEnforced():
			return grant(c)
		case !a.keyValid(v):
			c.v, c.message = invalid, fmt.Sprintf("the API key in %s %q is not valid (unknown or revoked)", s.In, s.Name)
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		user, pass, ok := r.BasicAuth()
		switch {
		case !ok:
			c.v, c.message = missing, "no HTTP basic credentials"
		case len(a.basic) == 0:
			return grant(c)
		case !a.basicValid(user, pass):
			c.v, c.message = invalid, fmt.Sprintf("wrong user name or password for %q", user)
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"), s.Type == "oauth2", s.Type == "openIdConnect":
		return a.checkBearer(r, c, s.Type == "oauth2" || s.Type == "openIdConnect", scopes)
	}
	return c
}

func grant(c check) check { c.v = granted; return c }

// challenge is the WWW-Authenticate challenge of a failed check, built only
// for refusals.
func (a *Auth) challenge(c check) string {
	switch {
	case c.s.Type == "apiKey":
		return fmt.Sprintf(`ApiKey realm=%q, in=%q, name=%q`, a.realm, c.s.In, c.s.Name)
	case c.s.Type == "http" && strings.EqualFold(c.s.Scheme, "basic"):
		return fmt.Sprintf(`Basic realm=%q`, a.realm)
	}
	return fmt.Sprintf(`Bearer realm=%q`, a.realm) + c.extra
}

func (a *Auth) basicValid(user, pass string) bool {
	want, ok := a.basic[user]
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// checkBearer accepts an access token the mock issued (with the scopes the
// operation requires) or, for an http bearer scheme, a valid API key.
func (a *Auth) checkBearer(r *http.Request, c check, oauth bool, scopes []string) check {
	keys := a.keysEnforced() && !oauth
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		c.v, c.message = missing, "no bearer token in Authorization"
		return c
	}
	if a.oauth == nil && !keys {
		return grant(c)
	}
	if keys && a.keyValid(tok) {
		return grant(c)
	}
	if a.oauth == nil {
		c.v, c.message = invalid, "the bearer token is not a valid API key (unknown or revoked)"
		c.extra = `, error="invalid_token", error_description="unknown or revoked key"`
		return c
	}
	t, why := a.tokens.lookup(tok, a.now())
	if why != "" {
		c.v, c.message = invalid, "the access token "+why
		c.extra = fmt.Sprintf(`, error="invalid_token", error_description=%q`, "the access token "+why)
		return c
	}
	if lacking := lackingScopes(t.scopes, scopes); oauth && len(lacking) > 0 {
		c.v = forbidden
		c.message = fmt.Sprintf("the token lacks the scopes %s", strings.Join(lacking, " "))
		c.extra = fmt.Sprintf(`, error="insufficient_scope", scope=%q`, strings.Join(scopes, " "))
		return c
	}
	return grant(c)
}

func lackingScopes(have map[string]bool, need []string) []string {
	var out []string
	for _, s := range need {
		if !have[s] {
			out = append(out, s)
		}
	}
	return out
}

// refuse answers 403 when some requirement failed only for want of scopes,
// 401 otherwise, with a challenge per scheme the operation accepts.
func (a *Auth) refuse(w http.ResponseWriter, x *Exchange, failed []check) {
	status, title := http.StatusForbidden, "Insufficient scope"
	for _, c := range failed {
		if c.v != forbidden {
			status, title = http.StatusUnauthorized, "Unauthorized"
			break
		}
	}
	var challenges, seen = []string{}, map[string]bool{}
	vs := make([]Violation, 0, len(failed))
	for _, c := range failed {
		if ch := a.challenge(c); !seen[ch] {
			seen[ch] = true
			challenges = append(challenges, ch)
		}
		vs = append(vs, Violation{In: contracts.InSecurity, Name: c.scheme, Message: c.message})
	}
	w.Header().Set("WWW-Authenticate", strings.Join(challenges, ", "))
	x.Entry.Fault = "auth: " + strings.ToLower(title)
	writeProblem(w, status, Problem{Title: title, Operation: x.Operation, Violations: vs})
}
