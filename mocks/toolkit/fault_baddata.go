package toolkit

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// badDataFault mutates a valid JSON answer so that it breaks the response
// schema the way real vendors' data does. mode:
//
//   - "missing": a required field is left out;
//   - "type": a field has the wrong type (a number as text, text as a
//     number...);
//   - "null": a field is null where the schema does not allow it;
//   - "any" (default): one of those, drawn per request.
//
// The field is drawn per request (seeded), anywhere in the answer: the
// top level, nested objects, the first item of arrays. Every mutation is
// checked against the schema before it is sent; an answer that cannot be
// broken this way (no JSON schema, no field) is sent unchanged and the
// journal shows no fault.
type badDataFault struct {
	mode string
}

func newBadDataFault(p *faultParams) injector {
	return &badDataFault{mode: p.str("mode")}
}

// mutation is one way to break an answer: at the JSON pointer path, do kind.
type mutation struct {
	kind   string // missing, type or null
	parent map[string]any
	field  string
	path   string
}

func (f *badDataFault) shape(w http.ResponseWriter, x *Exchange, next HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	status, body := capture(x, w, next)
	out, label := f.mutate(x, status, w.Header().Get("Content-Type"), body, d)
	if label == "" {
		emit(w, status, body)
		return ""
	}
	emit(w, status, out)
	return label
}

// mutate returns the broken body and its label, or "" when the answer
// cannot be broken.
func (f *badDataFault) mutate(x *Exchange, status int, contentType string, body []byte, d draw) ([]byte, string) {
	c, ok := x.Contract.(ResponseSchemas)
	if !ok {
		return nil, "" // a handler without a contract: no schema to break
	}
	schema := c.ResponseSchema(status, contentType)
	if schema == nil || len(body) == 0 {
		return nil, ""
	}
	probe := func() (any, []mutation) {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return nil, nil
		}
		var ms []mutation
		collectMutations(&ms, schema, v, "", 0)
		return v, f.keep(ms)
	}
	v, cands := probe()
	if len(cands) == 0 {
		return nil, ""
	}
	start := int(mix64(d.key^mix64(d.n+1)) % uint64(len(cands)))
	for i := range cands {
		if i > 0 {
			v, cands = probe() // a fresh copy: the last try changed v
		}
		m := cands[(start+i)%len(cands)]
		apply(m)
		if len(c.ValidateValue(schema, v)) == 0 {
			continue // the schema allows it after all
		}
		out, err := json.Marshal(v)
		if err != nil {
			continue
		}
		return out, "bad_data " + m.kind + " " + m.path
	}
	return nil, ""
}

func (f *badDataFault) keep(ms []mutation) []mutation {
	if f.mode == "any" {
		return ms
	}
	out := ms[:0]
	for _, m := range ms {
		if m.kind == f.mode {
			out = append(out, m)
		}
	}
	return out
}

func apply(m mutation) {
	switch m.kind {
	case "missing":
		delete(m.parent, m.field)
	case "null":
		m.parent[m.field] = nil
	case "type":
		m.parent[m.field] = wrongType(m.parent[m.field])
	}
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v := v.(type) {
	case string:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
		return 12345
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return map[string]any{}
	case map[string]any:
		return "[object Object]"
	}
	return "unexpected"
}

// collectMutations lists the ways to break v at path, following the schema
// through objects (with allOf merged) and into the first item of arrays.
func collectMutations(out *[]mutation, s *openapi3.Schema, v any, path string, depth int) {
	if s == nil || depth > 8 {
		return
	}
	switch v := v.(type) {
	case []any:
		if len(v) > 0 && s.Items != nil {
			collectMutations(out, s.Items.Value, v[0], path+"/0", depth+1)
		}
	case map[string]any:
		props, required := objectShape(s, 0)
		names := make([]string, 0, len(v))
		for name := range v {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := path + "/" + escapePointer(name)
			ps := props[name]
			if required[name] {
				*out = append(*out, mutation{kind: "missing", parent: v, field: name, path: p})
			}
			if ps == nil {
				continue
			}
			if v[name] != nil && !nullable(ps) {
				*out = append(*out, mutation{kind: "null", parent: v, field: name, path: p})
			}
			if v[name] != nil {
				*out = append(*out, mutation{kind: "type", parent: v, field: name, path: p})
			}
			collectMutations(out, ps, v[name], p, depth+1)
		}
	}
}

// objectShape merges the properties and required fields of s and its allOf.
func objectShape(s *openapi3.Schema, depth int) (map[string]*openapi3.Schema, map[string]bool) {
	props, required := map[string]*openapi3.Schema{}, map[string]bool{}
	if s == nil || depth > 8 {
		return props, required
	}
	for name, ref := range s.Properties {
		if ref != nil && ref.Value != nil {
			props[name] = ref.Value
		}
	}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, sub := range s.AllOf {
		if sub == nil {
			continue
		}
		p, r := objectShape(sub.Value, depth+1)
		for k, v := range p {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
		for k := range r {
			required[k] = true
		}
	}
	return props, required
}

func nullable(s *openapi3.Schema) bool {
	return s.Nullable || (s.Type != nil && s.Type.IncludesNull())
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
