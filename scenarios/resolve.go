package scenarios

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Address is where a system can be reached by the service under test: for
// a mocked or real vendor, the proxy in front of it, so every fault applies.
type Address struct {
	Scheme   string // http or https
	Host     string
	Port     int
	BasePath string // the contract's base path, e.g. /v1
}

// URL is the address as the service uses it: scheme://host:port/base.
func (a Address) URL() string {
	scheme := a.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + a.Addr() + strings.TrimRight(a.BasePath, "/")
}

// Addr is host:port.
func (a Address) Addr() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// attr returns the value of ${system.attr}.
func (a Address) attr(name string) string {
	switch name {
	case "url":
		return a.URL()
	case "host":
		return a.Host
	case "port":
		return strconv.Itoa(a.Port)
	}
	return a.Addr()
}

// ParseAddress reads a URL into an Address.
func ParseAddress(raw string) (Address, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Address{}, fmt.Errorf("scenarios: %q is not an absolute URL", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return Address{}, fmt.Errorf("scenarios: %q has a bad port", raw)
	}
	return Address{Scheme: u.Scheme, Host: u.Hostname(), Port: p, BasePath: u.Path}, nil
}

// Resolver expands ${...} references once the systems have addresses.
type Resolver struct {
	Systems map[string]Address
	// Getenv reads the environment; ok is false for an unset variable.
	Getenv func(name string) (value string, ok bool)
	// Vars are the flow values a bare ${name} may use.
	Vars map[string]string
	// Secrets learns every value read from the environment, so it can be
	// redacted from output.
	Secrets *Secrets
}

// Expand resolves every reference in s.
func (r *Resolver) Expand(s string) (string, error) {
	return Expand(s, func(ref Ref) (string, error) {
		switch ref.Kind {
		case RefSystem:
			a, ok := r.Systems[ref.System]
			if !ok {
				return "", fmt.Errorf("scenarios: %s: system %q has no address (yet)", ref.Raw, ref.System)
			}
			return a.attr(ref.Attr), nil
		case RefEnv:
			v, ok := "", false
			if r.Getenv != nil {
				v, ok = r.Getenv(ref.Name)
			}
			if !ok {
				if !ref.HasDefault {
					return "", fmt.Errorf("scenarios: %s: environment variable %s is not set (give a default with ${env:%s:-value})", ref.Raw, ref.Name, ref.Name)
				}
				return ref.Default, nil // written in the file: not a secret
			}
			r.Secrets.Add(v)
			return v, nil
		}
		v, ok := r.Vars[ref.Name]
		if !ok {
			return "", fmt.Errorf("scenarios: %s is not a known value", ref.Raw)
		}
		return v, nil
	})
}

// ExpandKeepVars resolves system and environment references and leaves
// flow values (${seq}, captures) and $$ escapes for the load generator,
// whose templates share the ${...} syntax.
func (r *Resolver) ExpandKeepVars(s string) (string, error) {
	refs, err := ParseRefs(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for _, ref := range refs {
		if ref.Kind == RefVar {
			continue
		}
		v, err := r.Expand(ref.Raw)
		if err != nil {
			return "", err
		}
		b.WriteString(s[last:ref.Offset])
		b.WriteString(strings.ReplaceAll(v, "$", "$$"))
		last = ref.Offset + len(ref.Raw)
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// ExpandMap resolves every value of m, naming the key of a failure.
func (r *Resolver) ExpandMap(m map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		v, err := r.Expand(m[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}
