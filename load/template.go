package load

import (
	"fmt"
	"strings"
)

// A template is text with ${name} references, compiled once and expanded per
// iteration. ${name} reads a variable of the iteration: a built-in (seq,
// uuid, rand) or a value captured by an earlier step. $${ writes a literal
// "${". The same ${...} syntax is used by scenario files, which resolve their
// own references (${shop.url}) before the flow reaches this package.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	lit string // literal text, when name is empty
	ref string // variable name
}

// parseTemplate compiles s. Errors name the byte offset of the problem.
func parseTemplate(s string) (template, error) {
	var t template
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return template{}, fmt.Errorf("offset %d: unterminated ${", i)
			}
			name := s[i+2 : i+2+end]
			if !validVarName(name) {
				return template{}, fmt.Errorf("offset %d: bad variable name %q (letters, digits, _ . -; starting with a letter or _)", i, name)
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, tmplPart{ref: name})
			i += end + 3
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{lit: lit.String()})
	}
	return t, nil
}

func validVarName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && ((r >= '0' && r <= '9') || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// refs lists the variables t reads.
func (t template) refs() []string {
	var out []string
	for _, p := range t.parts {
		if p.ref != "" {
			out = append(out, p.ref)
		}
	}
	return out
}

// expand writes t with vars substituted. A missing variable expands to the
// empty string; callers check references before a run (Flow.Validate).
func (t template) expand(vars func(string) string) string {
	if len(t.parts) == 1 && t.parts[0].ref == "" {
		return t.parts[0].lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == "" {
			b.WriteString(p.lit)
			continue
		}
		if vars != nil {
			b.WriteString(vars(p.ref))
		}
	}
	return b.String()
}
