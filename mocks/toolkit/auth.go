package toolkit

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
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
	// APIKeyHeader is where a server without security schemes (see
	// Auth.Attach) reads an API key sent otherwise than as a bearer token.
	APIKeyHeader = "X-API-Key"
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
	// APIKeyHeader, when set, is the one header a server without security
	// schemes (a GraphQL mock, an OpenAPI contract that declares none)
	// reads an API key from, as the vendor does: X-Shopify-Access-Token.
	// The key is then not taken in APIKeyHeader nor as a bearer token.
	APIKeyHeader string
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
// Build one with NewAuth; bind it to an OpenAPI mock with Bind (the
// OpenAPI mock's WithAuth does) and run its Stage, or Attach it to a mock
// with a handler chain of its own and call Check.
type Auth struct {
	now   func() time.Time
	basic map[string]string
	// keyHeader is AuthOptions.APIKeyHeader: without a contract's schemes,
	// the only place a key is read; "" for APIKeyHeader or a bearer token.
	keyHeader string

	mu      sync.Mutex
	keysOn  bool
	keys    map[string]bool // key → valid (false: revoked)
	oauth   *OAuth2Options
	tokens  *tokenStore
	bound   bool
	doc     *openapi3.T // the contract's, or plainDoc's
	plain   bool        // no contract: any configured kind of credential passes
	realm   string
	tokPath string
}

// NewAuth checks o and returns the auth it describes.
func NewAuth(o AuthOptions) (*Auth, error) {
	a := &Auth{now: o.Now, basic: map[string]string{}, keys: map[string]bool{}, doc: plainDoc(APIKeyHeader), plain: true}
	if h := o.APIKeyHeader; h != "" {
		if err := CheckHeaderName(h); err != nil {
			return nil, fmt.Errorf("mocks: auth: API key header: %w", err)
		}
		a.keyHeader, a.doc = http.CanonicalHeaderKey(h), plainDoc(h)
	}
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

// Bind binds a to a mock served from doc, named realm in WWW-Authenticate
// challenges: a checks the security requirements of doc's operations, and
// with OAuth2 serves its token endpoint at the path of doc's tokenUrl on
// the mock's own host (DefaultTokenPath otherwise, or
// OAuth2Options.TokenPath). When doc declares no security scheme, every
// request must carry one of the credentials given, in any form, as when
// attached (see Attach); log says so, and names the credentials given that
// no scheme of doc asks for. One Auth serves one mock.
func (a *Auth) Bind(realm string, doc *openapi3.T, log *slog.Logger) error {
	tokPath := ""
	if a.oauth != nil {
		tokPath = a.oauth.TokenPath
		if tokPath == "" {
			tokPath = tokenPathOf(doc)
		}
	}
	if !declaresSchemes(doc) {
		// Credentials were asked for and the contract says nothing of them
		// (older specs often leave security out, Stripe's among them): every
		// request must carry one of the credentials given, in any form.
		if err := a.attach(realm, nil, tokPath); err != nil {
			return err
		}
		log.Info("mock: the contract declares no security scheme; every request must carry one of the credentials given",
			"mock", realm, "accepted", strings.Join(a.plainForms(), "; "))
		return nil
	}
	if unused := a.unusedKinds(doc); len(unused) > 0 {
		log.Warn("mock: credentials given that the contract never asks for: requests are not checked for them", "mock", realm,
			"credentials", strings.Join(unused, ", "), "schemes", strings.Join(sortedSchemeNames(doc), ", "))
	}
	return a.attach(realm, doc, tokPath)
}

// declaresSchemes reports whether doc declares any security scheme.
func declaresSchemes(doc *openapi3.T) bool {
	return doc != nil && doc.Components != nil && len(doc.Components.SecuritySchemes) > 0
}

// unusedKinds names the kinds of credential configured that no security
// scheme of doc takes: API keys need an apiKey or bearer scheme, basic
// users an HTTP basic one, OAuth2 clients a bearer, oauth2 or
// openIdConnect one.
func (a *Auth) unusedKinds(doc *openapi3.T) []string {
	var apiKey, basic, bearer bool
	if doc != nil {
		for _, ref := range doc.Components.SecuritySchemes {
			if ref == nil || ref.Value == nil {
				continue
			}
			s := ref.Value
			switch {
			case s.Type == "apiKey":
				apiKey = true
			case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
				basic = true
			case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"), s.Type == "oauth2", s.Type == "openIdConnect":
				bearer = true
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	if a.keysOn && !apiKey && !bearer {
		out = append(out, "API keys")
	}
	if len(a.basic) > 0 && !basic {
		out = append(out, "basic users")
	}
	if a.oauth != nil && !bearer {
		out = append(out, "OAuth2 clients")
	}
	return out
}

// Attach binds a to a server that has a handler chain of its own and no
// security schemes to read, such as the GraphQL mock; realm names it in
// WWW-Authenticate challenges. Serve Handler in front of the server and
// call Check for each of its requests. One Auth serves one server.
func (a *Auth) Attach(realm string) error {
	tokPath := ""
	if a.oauth != nil {
		tokPath = a.oauth.TokenPath
	}
	return a.attach(realm, nil, tokPath)
}

func (a *Auth) attach(realm string, doc *openapi3.T, tokPath string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bound {
		return errors.New("mocks: auth: already attached to a mock; build one Auth per mock")
	}
	a.bound, a.realm, a.tokPath = true, realm, tokPath
	if doc != nil {
		a.doc, a.plain = doc, false
	}
	return nil
}

// plainDoc declares the schemes a server without a contract of them
// accepts: an API key in header keyHeader, a bearer token (an API key or an
// access token), an HTTP basic user.
func plainDoc(keyHeader string) *openapi3.T {
	return &openapi3.T{Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{
		"apiKey": {Value: &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: keyHeader}},
		"bearer": {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "bearer"}},
		"basic":  {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "basic"}},
	}}}
}

// plainForms says how a request carries each kind of credential configured
// when no contract names the schemes.
func (a *Auth) plainForms() []string {
	var forms []string
	switch {
	case a.keysEnforced() && a.keyHeader != "":
		forms = append(forms, "an API key in "+a.keyHeader)
	case a.keysEnforced():
		forms = append(forms, "an API key as Authorization: Bearer KEY or "+APIKeyHeader)
	}
	if len(a.basic) > 0 {
		forms = append(forms, "a user as Authorization: Basic")
	}
	if a.oauth != nil {
		forms = append(forms, "an access token of "+a.TokenPath()+" as Authorization: Bearer")
	}
	return forms
}

// plainRequirements are the alternatives of plainDoc's schemes that the
// kinds of credential configured now allow.
func (a *Auth) plainRequirements() openapi3.SecurityRequirements {
	var reqs openapi3.SecurityRequirements
	keys := a.keysEnforced() // keys may be added at run time
	if keys {
		reqs = append(reqs, openapi3.SecurityRequirement{"apiKey": nil})
	}
	if keys && a.keyHeader == "" || a.oauth != nil {
		reqs = append(reqs, openapi3.SecurityRequirement{"bearer": nil})
	}
	if len(a.basic) > 0 {
		reqs = append(reqs, openapi3.SecurityRequirement{"basic": nil})
	}
	return reqs
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

// Stage checks the credentials of the exchanges of next against the
// requirements of their operation (Exchange.Contract; the contract's
// top-level ones without it) and refuses with 401 or 403, WWW-Authenticate
// and a problem; the journal marks the refusal with AuthError.Fault. A
// request to the token endpoint, when the contract declares it, gets a
// token.
func (a *Auth) Stage(next HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, x *Exchange) {
		if a.oauth != nil && x.Request.URL.Path == a.TokenPath() {
			a.serveToken(w, x.Request, x.Body) // the contract declares the token endpoint
			return
		}
		var e *AuthError
		switch {
		case a.plain: // a contract without security schemes
			e = a.check(x.Request, a.plainRequirements())
		case x.Contract != nil:
			reqs, _ := x.Contract.Security()
			e = a.check(x.Request, reqs)
		default:
			e = a.check(x.Request, a.doc.Security)
		}
		if e == nil {
			next(w, x)
			return
		}
		w.Header().Set("WWW-Authenticate", e.Challenge)
		x.Entry.Fault = e.Fault()
		WriteProblem(w, e.Status, Problem{Title: e.Title, Operation: x.Operation, Violations: e.Violations})
	}
}

// AuthError is the refusal of a request's credentials, as Check returns
// it. Its text is what the client is told.
type AuthError struct {
	Status     int    // 401; 403 when a valid token lacked only scopes
	Title      string // "Unauthorized" or "Insufficient scope"
	Challenge  string // the WWW-Authenticate header: one challenge per scheme accepted
	Violations []Violation
}

func (e *AuthError) Error() string {
	msgs := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		msgs[i] = v.Message
	}
	return strings.ToLower(e.Title) + ": " + strings.Join(msgs, "; ")
}

// Fault is how the journal marks the refused exchange (Entry.Fault).
func (e *AuthError) Fault() string { return "auth: " + strings.ToLower(e.Title) }

// Check checks the credentials of r and returns nil or the *AuthError to
// answer with. Bound (see Bind), a checks the contract's top-level
// security requirements. Attached (see Attach) or not bound at all, it
// takes any kind of credential it was configured with:
//
//   - an API key as "Authorization: Bearer KEY" or in the APIKeyHeader header;
//   - an HTTP basic user as "Authorization: Basic ...";
//   - with OAuth2, a live access token of its token endpoint as
//     "Authorization: Bearer TOKEN".
func (a *Auth) Check(r *http.Request) error {
	reqs := a.doc.Security
	if a.plain {
		reqs = a.plainRequirements()
	}
	if e := a.check(r, reqs); e != nil {
		return e
	}
	return nil
}

// check returns nil when r satisfies one of reqs (or there are none), else
// the refusal listing every scheme that failed.
func (a *Auth) check(r *http.Request, reqs openapi3.SecurityRequirements) *AuthError {
	if len(reqs) == 0 {
		return nil
	}
	var failed []check
	for _, req := range reqs {
		cs, ok := a.satisfies(r, req)
		if ok {
			return nil
		}
		failed = append(failed, cs...)
	}
	return a.refusal(failed)
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

// refusal is 403 when some requirement failed only for want of scopes, 401
// otherwise, with a challenge per scheme the operation accepts.
func (a *Auth) refusal(failed []check) *AuthError {
	e := &AuthError{Status: http.StatusForbidden, Title: "Insufficient scope", Violations: make([]Violation, 0, len(failed))}
	for _, c := range failed {
		if c.v != forbidden {
			e.Status, e.Title = http.StatusUnauthorized, "Unauthorized"
			break
		}
	}
	var challenges, seen = []string{}, map[string]bool{}
	for _, c := range failed {
		if ch := a.challenge(c); !seen[ch] {
			seen[ch] = true
			challenges = append(challenges, ch)
		}
		e.Violations = append(e.Violations, Violation{In: contracts.InSecurity, Name: c.scheme, Message: c.message})
	}
	e.Challenge = strings.Join(challenges, ", ")
	return e
}

// CheckHeaderName says what is wrong with h as the header an API key is
// sent in: nil for a header name (letters, digits, '-', '_') other than
// Authorization, which carries bearer tokens and basic users.
func CheckHeaderName(h string) error {
	switch {
	case !validHeaderName(h):
		return fmt.Errorf("%q is not a header name: letters, digits, '-' and '_' only", h)
	case strings.EqualFold(h, "Authorization"):
		return errors.New("the Authorization header carries bearer tokens and basic users: a key sent as Authorization: Bearer KEY needs no api_key_header")
	}
	return nil
}
