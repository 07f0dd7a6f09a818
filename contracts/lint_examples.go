package contracts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The rules of values that break their own schema.
const (
	RuleExampleInvalid = "example-invalid" // an example (error)
	RuleDefaultInvalid = "default-invalid" // a schema default (warning)
)

// siteKind says how a value is checked against its schema.
type siteKind int

const (
	siteRequest  siteKind = iota // request body or parameter example: readOnly fields may not appear
	siteResponse                 // response body or header example: writeOnly fields may not appear
	siteSchema                   // a schema's own example: either direction
	siteEnum                     // an enum value (retyped from YAML, not linted here)
	siteDefault                  // a default (retyped from YAML, not linted here)
)

// valueSite is one literal value of the document written against a schema:
// an example, an enum value, a default.
type valueSite struct {
	pointer string
	schema  *openapi3.Schema
	value   any
	set     func(any)
	kind    siteKind
}

// The values of a schema schemaSites lists.
const (
	withExamples = 1 << iota // example and examples
	withEnums                // enum values
	withDefaults             // default
)

// schemaSites appends to sites the values written in s, the schema w is
// visiting: those of the kinds in what; with typedOnly, only the numbers
// and booleans (what YAML typing may have made of a string). Pointers are
// built only for the values appended.
func schemaSites(sites []valueSite, w *schemaWalk, s *openapi3.Schema, what int, typedOnly bool) []valueSite {
	keep := func(v any) bool { return !typedOnly || isNumberOrBool(v) }
	if what&withExamples != 0 {
		if s.Example != nil && keep(s.Example) {
			sites = append(sites, valueSite{pointer: w.pointer("example"), schema: s, value: s.Example,
				set: func(v any) { s.Example = v }, kind: siteSchema})
		}
		for i := range s.Examples {
			if keep(s.Examples[i]) {
				sites = append(sites, valueSite{pointer: w.pointer("examples", strconv.Itoa(i)), schema: s, value: s.Examples[i],
					set: func(v any) { s.Examples[i] = v }, kind: siteSchema})
			}
		}
	}
	if what&withEnums != 0 {
		for i := range s.Enum {
			if keep(s.Enum[i]) {
				sites = append(sites, valueSite{pointer: w.pointer("enum", strconv.Itoa(i)), schema: s, value: s.Enum[i],
					set: func(v any) { s.Enum[i] = v }, kind: siteEnum})
			}
		}
	}
	if what&withDefaults != 0 && s.Default != nil && keep(s.Default) {
		sites = append(sites, valueSite{pointer: w.pointer("default"), schema: s, value: s.Default,
			set: func(v any) { s.Default = v }, kind: siteDefault})
	}
	return sites
}

// exampleSites lists every example of the document with the schema it is
// written against: schema examples, parameter and header examples, and the
// examples of JSON request and response bodies, named or not. Elements
// reached through a $ref to a component are listed once, at the component.
func (c *OpenAPI) exampleSites() []valueSite {
	var sites []valueSite
	walkSchemas(c.Doc, func(w *schemaWalk, s *openapi3.Schema) {
		sites = schemaSites(sites, w, s, withExamples, false)
	})
	return append(sites, c.bodySites()...)
}

// bodySites lists the examples written beside a schema rather than in it:
// those of parameters, headers, and JSON request and response bodies.
func (c *OpenAPI) bodySites() []valueSite {
	doc := c.Doc
	var w siteWalker
	if comp := doc.Components; comp != nil {
		for _, name := range sortedNames(comp.Parameters) {
			w.param(Pointer("components", "parameters", name), comp.Parameters[name], true)
		}
		for _, name := range sortedNames(comp.Headers) {
			w.header(Pointer("components", "headers", name), comp.Headers[name], true)
		}
		for _, name := range sortedNames(comp.RequestBodies) {
			if rb := comp.RequestBodies[name]; rb != nil && rb.Value != nil && !isComponentRef(rb.Ref) {
				w.content(Pointer("components", "requestBodies", name, "content"), rb.Value.Content, siteRequest)
			}
		}
		for _, name := range sortedNames(comp.Responses) {
			w.response(Pointer("components", "responses", name), comp.Responses[name], true)
		}
	}
	if doc.Paths != nil {
		for _, p := range doc.Paths.InMatchingOrder() {
			w.pathItem(Pointer("paths", p), doc.Paths.Value(p))
		}
	}
	for _, name := range sortedNames(doc.Webhooks) {
		w.pathItem(Pointer("webhooks", name), doc.Webhooks[name])
	}
	return w.sites
}

type siteWalker struct{ sites []valueSite }

func (w *siteWalker) pathItem(ptr string, item *openapi3.PathItem) {
	if item == nil {
		return
	}
	for i, p := range item.Parameters {
		w.param(fmt.Sprintf("%s/parameters/%d", ptr, i), p, false)
	}
	ops := item.Operations()
	methods := make([]string, 0, len(ops))
	for m := range ops {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, m := range methods {
		op, at := ops[m], ptr+"/"+strings.ToLower(m)
		for i, p := range op.Parameters {
			w.param(fmt.Sprintf("%s/parameters/%d", at, i), p, false)
		}
		if rb := op.RequestBody; rb != nil && rb.Value != nil && !isComponentRef(rb.Ref) {
			w.content(at+"/requestBody/content", rb.Value.Content, siteRequest)
		}
		if op.Responses != nil {
			for _, code := range op.Responses.Keys() {
				w.response(at+"/responses/"+code, op.Responses.Value(code), false)
			}
		}
	}
}

func (w *siteWalker) param(ptr string, pr *openapi3.ParameterRef, component bool) {
	if pr == nil || pr.Value == nil || (!component && isComponentRef(pr.Ref)) {
		return
	}
	p := pr.Value
	if p.Schema != nil && p.Schema.Value != nil {
		w.examples(ptr, p.Schema.Value, &p.Example, p.Examples, siteRequest)
	}
	w.content(ptr+"/content", p.Content, siteRequest)
}

func (w *siteWalker) header(ptr string, hr *openapi3.HeaderRef, component bool) {
	if hr == nil || hr.Value == nil || (!component && isComponentRef(hr.Ref)) {
		return
	}
	h := hr.Value
	if h.Schema != nil && h.Schema.Value != nil {
		w.examples(ptr, h.Schema.Value, &h.Example, h.Examples, siteResponse)
	}
}

func (w *siteWalker) response(ptr string, rr *openapi3.ResponseRef, component bool) {
	if rr == nil || rr.Value == nil || (!component && isComponentRef(rr.Ref)) {
		return
	}
	for _, name := range sortedNames(rr.Value.Headers) {
		w.header(ptr+"/headers/"+escapeToken(name), rr.Value.Headers[name], false)
	}
	w.content(ptr+"/content", rr.Value.Content, siteResponse)
}

// content lists the examples of the JSON media types of a body.
func (w *siteWalker) content(ptr string, content openapi3.Content, kind siteKind) {
	for _, mt := range sortedNames(content) {
		m := content[mt]
		if m == nil || m.Schema == nil || m.Schema.Value == nil || !isJSONMedia(mt) {
			continue
		}
		w.examples(ptr+"/"+escapeToken(mt), m.Schema.Value, &m.Example, m.Examples, kind)
	}
}

// examples lists an example field and the named examples next to it.
func (w *siteWalker) examples(ptr string, s *openapi3.Schema, example *any, named openapi3.Examples, kind siteKind) {
	if *example != nil {
		w.sites = append(w.sites, valueSite{pointer: ptr + "/example", schema: s, value: *example,
			set: func(v any) { *example = v }, kind: kind})
	}
	for _, name := range sortedNames(named) {
		er := named[name]
		if er == nil || er.Value == nil || er.Value.Value == nil {
			continue
		}
		ex := er.Value
		w.sites = append(w.sites, valueSite{pointer: ptr + "/examples/" + escapeToken(name) + "/value", schema: s, value: ex.Value,
			set: func(v any) { ex.Value = v }, kind: kind})
	}
}

// lintExamples checks every example against its schema, formats included.
func (c *OpenAPI) lintExamples(ctx context.Context) []Problem {
	return c.checkSites(ctx, c.exampleSites(), SeverityError, RuleExampleInvalid, "example does not match its schema: ")
}

// lintDefaults checks every schema default against its schema. A wrong
// default is a warning: firedrill generates a valid value instead.
func (c *OpenAPI) lintDefaults(ctx context.Context) []Problem {
	var defaults []valueSite
	walkSchemas(c.Doc, func(w *schemaWalk, s *openapi3.Schema) {
		defaults = schemaSites(defaults, w, s, withDefaults, false)
	})
	return c.checkSites(ctx, defaults, SeverityWarning, RuleDefaultInvalid, "default does not match its schema: ")
}

// checkSites validates each site's value against its schema and reports
// those that fail.
func (c *OpenAPI) checkSites(ctx context.Context, sites []valueSite, sev Severity, rule, prefix string) []Problem {
	var out []Problem
	seen := map[string]bool{}
	needs2020 := keywords2020{}
	for _, site := range sites {
		if ctx.Err() != nil {
			break
		}
		opts := []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}
		switch site.kind {
		case siteRequest:
			opts = append(opts, openapi3.VisitAsRequest())
		case siteResponse:
			opts = append(opts, openapi3.VisitAsResponse())
		default:
			opts = append(opts, openapi3.DisableReadOnlyValidation(), openapi3.DisableWriteOnlyValidation())
		}
		err := visitSafely(site.schema, site.value, opts)
		if err == nil && c.Doc.IsOpenAPI31OrLater() && needs2020.of(site.schema) {
			// kin-openapi's own validator ignores const, prefixItems, if/then/else
			// and the like; its JSON Schema 2020-12 validator, a hundred times
			// slower on large documents, checks what uses them.
			err = visitSafely(site.schema, site.value, append(opts, openapi3.EnableJSONSchema2020()))
		}
		if err == nil {
			continue
		}
		p := c.problemAt(sev, rule, site.pointer, prefix+schemaReason(err))
		key := p.File + "\x00" + p.Pointer + "\x00" + p.Message
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

// visitSafely validates value against s; a panic inside the validator (a
// schema shape it does not expect) becomes an error, so lint reports it
// instead of crashing.
func visitSafely(s *openapi3.Schema, value any, opts []openapi3.SchemaValidationOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the validator failed on this schema: %v", r)
		}
	}()
	return s.VisitJSON(value, opts...)
}

// schemaReason renders a schema validation error in one line: the reason
// and where in the value.
func schemaReason(err error) string {
	if m := jsonschemaLeaf.FindStringSubmatch(err.Error()); m != nil {
		// The 2020-12 validator lists its findings as "- at '/ptr': reason".
		if m[1] == "" {
			return m[2]
		}
		return m[1] + ": " + m[2]
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		msg := se.Reason
		if i := strings.Index(msg, " (string doesn't match pattern"); i > 0 {
			msg = msg[:i] // the format's own regexp says nothing more
		}
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			msg = fmt.Sprintf("%s: %s", joinPointer(ptr), msg)
		}
		if msg != "" {
			return msg
		}
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func isJSONMedia(mt string) bool {
	mt = strings.ToLower(mt)
	return strings.Contains(mt, "json") || mt == "*/*"
}

func isComponentRef(ref string) bool { return strings.HasPrefix(ref, "#/components/") }

func escapeToken(t string) string { return strings.TrimPrefix(joinPointer([]string{t}), "/") }

func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// keywords2020 remembers which schemas use, anywhere below them, a JSON
// Schema keyword only the 2020-12 validator enforces.
type keywords2020 map[*openapi3.Schema]bool

var (
	errFound       = errors.New("found")
	jsonschemaLeaf = regexp.MustCompile(`(?m)(?:^\s*- |due to: )at '([^']*)': (.*)$`)
)

func (k keywords2020) of(s *openapi3.Schema) bool {
	if v, ok := k[s]; ok {
		return v
	}
	err := (&openapi3.SchemaRef{Value: s}).WalkSubtree(func(_ string, sr *openapi3.SchemaRef) error {
		x := sr.Value
		if x.Const != nil || len(x.PrefixItems) > 0 || x.Contains != nil || x.If != nil ||
			len(x.DependentRequired) > 0 || len(x.DependentSchemas) > 0 || len(x.PatternProperties) > 0 ||
			x.PropertyNames != nil || x.Always != nil || x.UnevaluatedItems != (openapi3.BoolSchema{}) ||
			x.UnevaluatedProperties != (openapi3.BoolSchema{}) {
			return errFound
		}
		return nil
	})
	k[s] = errors.Is(err, errFound)
	return k[s]
}
