package openapi

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/paramstyle"
	"github.com/firedrill/firedrill/mocks/store"
)

// values are the values a filter's proof puts in records and sends: two
// or three distinct ones for an equality, four ordered ones (numbers or
// instants) where the filter bounds. Each is valid for the record's
// property, for the list item's property (so the answer keeps it) and, as
// query text, for the parameter.
func (p *filterProof) values(f store.Filter, prop *openapi3.Schema) []proofValue {
	param := p.paramSchema(f.Param)
	props := schemasAt(p.coll.ItemSchema, f.Paths[0])
	listProps := schemasAt(p.listItem, f.Paths[0])
	var cands []any
	ordered := f.Kind != store.FilterEqual || f.Ranged
	switch {
	case ordered && isInstant(f.Paths[0][len(f.Paths[0])-1], prop):
		for _, t := range instants {
			cands = append(cands, instantValue(prop, t))
		}
	case ordered:
		cands = []any{float64(1001), float64(1002), float64(1003), float64(1004)}
	default:
		for _, ps := range props {
			cands = append(cands, p.equalCandidates(ps, param)...)
		}
	}
	var out []proofValue
	seen := map[string]bool{}
	for _, c := range cands {
		rec := p.wrap(prop, c)
		q := queryText(param, c)
		if seen[q] || rec == nil || !p.validAny(props, rec) || len(listProps) > 0 && !p.validAny(listProps, rec) || !p.paramAccepts(param, q) {
			if ordered {
				return nil // the order is the proof: no gaps
			}
			continue
		}
		seen[q] = true
		out = append(out, proofValue{rec: rec, query: q})
		if !ordered && len(out) == 3 {
			break
		}
	}
	if ordered && len(out) < len(instants) {
		return nil
	}
	return out
}

// wrap makes the value a record holds from a scalar c: c itself, a list of
// it, or an object with c as its id (an expanded reference, which a filter
// matches by id).
func (p *filterProof) wrap(prop *openapi3.Schema, c any) any {
	switch {
	case prop == nil:
		return c
	case prop.Type.Includes("array"):
		return []any{c}
	case scalarKind(prop) != nil:
		return c
	}
	obj := objectWithID(prop)
	if obj == nil {
		return nil
	}
	rec, _ := normalize(p.m.sample(obj, 1, "", contracts.Response)).(map[string]any)
	if rec == nil {
		return nil
	}
	rec["id"] = c
	return rec
}

// objectWithID is prop, or its first alternative, when it is an object
// with an id property.
func objectWithID(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if props, _, _ := objectView(s); props["id"] != nil {
		return s
	}
	for _, alt := range append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...) {
		if alt != nil && objectWithID(alt.Value) != nil {
			return alt.Value
		}
	}
	return nil
}

func (p *filterProof) validAny(schemas []*openapi3.Schema, v any) bool {
	for _, s := range schemas {
		if p.valid(s, v, true) {
			return true
		}
	}
	return false
}

// equalCandidates are values to tell records apart by: the enum, both
// booleans, small numbers within the bounds, plain words, then samples;
// for an object, values of its id.
func (p *filterProof) equalCandidates(prop, param *openapi3.Schema) []any {
	s := scalarKind(prop)
	if s == nil {
		if obj := objectWithID(prop); obj != nil {
			s = scalarKind(schemaAt(obj, []string{"id"}))
		}
	}
	if s == nil {
		return nil
	}
	var out []any
	for _, sc := range []*openapi3.Schema{s, scalarKind(param)} {
		if sc != nil {
			out = append(out, sc.Enum...)
		}
	}
	switch {
	case s.Type.Includes("boolean"):
		out = append(out, true, false)
	case s.Type.Includes("integer") || s.Type.Includes("number"):
		lo := 0.0
		if s.Min != nil {
			lo = math.Ceil(*s.Min)
		}
		out = append(out, lo+1, lo+2, lo+3)
	case s.Format == "email":
		out = append(out, "ann@firedrill.test", "bob@firedrill.test", "cy@firedrill.test")
	case s.Format == "date-time" || s.Format == "date":
		for _, t := range instants {
			out = append(out, instantValue(s, t))
		}
	default:
		out = append(out, "fd-alpha", "fd-bravo", "fd-charlie")
	}
	for seed := int64(1); seed <= 12; seed++ {
		out = append(out, normalize(p.m.sample(s, seed, "", contracts.Response)))
	}
	return out
}

// scalarKind is the schema a scalar value of s follows: s, its array's
// items, or its first scalar alternative (Stripe's expandable "customer" is
// an id or an object).
func scalarKind(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if s.Type.Includes("array") && s.Items != nil {
		return scalarKind(s.Items.Value)
	}
	if s.Type.Includes("string") || s.Type.Includes("integer") || s.Type.Includes("number") || s.Type.Includes("boolean") {
		return s
	}
	for _, alt := range append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...) {
		if alt != nil {
			if k := scalarKind(alt.Value); k != nil {
				return k
			}
		}
	}
	if len(s.Enum) > 0 {
		return s
	}
	return nil
}

func (p *filterProof) valid(s *openapi3.Schema, v any, response bool) bool {
	return len(p.m.validator.ValidateValue(s, v, response)) == 0
}

// paramAccepts reports whether the parameter takes q as its value: as text,
// as a number or boolean, or as a list of one.
func (p *filterProof) paramAccepts(param *openapi3.Schema, q string) bool {
	if param == nil {
		return true
	}
	forms := []any{q}
	if n, err := strconv.ParseFloat(q, 64); err == nil {
		forms = append(forms, n)
	}
	if b, err := strconv.ParseBool(q); err == nil {
		forms = append(forms, b)
	}
	for _, f := range forms {
		if p.valid(param, f, false) || p.valid(param, []any{f}, false) {
			return true
		}
	}
	return false
}

// paramSchema is the schema of the list's query parameter name.
func (p *filterProof) paramSchema(name string) *openapi3.Schema {
	op := p.ops[p.coll.ListOp]
	for _, ps := range []openapi3.Parameters{op.Operation.Parameters, op.PathItem.Parameters} {
		for _, ref := range ps {
			if ref != nil && ref.Value != nil && ref.Value.In == "query" && ref.Value.Name == name && ref.Value.Schema != nil {
				return ref.Value.Schema.Value
			}
		}
	}
	return nil
}

// queryText writes a value as the parameter takes it: an instant as Unix
// seconds where the parameter is a number, else as the record holds it.
func queryText(param *openapi3.Schema, v any) string {
	if s, ok := v.(string); ok && numeric(param) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return strconv.FormatInt(t.Unix(), 10)
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return strconv.FormatInt(t.Unix(), 10)
		}
	}
	return paramstyle.Simple(v)
}

// numeric reports whether a parameter takes a number, alone or among
// alternatives, and no instant text.
func numeric(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	if s.Type.Includes("string") {
		return false
	}
	if s.Type.Includes("integer") || s.Type.Includes("number") {
		return true
	}
	for _, alt := range append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...) {
		if alt != nil && numeric(alt.Value) {
			return true
		}
	}
	return false
}

// isInstant reports whether a property holds a point in time.
func isInstant(name string, s *openapi3.Schema) bool {
	k := scalarKind(s)
	if k == nil {
		return false
	}
	if k.Format == "date-time" || k.Format == "date" || k.Format == "unix-time" {
		return true
	}
	n := fold(name)
	for _, suffix := range []string{"at", "date", "time", "on", "created", "updated", "modified", "since"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// instantValue renders t as a property of schema s holds it.
func instantValue(s *openapi3.Schema, t time.Time) any {
	k := scalarKind(s)
	switch {
	case k != nil && (k.Type.Includes("integer") || k.Type.Includes("number")):
		return float64(t.Unix())
	case k != nil && k.Format == "date":
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// equalTo is the proof's own reading of equality: the same text, number
// or boolean; an object by its id; a list by any element.
func equalTo(want any) func(any) bool {
	if w, ok := want.([]any); ok && len(w) == 1 {
		want = w[0]
	}
	if w, ok := want.(map[string]any); ok {
		want = w["id"]
	}
	return func(v any) bool {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				if equalTo(want)(e) {
					return true
				}
			}
			return false
		case map[string]any:
			return t["id"] != nil && equalTo(want)(t["id"])
		}
		return paramstyle.Simple(v) == paramstyle.Simple(want) ||
			isNum(v) && isNum(want) && toNum(v) == toNum(want)
	}
}

// bound is the proof's own reading of a bound: numbers as numbers,
// instants (Unix seconds or RFC 3339) as instants.
func bound(op string, b any) func(any) bool {
	return func(v any) bool {
		c, ok := order(v, b)
		if !ok {
			return false
		}
		switch op {
		case "gt":
			return c > 0
		case "gte":
			return c >= 0
		case "lt":
			return c < 0
		}
		return c <= 0
	}
}

func order(a, b any) (int, bool) {
	if isNum(a) && isNum(b) {
		x, y := toNum(a), toNum(b)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	ta, ok1 := toInstant(a)
	tb, ok2 := toInstant(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return ta.Compare(tb), true
}

func isNum(v any) bool {
	_, ok := v.(float64)
	return ok
}

func toNum(v any) float64 { f, _ := v.(float64); return f }

func toInstant(v any) (time.Time, bool) {
	switch t := v.(type) {
	case float64:
		return time.Unix(int64(t), 0), true
	case string:
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if x, err := time.Parse(layout, t); err == nil {
				return x, true
			}
		}
	}
	return time.Time{}, false
}

// typedLike reads query text as a property of schema s holds it.
func typedLike(s *openapi3.Schema, text string) any {
	k := scalarKind(s)
	switch {
	case k == nil:
	case k.Type.Includes("integer") || k.Type.Includes("number"):
		if n, err := strconv.ParseFloat(text, 64); err == nil {
			return n
		}
	case k.Type.Includes("boolean"):
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	}
	return text
}

// schemaAt walks a property path through object schemas and their allOf
// parts; nil when the path leaves them.
func schemaAt(s *openapi3.Schema, path []string) *openapi3.Schema {
	for _, part := range path {
		if s == nil {
			return nil
		}
		props, _, _ := objectView(s)
		if len(props) == 0 {
			for _, alt := range append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...) {
				if alt != nil && alt.Value != nil {
					if ap, _, _ := objectView(alt.Value); ap[part] != nil {
						props = ap
						break
					}
				}
			}
		}
		s = props[part]
	}
	return s
}

// schemasAt is every schema the property path can have, through anyOf
// and oneOf alternatives (a Stripe source is a card or a bank account,
// each with its own "object" value).
func schemasAt(s *openapi3.Schema, path []string) []*openapi3.Schema {
	if s == nil {
		return nil
	}
	if len(path) == 0 {
		return []*openapi3.Schema{s}
	}
	var out []*openapi3.Schema
	if props, _, _ := objectView(s); props[path[0]] != nil {
		out = append(out, schemasAt(props[path[0]], path[1:])...)
	}
	for _, alt := range append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...) {
		if alt != nil {
			out = append(out, schemasAt(alt.Value, path)...)
		}
	}
	return out
}

func lookupPath(rec map[string]any, path []string) (any, bool) {
	var v any = rec
	for _, part := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

func setPath(rec map[string]any, path []string, v any) {
	for _, part := range path[:len(path)-1] {
		next, ok := rec[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			rec[part] = next
		}
		rec = next
	}
	rec[path[len(path)-1]] = v
}

// fold compares names without case and separators.
func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "", ".", "", "[", "", "]", "").Replace(strings.ToLower(s))
}

// namesProperty is the proof's own reading of whether a query parameter
// names a property of the record, which the mock must then filter by: the
// property's name, with an id suffix added or dropped, a plural, a bound
// (since, until, after, before, from, gte...) after it, or a time suffix
// (at, date) dropped from it; a nested property by its parent's name and
// its own run together (counterpartyAccountHolderId). It returns the
// property, or "".
func namesProperty(param string, item *openapi3.Schema) string {
	n := fold(strings.TrimSuffix(param, "[]"))
	stems := []string{n}
	for _, b := range []string{"since", "until", "after", "before", "from", "gte", "lte", "gt", "lt"} {
		if s, ok := strings.CutSuffix(n, b); ok && len(s) > 1 {
			stems = append(stems, s)
		}
	}
	for _, s := range stems[:len(stems):len(stems)] {
		for _, cut := range []string{"ids", "id", "s"} {
			if t, ok := strings.CutSuffix(s, cut); ok && len(t) > 1 {
				stems = append(stems, t)
			}
		}
	}
	forms := func(name string) []string {
		f := fold(name)
		out := []string{f}
		for _, cut := range []string{"at", "date", "time", "on", "id"} {
			if t, ok := strings.CutSuffix(f, cut); ok && len(t) > 1 {
				out = append(out, t)
			}
		}
		return out
	}
	props, _, _ := objectView(item)
	for name, ps := range props {
		candidates := [][2]string{{name, name}}
		if child, _, _ := objectView(ps); ps != nil {
			for cn := range child {
				candidates = append(candidates, [2]string{name + cn, name + "." + cn})
			}
		}
		for _, c := range candidates {
			for _, f := range forms(c[0]) {
				for _, s := range stems {
					if s == f {
						return c[1]
					}
				}
			}
		}
	}
	return ""
}

func ioNopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
