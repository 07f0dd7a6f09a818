// Package router matches request paths against OpenAPI path templates the
// way a real server's router does: literal segments win over segments that
// mix text and parameters, which win over whole-segment parameters, with
// backtracking so /orders/latest and /orders/{id}/items both resolve.
package router

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Router holds compiled templates. It is immutable after New and safe for
// concurrent use.
type Router struct {
	root *node
}

type node struct {
	literal map[string]*node
	mixed   []*mixedEdge
	param   *node
	leaf    int      // index of the template ending here, -1 when none
	names   []string // the leaf template's parameter names, in order
}

type mixedEdge struct {
	re   *regexp.Regexp
	lit  int // bytes of literal text: more is more specific
	next *node
}

// Match is one template a path matched, with its parameter values decoded.
type Match struct {
	Index  int // index of the template in the slice given to New
	Params map[string]string
}

func newNode() *node { return &node{leaf: -1} }

// New compiles templates. Two templates that differ only in parameter names
// are the same route: the first wins, and the error lists the others.
func New(templates []string) (*Router, error) {
	r := &Router{root: newNode()}
	var dups []string
	for i, t := range templates {
		if err := r.add(i, t); err != nil {
			dups = append(dups, err.Error())
		}
	}
	if len(dups) > 0 {
		return r, fmt.Errorf("router: %s", strings.Join(dups, "; "))
	}
	return r, nil
}

var paramRe = regexp.MustCompile(`\{([^{}]+)\}`)

func (r *Router) add(index int, template string) error {
	n := r.root
	for _, seg := range Split(template) {
		n = n.child(seg)
	}
	if n.leaf >= 0 {
		return fmt.Errorf("template %q duplicates an earlier one", template)
	}
	n.leaf = index
	for _, m := range paramRe.FindAllStringSubmatch(template, -1) {
		n.names = append(n.names, m[1])
	}
	return nil
}

func (n *node) child(seg string) *node {
	locs := paramRe.FindAllStringSubmatchIndex(seg, -1)
	switch {
	case len(locs) == 0:
		if n.literal == nil {
			n.literal = map[string]*node{}
		}
		c := n.literal[seg]
		if c == nil {
			c = newNode()
			n.literal[seg] = c
		}
		return c
	case len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(seg):
		if n.param == nil {
			n.param = newNode()
		}
		return n.param
	}
	var expr strings.Builder
	prev, lit := 0, len(seg)
	for _, l := range locs {
		expr.WriteString(regexp.QuoteMeta(seg[prev:l[0]]))
		expr.WriteString(`(.+?)`)
		prev = l[1]
		lit -= l[1] - l[0]
	}
	expr.WriteString(regexp.QuoteMeta(seg[prev:]))
	src := "^" + expr.String() + "$"
	for _, m := range n.mixed {
		if m.re.String() == src {
			return m.next
		}
	}
	m := &mixedEdge{re: regexp.MustCompile(src), lit: lit, next: newNode()}
	n.mixed = append(n.mixed, m)
	// Longer literal text first: it is the more specific template.
	sort.SliceStable(n.mixed, func(i, j int) bool { return n.mixed[i].lit > n.mixed[j].lit })
	return m.next
}

// Split cuts a path or template into segments, dropping the leading slash
// and one trailing slash.
func Split(p string) []string {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// MatchAll returns every template that matches the escaped path, most
// specific first. Parameter values are unescaped.
func (r *Router) MatchAll(escapedPath string) []Match {
	segs := Split(escapedPath)
	var out []Match
	vals := make([]string, 0, 4)
	r.root.walk(segs, vals, &out)
	return out
}

func (n *node) walk(segs []string, vals []string, out *[]Match) {
	if len(segs) == 0 {
		if n.leaf >= 0 {
			params := make(map[string]string, len(vals))
			for i, v := range vals {
				if i < len(n.names) {
					params[n.names[i]] = v
				}
			}
			*out = append(*out, Match{Index: n.leaf, Params: params})
		}
		return
	}
	raw := segs[0]
	seg, err := url.PathUnescape(raw)
	if err != nil {
		return
	}
	if c := n.literal[seg]; c != nil {
		c.walk(segs[1:], vals, out)
	}
	for _, m := range n.mixed {
		sub := m.re.FindStringSubmatch(seg)
		if sub == nil {
			continue
		}
		m.next.walk(segs[1:], append(vals[:len(vals):len(vals)], sub[1:]...), out)
	}
	if n.param != nil && seg != "" {
		n.param.walk(segs[1:], append(vals[:len(vals):len(vals)], seg), out)
	}
}
