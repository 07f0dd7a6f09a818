package contracts

import (
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaWalk visits every schema of a document once, in the order and at
// the pointers of kin-openapi's (*openapi3.T).WalkSchemas, which it mirrors
// (TestSchemaWalkMatchesKin holds it to that). It differs in one thing:
// WalkSchemas concatenates the pointer of every schema it visits, which on
// Stripe's contract is most of the bytes a load allocates, while schemaWalk
// keeps the pointer as a stack of tokens and joins it only for the few
// schemas a visitor reports on (pointer).
type schemaWalk struct {
	visit         func(w *schemaWalk, s *openapi3.Schema)
	tokens        []string // the current schema's pointer, unescaped
	seen          map[*openapi3.Schema]struct{}
	seenCallbacks map[*openapi3.Callback]struct{}
	keys          [][]string // sorting buffers, one per nesting depth
}

// walkSchemas calls visit for every schema of doc, once each.
func walkSchemas(doc *openapi3.T, visit func(w *schemaWalk, s *openapi3.Schema)) {
	if doc == nil {
		return
	}
	w := &schemaWalk{
		visit:         visit,
		tokens:        make([]string, 0, 64),
		seen:          map[*openapi3.Schema]struct{}{},
		seenCallbacks: map[*openapi3.Callback]struct{}{},
	}
	w.document(doc)
}

// pointer is the JSON pointer of the schema being visited, followed by
// more tokens.
func (w *schemaWalk) pointer(more ...string) string {
	n := len(w.tokens)
	p := joinPointer(append(w.tokens, more...))
	w.tokens = w.tokens[:n]
	return p
}

func (w *schemaWalk) push(tokens ...string) { w.tokens = append(w.tokens, tokens...) }

func (w *schemaWalk) pop(n int) { w.tokens = w.tokens[:len(w.tokens)-n] }

// sorted returns the keys of m in order, in a buffer of the walk's that
// stays valid until the walk is back at this depth.
func sorted[V any](w *schemaWalk, m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	depth := len(w.tokens)
	for len(w.keys) <= depth {
		w.keys = append(w.keys, nil)
	}
	keys := w.keys[depth][:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.keys[depth] = keys
	return keys
}

func (w *schemaWalk) document(doc *openapi3.T) {
	if c := doc.Components; c != nil {
		for _, name := range sorted(w, c.Schemas) {
			w.schemaRef(c.Schemas[name], "components", "schemas", name)
		}
		for _, name := range sorted(w, c.Parameters) {
			w.push("components", "parameters", name)
			w.parameter(c.Parameters[name])
			w.pop(3)
		}
		for _, name := range sorted(w, c.Headers) {
			w.push("components", "headers", name)
			w.header(c.Headers[name])
			w.pop(3)
		}
		for _, name := range sorted(w, c.RequestBodies) {
			if rb := c.RequestBodies[name]; rb != nil && rb.Value != nil {
				w.push("components", "requestBodies", name, "content")
				w.content(rb.Value.Content)
				w.pop(4)
			}
		}
		for _, name := range sorted(w, c.Responses) {
			w.push("components", "responses", name)
			w.response(c.Responses[name])
			w.pop(3)
		}
		for _, name := range sorted(w, c.Callbacks) {
			if cb := c.Callbacks[name]; cb != nil && cb.Value != nil {
				w.push("components", "callbacks", name)
				w.callback(cb.Value)
				w.pop(3)
			}
		}
	}
	if doc.Paths != nil {
		items := doc.Paths.Map()
		for _, p := range sorted(w, items) {
			w.push("paths", p)
			w.pathItem(items[p])
			w.pop(2)
		}
	}
	for _, name := range sorted(w, doc.Webhooks) {
		w.push("webhooks", name)
		w.pathItem(doc.Webhooks[name])
		w.pop(2)
	}
}

// fixedMethods are the methods of PathItem's fixed fields, sorted: the
// order WalkSchemas visits them in.
var fixedMethods = openapi3.PathItemMethods()

func (w *schemaWalk) pathItem(item *openapi3.PathItem) {
	if item == nil {
		return
	}
	for i, p := range item.Parameters {
		w.push("parameters", strconv.Itoa(i))
		w.parameter(p)
		w.pop(2)
	}
	for _, m := range fixedMethods {
		if op := item.GetOperation(m); op != nil {
			w.push(strings.ToLower(m))
			w.operation(op)
			w.pop(1)
		}
	}
	for _, m := range sorted(w, item.AdditionalOperations) {
		op := item.AdditionalOperations[m]
		if op == nil || slices.Contains(fixedMethods, m) && item.GetOperation(m) != nil {
			continue
		}
		w.push("additionalOperations", m)
		w.operation(op)
		w.pop(2)
	}
}

func (w *schemaWalk) operation(op *openapi3.Operation) {
	for i, p := range op.Parameters {
		w.push("parameters", strconv.Itoa(i))
		w.parameter(p)
		w.pop(2)
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		w.push("requestBody", "content")
		w.content(op.RequestBody.Value.Content)
		w.pop(2)
	}
	if op.Responses != nil {
		responses := op.Responses.Map()
		for _, code := range sorted(w, responses) {
			w.push("responses", code)
			w.response(responses[code])
			w.pop(2)
		}
	}
	for _, name := range sorted(w, op.Callbacks) {
		if cb := op.Callbacks[name]; cb != nil && cb.Value != nil {
			w.push("callbacks", name)
			w.callback(cb.Value)
			w.pop(2)
		}
	}
}

func (w *schemaWalk) callback(cb *openapi3.Callback) {
	if _, ok := w.seenCallbacks[cb]; ok {
		return
	}
	w.seenCallbacks[cb] = struct{}{}
	items := cb.Map()
	for _, expr := range sorted(w, items) {
		w.push(expr)
		w.pathItem(items[expr])
		w.pop(1)
	}
}

func (w *schemaWalk) parameter(p *openapi3.ParameterRef) {
	if p == nil || p.Value == nil {
		return
	}
	w.schemaRef(p.Value.Schema, "schema")
	w.push("content")
	w.content(p.Value.Content)
	w.pop(1)
}

func (w *schemaWalk) header(h *openapi3.HeaderRef) {
	if h == nil || h.Value == nil {
		return
	}
	w.schemaRef(h.Value.Schema, "schema")
	w.push("content")
	w.content(h.Value.Content)
	w.pop(1)
}

func (w *schemaWalk) response(r *openapi3.ResponseRef) {
	if r == nil || r.Value == nil {
		return
	}
	for _, name := range sorted(w, r.Value.Headers) {
		w.push("headers", name)
		w.header(r.Value.Headers[name])
		w.pop(2)
	}
	w.push("content")
	w.content(r.Value.Content)
	w.pop(1)
}

func (w *schemaWalk) content(content openapi3.Content) {
	for _, mt := range sorted(w, content) {
		media := content[mt]
		if media == nil {
			continue
		}
		w.schemaRef(media.Schema, mt, "schema")
		w.schemaRef(media.ItemSchema, mt, "itemSchema")
	}
}

func (w *schemaWalk) schemaRefs(refs openapi3.SchemaRefs, keyword string) {
	for i, sr := range refs {
		w.schemaRef(sr, keyword, strconv.Itoa(i))
	}
}

func (w *schemaWalk) schemaMap(m openapi3.Schemas, keyword string) {
	for _, name := range sorted(w, m) {
		w.schemaRef(m[name], keyword, name)
	}
}

// schemaRef visits the schema of sr at the current pointer followed by at,
// then everything below it, unless it was visited before.
func (w *schemaWalk) schemaRef(sr *openapi3.SchemaRef, at ...string) {
	if sr == nil || sr.Value == nil {
		return
	}
	s := sr.Value
	if _, ok := w.seen[s]; ok {
		return
	}
	w.seen[s] = struct{}{}
	w.push(at...)
	defer w.pop(len(at))
	w.visit(w, s)
	w.schemaMap(s.Properties, "properties")
	w.schemaRef(s.Items, "items")
	w.schemaRef(s.AdditionalProperties.Schema, "additionalProperties")
	w.schemaRefs(s.AllOf, "allOf")
	w.schemaRefs(s.AnyOf, "anyOf")
	w.schemaRefs(s.OneOf, "oneOf")
	w.schemaRef(s.Not, "not")
	w.schemaRefs(s.PrefixItems, "prefixItems")
	w.schemaRef(s.Contains, "contains")
	w.schemaMap(s.PatternProperties, "patternProperties")
	w.schemaMap(s.DependentSchemas, "dependentSchemas")
	w.schemaRef(s.PropertyNames, "propertyNames")
	w.schemaRef(s.If, "if")
	w.schemaRef(s.Then, "then")
	w.schemaRef(s.Else, "else")
	w.schemaRef(s.UnevaluatedItems.Schema, "unevaluatedItems")
	w.schemaRef(s.UnevaluatedProperties.Schema, "unevaluatedProperties")
	w.schemaRef(s.ContentSchema, "contentSchema")
	w.schemaMap(s.Defs, "$defs")
}
