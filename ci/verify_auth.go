package ci

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The environment variables a verification reads a security scheme's
// credential from when VerifyOptions.Auth names none for the scheme.
const (
	EnvAPIKey        = "FIREDRILL_API_KEY"        // apiKey schemes: in a header, the query or a cookie
	EnvBearerToken   = "FIREDRILL_BEARER_TOKEN"   // HTTP bearer (and other HTTP schemes), OAuth2, OpenID Connect
	EnvBasicUser     = "FIREDRILL_BASIC_USER"     // HTTP basic: the user...
	EnvBasicPassword = "FIREDRILL_BASIC_PASSWORD" // ...and the password
)

// credentials reads the credential of every security scheme from the
// environment, notes the schemes the selected operations need but have
// none for, and prepares the redaction of every value read.
func (vr *verifier) credentials() error {
	schemes := map[string]*openapi3.SecurityScheme{}
	if comps := vr.c.Doc.Components; comps != nil {
		for name, ref := range comps.SecuritySchemes {
			if ref != nil && ref.Value != nil {
				schemes[name] = ref.Value
			}
		}
	}
	values, secrets := map[string]string{}, []string{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(vr.o.Auth)) {
		env := vr.o.Auth[name]
		s := schemes[name]
		v := vr.o.Getenv(env)
		switch {
		case s == nil:
			errs = append(errs, fmt.Errorf("auth %s=%s: the contract has no security scheme %q (it has %s)", name, env, name, strings.Join(quoteAll(slices.Sorted(maps.Keys(schemes))), ", ")))
		case v == "":
			errs = append(errs, fmt.Errorf("auth %s=%s: the environment variable %s is empty", name, env, env))
		case isBasic(s) && !strings.Contains(v, ":"):
			errs = append(errs, fmt.Errorf("auth %s=%s: scheme %q is HTTP basic: want user:password in %s", name, env, name, env))
		default:
			values[name] = v
		}
	}
	for _, name := range vr.usedSchemes() {
		if _, ok := values[name]; ok || schemes[name] == nil {
			continue
		}
		if v, missing := conventional(schemes[name], vr.o.Getenv); missing != "" {
			vr.notes = append(vr.notes, fmt.Sprintf("no credential for security scheme %q: %s", name, missing))
		} else {
			values[name] = v
		}
	}
	for _, v := range values {
		secrets = append(secrets, v, url.QueryEscape(v))
		if _, pw, ok := strings.Cut(v, ":"); ok {
			secrets = append(secrets, pw, url.QueryEscape(pw)) // the user name is no secret
		}
	}
	vr.cred = func(name string, _ *openapi3.SecurityScheme) (string, bool) {
		v, ok := values[name]
		return v, ok
	}
	vr.redact = redactor(secrets)
	return errors.Join(errs...)
}

// conventional reads a scheme's credential from the conventional
// variables, or says what is missing.
func conventional(s *openapi3.SecurityScheme, getenv func(string) string) (value, missing string) {
	env := EnvBearerToken
	switch {
	case s.Type == "apiKey":
		env = EnvAPIKey
	case s.Type == "mutualTLS":
		return "", "mutual TLS is not supported"
	case isBasic(s):
		user, pw := getenv(EnvBasicUser), getenv(EnvBasicPassword)
		if user == "" {
			return "", EnvBasicUser + " is empty"
		}
		return user + ":" + pw, ""
	}
	if v := getenv(env); v != "" {
		return v, ""
	}
	return "", env + " is empty"
}

func isBasic(s *openapi3.SecurityScheme) bool {
	return s.Type == "http" && strings.EqualFold(s.Scheme, "basic")
}

// usedSchemes lists the security schemes of the first security
// requirement of the selected operations (the one the request generator
// satisfies), sorted.
func (vr *verifier) usedSchemes() []string {
	used := map[string]bool{}
	for _, op := range vr.ops {
		reqs := op.Operation.Security
		if reqs == nil {
			reqs = &vr.c.Doc.Security
		}
		if len(*reqs) == 0 {
			continue
		}
		for name := range (*reqs)[0] {
			used[name] = true
		}
	}
	return slices.Sorted(maps.Keys(used))
}

// minRedacted is the shortest credential searched for in what a
// verification reports: a shorter one ("t" as a test token) would mask
// every "t" of the report. It is still masked where it is sent (the query).
const minRedacted = 4

// redactor replaces every secret, longest first, with toolkit.Masked.
func redactor(secrets []string) *strings.Replacer {
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return len(s) < minRedacted })
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range slices.Compact(secrets) {
		pairs = append(pairs, s, toolkit.Masked)
	}
	return strings.NewReplacer(pairs...)
}
