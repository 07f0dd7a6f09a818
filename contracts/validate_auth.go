package contracts

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// vAuthenticate checks that the credential a security scheme asks for is
// present and well formed. A mock accepts any value: which keys and tokens are
// valid is a vendor behaviour layered on top.
func vAuthenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if msg := MissingCredential(in.RequestValidationInput.Request, in.SecurityScheme); msg != "" {
		return in.NewError(fmt.Errorf("%s (scheme %q)", msg, in.SecuritySchemeName))
	}
	return nil
}

// MissingCredential says what r lacks to satisfy scheme, or "" when the
// credential is there. API keys are looked for in their header, query
// parameter or cookie; HTTP basic needs a decodable user:password; HTTP bearer,
// OAuth2 and OpenID Connect need a non-empty bearer token. Mutual TLS cannot be
// seen at this level and always passes.
func MissingCredential(r *http.Request, scheme *openapi3.SecurityScheme) string {
	switch scheme.Type {
	case "apiKey":
		return vMissingAPIKey(r, scheme)
	case "http":
		return vMissingHTTPAuth(r, strings.ToLower(scheme.Scheme))
	case "oauth2", "openIdConnect":
		return vMissingHTTPAuth(r, "bearer")
	}
	return ""
}

func vMissingAPIKey(r *http.Request, scheme *openapi3.SecurityScheme) string {
	switch scheme.In {
	case "header":
		if r.Header.Get(scheme.Name) != "" {
			return ""
		}
	case "query":
		if r.URL.Query().Get(scheme.Name) != "" {
			return ""
		}
	case "cookie":
		if c, err := r.Cookie(scheme.Name); err == nil && c.Value != "" {
			return ""
		}
	default:
		return ""
	}
	return fmt.Sprintf("API key %q in %s is missing", scheme.Name, scheme.In)
}

func vMissingHTTPAuth(r *http.Request, scheme string) string {
	auth := r.Header.Get("Authorization")
	switch scheme {
	case "basic":
		if _, _, ok := r.BasicAuth(); ok {
			return ""
		}
		return "HTTP basic credentials in Authorization are missing"
	case "bearer":
		if tok, ok := vCutPrefixFold(auth, "Bearer "); ok && strings.TrimSpace(tok) != "" {
			return ""
		}
		return "a bearer token in Authorization is missing"
	}
	if rest, ok := vCutPrefixFold(auth, scheme+" "); ok && strings.TrimSpace(rest) != "" {
		return ""
	}
	return fmt.Sprintf("HTTP %s credentials in Authorization are missing", scheme)
}

func vCutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
