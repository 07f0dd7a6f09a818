package scenarios

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/firedrill/firedrill/load"
)

// RefKind says what a ${...} reference points at.
type RefKind int

// The kinds of reference a scenario may hold.
const (
	// RefSystem is ${name.attr}: an address of a system (url, host, port, addr).
	RefSystem RefKind = iota + 1
	// RefEnv is ${env:NAME} or ${env:NAME:-default}: the environment.
	RefEnv
	// RefVar is ${name}: a value of the flow (a capture of an earlier step,
	// or a per-iteration value such as seq or uuid).
	RefVar
)

// Ref is one ${...} reference in a scenario value.
type Ref struct {
	Kind       RefKind
	Raw        string // the whole reference, ${...} included
	Offset     int    // byte offset of Raw in the value
	System     string // RefSystem
	Attr       string // RefSystem: url, host, port or addr
	Name       string // RefEnv: the variable; RefVar: the value's name
	Default    string // RefEnv: the value when the variable is unset
	HasDefault bool
}

// SystemAttrs are the attributes a ${system.attr} reference may name.
var systemAttrs = map[string]bool{"url": true, "host": true, "port": true, "addr": true}

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	identRef = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// ParseRefs finds the references in s. "$$" stands for a literal "$".
func ParseRefs(s string) ([]Ref, error) {
	var refs []Ref
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return refs, fmt.Errorf("reference at offset %d is not closed: add }", i)
		}
		raw := s[i : i+end+1]
		r, err := parseRef(raw[2 : len(raw)-1])
		if err != nil {
			return refs, fmt.Errorf("reference %s: %w", raw, err)
		}
		r.Raw, r.Offset = raw, i
		refs = append(refs, r)
		i += end
	}
	return refs, nil
}

func parseRef(body string) (Ref, error) {
	body = strings.TrimSpace(body)
	if rest, ok := strings.CutPrefix(body, "env:"); ok {
		name, def, hasDef := strings.Cut(rest, ":-")
		if !envName.MatchString(name) {
			return Ref{}, fmt.Errorf("%q is not an environment variable name", name)
		}
		return Ref{Kind: RefEnv, Name: name, Default: def, HasDefault: hasDef}, nil
	}
	if sys, attr, ok := strings.Cut(body, "."); ok {
		if sys == load.VarRand && attr != "" && strings.Trim(attr, "0123456789") == "" {
			return Ref{Kind: RefVar, Name: body}, nil // ${rand.N}, the load generator's
		}
		if !identRef.MatchString(sys) {
			return Ref{}, fmt.Errorf("%q is not a system name", sys)
		}
		if !systemAttrs[attr] {
			return Ref{}, fmt.Errorf("a system has no %q: use url, host, port or addr", attr)
		}
		return Ref{Kind: RefSystem, System: sys, Attr: attr}, nil
	}
	if !identRef.MatchString(body) {
		return Ref{}, fmt.Errorf("%q is neither name.url, env:NAME nor a flow value", body)
	}
	return Ref{Kind: RefVar, Name: body}, nil
}

// Expand replaces every reference in s with what resolve returns for it.
func Expand(s string, resolve func(Ref) (string, error)) (string, error) {
	refs, err := ParseRefs(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		b.WriteString(unescape(s[last:r.Offset]))
		v, err := resolve(r)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		last = r.Offset + len(r.Raw)
	}
	b.WriteString(unescape(s[last:]))
	return b.String(), nil
}

func unescape(s string) string { return strings.ReplaceAll(s, "$$", "$") }
