package toolkit

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
)

// Masked replaces a secret's value in the journal.
const Masked = "***"

// secretish matches names that hold credentials whatever the contract
// says, in headers, query parameters and JSON or form bodies alike: any
// name containing token, secret, key, passw (password, passwd), pwd, auth
// (authorization), session, signature, credential, jwt or cookie; so
// api_key, apikey, access_token, refresh_token, client_secret,
// X-Access-Jwt, X-Api-Key, X-Auth-Token and Set-Cookie are all masked.
var secretish = regexp.MustCompile(`(?i)token|secret|key|passw|pwd|auth|session|signature|credential|jwt|cookie`)

// queryOnlySecrets are names that hold credentials in a query string or a
// form body (an OAuth2 authorization code, a signed URL's sig) but mostly
// something else in a JSON body (a product's or a currency's code), where
// masking them would blur the evidence the gates compare.
var queryOnlySecrets = map[string]bool{"code": true, "sig": true}

// notSecret matches names that look secret but are not: idempotency keys are
// what the resilience gates compare across retries; an author is no
// authorization.
var notSecret = regexp.MustCompile(`(?i)idempotency|^author(s|_?name|_?id)?$`)

// looksSecretCache remembers looksSecret's answer per name: the same few
// header names come with every request, and the regexps cost a tenth of a
// mock's time under load. Bounded, so odd names cannot grow it for ever.
var looksSecretCache sync.Map // string -> bool

const maxLooksSecretCache = 4096

var looksSecretCached atomic.Int64

func looksSecret(name string) bool {
	if v, ok := looksSecretCache.Load(name); ok {
		return v.(bool)
	}
	secret := secretish.MatchString(name) && !notSecret.MatchString(name)
	if looksSecretCached.Load() < maxLooksSecretCache {
		if _, loaded := looksSecretCache.LoadOrStore(name, secret); !loaded {
			looksSecretCached.Add(1)
		}
	}
	return secret
}

// Secrets knows which headers and query parameters of a request hold
// credentials, so that the journal keeps them masked: Authorization,
// cookies, the API-key parameters of a contract's security schemes, and
// anything named like a token, secret, key or password (idempotency keys
// excepted: the resilience gates compare them across retries).
type Secrets struct {
	headers map[string]bool // canonical header names
	query   map[string]bool
}

// NewSecrets returns the secrets of requests to a mock of doc; a nil doc
// (a GraphQL mock) has only those named like secrets.
func NewSecrets(doc *openapi3.T) Secrets {
	s := Secrets{
		headers: map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true},
		query:   map[string]bool{},
	}
	if doc == nil || doc.Components == nil {
		return s
	}
	for _, ref := range doc.Components.SecuritySchemes {
		if ref == nil || ref.Value == nil {
			continue
		}
		if ref.Value.Type != "apiKey" {
			continue
		}
		switch ref.Value.In {
		case "header":
			s.headers[http.CanonicalHeaderKey(ref.Value.Name)] = true
		case "query":
			s.query[ref.Value.Name] = true
		}
	}
	return s
}

func (s Secrets) isSecretHeader(name string) bool {
	return s.headers[name] || looksSecret(name)
}

// MaskHeader copies h with every secret's value masked; an Authorization
// header keeps its scheme ("Bearer ***").
func (s Secrets) MaskHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if s.isSecretHeader(k) {
			masked := make([]string, len(vs))
			for i := range vs {
				masked[i] = maskValue(k, vs[i])
			}
			out[k] = masked
			continue
		}
		out[k] = vs
	}
	return out
}

// maskValue keeps the scheme of an Authorization header ("Bearer ***") so a
// gate can still tell which kind of credential was sent.
func maskValue(name, v string) string {
	if strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization") {
		if scheme, _, ok := strings.Cut(v, " "); ok {
			return scheme + " " + Masked
		}
	}
	return Masked
}

// MaskQuery masks the values of secret query parameters in a raw query.
func (s Secrets) MaskQuery(raw string) string {
	if raw == "" || !s.queryMayHoldSecret(raw) {
		return raw
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return Masked
	}
	for k, vs := range q {
		if s.query[k] || looksSecret(k) || queryOnlySecrets[strings.ToLower(k)] {
			for i := range vs {
				vs[i] = Masked
			}
			continue
		}
		if k == "query" { // a GraphQL GET: secrets written as arguments
			for i, v := range vs {
				vs[i], _ = maskGraphQLArguments(v)
			}
		}
	}
	return q.Encode()
}

func (s Secrets) queryMayHoldSecret(raw string) bool {
	for k := range s.query {
		if strings.Contains(raw, k) {
			return true
		}
	}
	if secretish.MatchString(raw) {
		return true
	}
	lower := strings.ToLower(raw)
	for k := range queryOnlySecrets {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}
