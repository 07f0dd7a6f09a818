// Package router matches request paths against OpenAPI path templates the
// way a real server's router does: literal segments win over segments that
// mix text and parameters, which win over whole-segment parameters, with
// backtracking so /orders/latest and /orders/{id}/items both resolve.
//
// Templates that differ only in their parameter names are twins. OpenAPI
// forbids them, real contracts have them (Xero's accounting API serves GET
// on /Accounts/{AccountID}/Attachments/{AttachmentID} and GET, POST and PUT
// on /Accounts/{AccountID}/Attachments/{FileName}), and the vendor's own
// server tells them apart by method and by the parameters' types. So the
// router keeps every twin: a path matches each of them, in the order given,
// each with its parameters named as in that template, and the caller
// chooses.
package router

import (
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
	leaves  []leaf // the templates ending here (twins), in the order given
}

// leaf is one template ending at a node.
type leaf struct {
	index int      // the template's index in the slice given to New
	names []string // its parameter names, in order
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

func newNode() *node { return &node{} }

// New compiles templates. Every template is kept, twins included (see the
// package documentation).
func New(templates []string) *Router {
	r := &Router{root: newNode()}
	for i, t := range templates {
		r.add(i, t)
	}
	return r
}

var paramRe = regexp.MustCompile(`\{([^{}]+)\}`)

func (r *Router) add(index int, template string) {
	n := r.root
	for _, seg := range Split(template) {
		n = n.child(seg)
	}
	l := leaf{index: index}
	for _, m := range paramRe.FindAllStringSubmatch(template, -1) {
		l.names = append(l.names, m[1])
	}
	n.leaves = append(n.leaves, l)
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
// specific first, twins in the order given to New. Parameter values are
// unescaped and named as in each template.
func (r *Router) MatchAll(escapedPath string) []Match {
	segs := Split(escapedPath)
	var out []Match
	vals := make([]string, 0, 4)
	r.root.walk(segs, vals, &out)
	return out
}

func (n *node) walk(segs []string, vals []string, out *[]Match) {
	if len(segs) == 0 {
		for _, l := range n.leaves {
			params := make(map[string]string, len(vals))
			for i, v := range vals {
				if i < len(l.names) {
					params[l.names[i]] = v
				}
			}
			*out = append(*out, Match{Index: l.index, Params: params})
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
