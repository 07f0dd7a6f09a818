package openapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/internal/router"
)

// find resolves a request path (escaped, base path removed) and method.
// ok is false when no template matches; op is nil (and allow set) when the
// path matches but no template has the method.
func (m *Mock) find(escapedPath, method string) (op *operation, params map[string]string, allow string, ok bool) {
	matches := m.router.MatchAll(escapedPath)
	if len(matches) == 0 {
		return nil, nil, "", false
	}
	for _, want := range []string{method, headFallback(method)} {
		if want == "" {
			continue
		}
		if op, params := m.choose(matches, want); op != nil {
			return op, params, "", true
		}
	}
	return nil, nil, m.allowOf(matches), true
}

func headFallback(method string) string {
	if method == http.MethodHead {
		return http.MethodGet
	}
	return ""
}

// choose picks the operation with method among the templates a path
// matched, most specific first. When several have it (twins such as Xero's
// attachments by {AttachmentID}, a uuid, and by {FileName}), the first whose
// path parameters fit their schemas wins, as on the vendor's server; when
// none fits, the first, so validation names the parameter. The common case,
// one template with the method, checks nothing.
func (m *Mock) choose(matches []router.Match, method string) (*operation, map[string]string) {
	var (
		first       *operation
		firstParams map[string]string
		firstFits   bool
		checked     bool
	)
	for _, mt := range matches {
		o := m.routes[mt.Index].ops[method]
		switch {
		case o == nil:
			continue
		case first == nil:
			first, firstParams = o, mt.Params
			continue
		}
		if !checked {
			firstFits, checked = m.paramsFit(first, firstParams), true
			if firstFits {
				return first, firstParams
			}
		}
		if m.paramsFit(o, mt.Params) {
			return o, mt.Params
		}
	}
	return first, firstParams
}

// paramsFit reports whether every path parameter of o with a schema holds
// a value that schema accepts.
func (m *Mock) paramsFit(o *operation, params map[string]string) bool {
	for name, s := range o.pathSchemas {
		raw, ok := params[name]
		if !ok {
			continue
		}
		v, ok := pathValue(s, raw)
		if !ok || len(m.validator.ValidateValue(s, v, false)) > 0 {
			return false
		}
	}
	return true
}

// pathValue reads a path parameter as its schema's type would: a number,
// a boolean, or the text itself.
func pathValue(s *openapi3.Schema, raw string) (any, bool) {
	if s.Type.Includes("string") {
		return raw, true
	}
	switch {
	case s.Type.Includes("integer"), s.Type.Includes("number"):
		f, err := strconv.ParseFloat(raw, 64)
		return f, err == nil
	case s.Type.Includes("boolean"):
		b, err := strconv.ParseBool(raw)
		return b, err == nil
	}
	return raw, true
}

// allowOf is the Allow header of a 405: every method of every template the
// path matched, twins included, since find serves each of them there.
func (m *Mock) allowOf(matches []router.Match) string {
	if len(matches) == 1 {
		return m.routes[matches[0].Index].allow
	}
	var methods []string
	for _, mt := range matches {
		for method := range m.routes[mt.Index].ops {
			if !slices.Contains(methods, method) {
				methods = append(methods, method)
			}
		}
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// pathSchemas are the schemas of an operation's path parameters by name,
// the operation's own parameters over the path item's.
func pathSchemas(item *openapi3.PathItem, op *openapi3.Operation) map[string]*openapi3.Schema {
	var out map[string]*openapi3.Schema
	for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range params {
			if ref == nil || ref.Value == nil || ref.Value.In != openapi3.ParameterInPath {
				continue
			}
			p := ref.Value
			if p.Schema == nil || p.Schema.Value == nil {
				continue
			}
			if out == nil {
				out = map[string]*openapi3.Schema{}
			}
			out[p.Name] = p.Schema.Value
		}
	}
	return out
}
