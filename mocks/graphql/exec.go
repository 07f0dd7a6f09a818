package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// objectValue is a value of an object type the executor selects fields
// from: a generated or stored record, the root, or an introspection object.
type objectValue interface {
	typeName() string
	// resolve returns the value of the field def. ok false means "nothing
	// known": the executor generates a value from the field's type.
	resolve(ex *execution, def *ast.FieldDefinition, args map[string]any) (v any, ok bool, err error)
}

// gen stands for a value the executor generates from the field's type;
// echo holds the field's scalar arguments, which generated objects repeat in
// their fields of the same name (customer(id: "7") answers id "7").
//
// A page-size argument (first, last, limit) caps the generated list it
// returns, or the edges and nodes of the connection it returns.
type gen struct {
	echo    map[string]any
	limit   int  // the page size asked for,
	limited bool // when one was
}

// record is an object with some fields known (stored or echoed) and the rest
// generated from seed.
type record struct {
	typ   string
	data  map[string]any
	seed  uint64 // when not 0, the seed of this object's fields (stored records)
	limit *int   // a generated connection's page size, for its edges and nodes
}

func (r *record) typeName() string { return r.typ }

func (r *record) resolve(ex *execution, def *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	if v, ok := r.data[def.Name]; ok {
		return v, true, nil
	}
	if ex.m.state != nil && r.data != nil && def.Type.Elem == nil {
		// A stored reference: order.customer read through order.customerId.
		if rec := ex.m.state.reference(def, r.data); rec != nil {
			return rec, true, nil
		}
	}
	if ex.m.state != nil && r.seed != 0 {
		// Stored records linked to a stored one: repository.issues.
		if v, ok := ex.m.state.children(r, def, args, ex.ignore); ok {
			return v, true, nil
		}
	}
	return nil, false, nil
}

// ignore notes an argument or search term a stateful list answered without.
func (ex *execution) ignore(name string) { ex.ignored = append(ex.ignored, name) }

// execution runs one operation.
type execution struct {
	ctx       context.Context
	m         *Mock
	schema    *ast.Schema
	doc       *ast.QueryDocument
	op        *ast.OperationDefinition
	vars      map[string]any
	errs      gqlerror.List
	items     int                        // generated list items so far
	collected map[groupKey][]*fieldGroup // see groups
	costs     map[groupKey]float64       // see selectionCost
	over      bool                       // MaxGeneratedItems reached: the answer is cut short
	budget    int                        // Limits.MaxAnswerBytes
	spent     int                        // the answer's bytes so far, estimated from below
	tooLarge  bool                       // spent passed budget: execution stopped, the data is dropped
	ignored   []string                   // arguments and search terms a stateful list answered without
}

// spend counts n bytes of the answer; past the budget, execution stops.
func (ex *execution) spend(n int) bool {
	ex.spent += n
	if ex.budget > 0 && ex.spent > ex.budget {
		ex.tooLarge = true
	}
	return ex.tooLarge
}

// answerTooLarge is the error of an answer over its budget.
func answerTooLarge(budget int) *gqlerror.Error {
	return codedError(fmt.Sprintf("the answer is over %d bytes, the limit: ask for fewer fields, aliases or list items", budget), CodeAnswerTooLarge)
}

// scalarSize is how many bytes a scalar takes in the answer, at least.
func scalarSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case json.Number:
		return len(x)
	case int64:
		return len(strconv.FormatInt(x, 10))
	case bool:
		if x {
			return 4
		}
		return 5
	}
	return 1
}

// MaxGeneratedItems bounds the list items one answer generates: a deeply
// nested query over generated lists grows as 3^depth, and a mock must
// answer, not stall.
const MaxGeneratedItems = 5_000

// fieldGroup is the fields one response key collects.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// execute runs the operation from the root object and returns the data.
func (ex *execution) execute(root objectValue, rootType *ast.Definition, seed uint64) any {
	out := ex.selectionSet(root, rootType, ex.op.SelectionSet, seed, nil)
	if out == nil {
		return nil
	}
	return out
}

// selectionSet resolves sel on obj, of the object type typ. It returns nil
// when a non-null field came out null: the null propagates to the parent.
func (ex *execution) selectionSet(obj objectValue, typ *ast.Definition, sel ast.SelectionSet, seed uint64, path ast.Path) *orderedObject {
	if r, ok := obj.(*record); ok && r.seed != 0 {
		seed = r.seed
	}
	groups := ex.groups(typ, sel)
	out := &orderedObject{}
	for _, g := range groups {
		if ex.ctx.Err() != nil {
			ex.fail(path, g.fields[0], "request cancelled")
			return nil
		}
		if ex.over || ex.spend(len(g.key)+4) { // "key":,
			return nil
		}
		v, null := ex.field(obj, typ, g, seed, append(path[:len(path):len(path)], ast.PathName(g.key)))
		if null {
			return nil
		}
		out.add(g.key, v)
	}
	return out
}

// field resolves one response key; null reports a non-null field that came out null.
func (ex *execution) field(obj objectValue, typ *ast.Definition, g *fieldGroup, seed uint64, path ast.Path) (any, bool) {
	f := g.fields[0]
	switch f.Name {
	case "__typename":
		return typ.Name, false
	case "__schema":
		if typ == ex.schema.Query {
			return ex.selectionSet(introSchema{ex.schema}, ex.schema.Types["__Schema"], merged(g.fields), seed, path), false
		}
	case "__type":
		if typ == ex.schema.Query {
			name, _ := f.ArgumentMap(ex.vars)["name"].(string)
			def := ex.schema.Types[name]
			if def == nil {
				return nil, false
			}
			return ex.selectionSet(&introType{s: ex.schema, def: def}, ex.schema.Types["__Type"], merged(g.fields), seed, path), false
		}
	}
	def := typ.Fields.ForName(f.Name)
	if def == nil {
		ex.fail(path, f, fmt.Sprintf("Cannot query field %q on type %q.", f.Name, typ.Name))
		return nil, false
	}
	args := f.ArgumentMap(ex.vars)
	for _, a := range def.Arguments {
		if v, ok := args[a.Name]; ok {
			args[a.Name] = ex.inputDefaults(a.Type, v)
		}
	}
	v, ok, err := obj.resolve(ex, def, args)
	if err != nil {
		ex.fail(path, f, err.Error())
		var ge *gqlerror.Error
		if errors.As(err, &ge) && len(ge.Extensions) > 0 { // a vendor's code
			ex.errs[len(ex.errs)-1].Extensions = ge.Extensions
		}
		return nil, def.Type.NonNull
	}
	if !ok {
		g := gen{echo: scalarArgs(args)}
		g.limit, g.limited = pageSize(args)
		if r, isRec := obj.(*record); isRec && r.limit != nil && def.Type.Elem != nil && (def.Name == "edges" || def.Name == "nodes") {
			g.limit, g.limited = *r.limit, true
		}
		v = g
	}
	child := seed
	if _, meta := obj.(introValue); !meta { // introspection needs no seeds
		child = mix(seed, f.Name, argsKey(args))
	}
	res := ex.complete(def.Type, v, def.Name, merged(g.fields), child, path)
	return res, res == nil && def.Type.NonNull
}

// complete shapes v as a value of type t: generated where v is gen (or
// cannot be one), selected from where it is an object.
func (ex *execution) complete(t *ast.Type, v any, fieldName string, sel ast.SelectionSet, seed uint64, path ast.Path) any {
	if t.NonNull {
		if v == nil {
			v = gen{}
		}
		inner := *t
		inner.NonNull = false
		return ex.complete(&inner, v, fieldName, sel, seed, path)
	}
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		return ex.completeList(t, v, fieldName, sel, seed, path)
	}
	def := ex.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	g, generated := v.(gen)
	switch def.Kind {
	case ast.Scalar:
		if !generated {
			if c, ok := coerceScalar(def.Name, v); ok {
				ex.spend(scalarSize(c))
				return c
			}
		}
		c := ex.scalar(fieldName, def.Name, seed)
		ex.spend(scalarSize(c))
		return c
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			ex.spend(len(s) + 2)
			return s
		}
		e := pickEnum(def, seed)
		ex.spend(scalarSize(e))
		return e
	}
	var obj objectValue
	concrete := def
	switch x := v.(type) {
	case objectValue:
		obj = x
		if c := ex.schema.Types[x.typeName()]; c != nil && (c == def || ex.possible(def, c)) {
			concrete = c
		} else {
			concrete = pickConcrete(ex.schema, def, seed)
			obj = &record{}
		}
	case map[string]any:
		tn, _ := x["__typename"].(string)
		if c := ex.schema.Types[tn]; c != nil && c.Kind == ast.Object && (c == def || ex.possible(def, c)) {
			concrete = c
		} else {
			concrete = pickConcrete(ex.schema, def, seed)
		}
		obj = &record{data: x}
	default:
		concrete = pickConcrete(ex.schema, def, seed)
		r := &record{data: echoFor(concrete, g.echo)}
		if g.limited {
			r.limit = &g.limit
		}
		obj = r
	}
	if concrete == nil {
		ex.errs = append(ex.errs, &gqlerror.Error{Message: fmt.Sprintf("no object type implements %s", def.Name), Path: path})
		return nil
	}
	if r, ok := obj.(*record); ok {
		r.typ = concrete.Name
	}
	out := ex.selectionSet(obj, concrete, sel, seed, path)
	if out == nil {
		return nil
	}
	return out
}

func (ex *execution) completeList(t *ast.Type, v any, fieldName string, sel ast.SelectionSet, seed uint64, path ast.Path) any {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case gen:
		n := listLen(seed)
		if x.limited && x.limit < n {
			n = max(x.limit, 0)
		}
		items = make([]any, n)
		if ex.items += len(items); ex.items > MaxGeneratedItems {
			if !ex.over {
				ex.over = true
				ex.errs = append(ex.errs, &gqlerror.Error{Path: path,
					Message: fmt.Sprintf("the answer would hold over %d generated list items: ask for fewer nested lists", MaxGeneratedItems)})
			}
			return nil
		}
		for i := range items {
			items[i] = gen{echo: x.echo} // the page size is the list's, not its items'
		}
	default:
		items = []any{x}
	}
	if ex.spend(2 + len(items)) { // [ ] and the commas
		return nil
	}
	out := make([]any, len(items))
	for i, it := range items {
		if ex.tooLarge {
			return nil
		}
		r := ex.complete(t.Elem, it, fieldName, sel, mixIndex(seed, i), append(path[:len(path):len(path)], ast.PathIndex(i)))
		if r == nil && t.Elem.NonNull {
			return nil
		}
		out[i] = r
	}
	return out
}

// inputDefaults fills the fields an input object value leaves out with
// their declared defaults, as the spec's input coercion does (gqlparser
// applies them to variables, not to literals).
func (ex *execution) inputDefaults(t *ast.Type, v any) any {
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = ex.inputDefaults(t.Elem, e)
		}
		return out
	}
	def := ex.schema.Types[t.NamedType]
	m, ok := v.(map[string]any)
	if def == nil || def.Kind != ast.InputObject || !ok {
		return v
	}
	out := make(map[string]any, len(def.Fields))
	for k, e := range m {
		out[k] = e
	}
	for _, f := range def.Fields {
		if e, ok := out[f.Name]; ok {
			out[f.Name] = ex.inputDefaults(f.Type, e)
		} else if f.DefaultValue != nil {
			if d, err := f.DefaultValue.Value(nil); err == nil {
				out[f.Name] = d
			}
		}
	}
	return out
}

// scalar generates a scalar, coerced to what the type promises.
func (ex *execution) scalar(fieldName, typ string, seed uint64) any {
	return genScalar(ex.m.scalar, fieldName, typ, seed)
}

func (ex *execution) possible(abstract, obj *ast.Definition) bool {
	for _, p := range ex.schema.GetPossibleTypes(abstract) {
		if p == obj {
			return true
		}
	}
	return false
}

func (ex *execution) fail(path ast.Path, f *ast.Field, msg string) {
	e := &gqlerror.Error{Message: msg, Path: append(ast.Path(nil), path...)}
	if f != nil && f.Position != nil {
		e.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	ex.errs = append(ex.errs, e)
}

// groupKey names a selection set applied to a type, for the cache of
// collected fields: introspection applies one fragment to thousands of types.
type groupKey struct {
	typ *ast.Definition
	sel *ast.Selection // the set's first element: sets are not copied during execution
	n   int
}

// groups returns the collected fields of sel on typ, collected once per execution.
func (ex *execution) groups(typ *ast.Definition, sel ast.SelectionSet) []*fieldGroup {
	if len(sel) == 0 {
		return nil
	}
	k := groupKey{typ: typ, sel: &sel[0], n: len(sel)}
	if g, ok := ex.collected[k]; ok {
		return g
	}
	var groups []*fieldGroup
	ex.collect(typ, sel, &groups, map[string]*fieldGroup{}, map[string]bool{})
	if ex.collected == nil {
		ex.collected = map[groupKey][]*fieldGroup{}
	}
	ex.collected[k] = groups
	return groups
}

// collect gathers the fields of sel that apply to typ, by response key,
// honouring @skip, @include and fragment type conditions.
func (ex *execution) collect(typ *ast.Definition, sel ast.SelectionSet, groups *[]*fieldGroup, index map[string]*fieldGroup, visited map[string]bool) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !ex.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			g := index[key]
			if g == nil {
				g = &fieldGroup{key: key}
				index[key] = g
				*groups = append(*groups, g)
			}
			g.fields = append(g.fields, s)
		case *ast.InlineFragment:
			if ex.included(s.Directives) && ex.applies(typ, s.TypeCondition) {
				ex.collect(typ, s.SelectionSet, groups, index, visited)
			}
		case *ast.FragmentSpread:
			if !ex.included(s.Directives) || visited[s.Name] {
				continue
			}
			visited[s.Name] = true
			if frag := ex.doc.Fragments.ForName(s.Name); frag != nil && ex.applies(typ, frag.TypeCondition) {
				ex.collect(typ, frag.SelectionSet, groups, index, visited)
			}
		}
	}
}

func (ex *execution) included(dirs ast.DirectiveList) bool {
	if d := dirs.ForName("skip"); d != nil && d.ArgumentMap(ex.vars)["if"] == true {
		return false
	}
	if d := dirs.ForName("include"); d != nil && d.ArgumentMap(ex.vars)["if"] == false {
		return false
	}
	return true
}

func (ex *execution) applies(typ *ast.Definition, cond string) bool {
	if cond == "" || cond == typ.Name {
		return true
	}
	c := ex.schema.Types[cond]
	return c != nil && c.IsAbstractType() && ex.possible(c, typ)
}

func merged(fields []*ast.Field) ast.SelectionSet {
	if len(fields) == 1 {
		return fields[0].SelectionSet
	}
	var sel ast.SelectionSet
	for _, f := range fields {
		sel = append(sel, f.SelectionSet...)
	}
	return sel
}

// pageSize reads a first, last or limit argument.
func pageSize(args map[string]any) (int, bool) {
	for _, k := range []string{"first", "last", "limit"} {
		if n, ok := number(args[k]); ok {
			return int(n), true
		}
	}
	return 0, false
}

// scalarArgs keeps the arguments whose values are scalars: those a generated
// object may echo.
func scalarArgs(args map[string]any) map[string]any {
	var out map[string]any
	for k, v := range args {
		switch v.(type) {
		case string, bool, int, int32, int64, float64, json.Number:
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// echoFor keeps the echoed arguments that name a non-list leaf field of obj.
func echoFor(obj *ast.Definition, echo map[string]any) map[string]any {
	if obj == nil || len(echo) == 0 {
		return nil
	}
	var out map[string]any
	for k, v := range echo {
		if f := obj.Fields.ForName(k); f != nil && f.Type.Elem == nil {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// argsKey renders arguments for seeding: fmt prints maps sorted by key.
func argsKey(args map[string]any) string {
	if len(args) == 0 {
		return ""
	}
	return fmt.Sprint(args)
}

// coerceScalar returns v as a value of the scalar type, or false when it is not one.
func coerceScalar(typ string, v any) (any, bool) {
	switch typ {
	case "Int":
		f, ok := number(v)
		if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return nil, false
		}
		return int64(f), true
	case "Float":
		f, ok := number(v)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		return f, true
	case "String":
		s, ok := v.(string)
		return s, ok
	case "ID":
		switch x := v.(type) {
		case string:
			return x, true
		case int, int32, int64, json.Number:
			return fmt.Sprint(x), true
		}
		return nil, false
	case "Boolean":
		b, ok := v.(bool)
		return b, ok
	}
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, false
		}
	case objectValue, gen:
		return nil, false
	}
	return v, true
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	}
	return 0, false
}

// orderedObject is a response object that keeps its keys in selection order.
type orderedObject struct {
	keys []string
	vals []any
}

func (o *orderedObject) add(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// get returns the value of key k and whether the object has it.
func (o *orderedObject) get(k string) (any, bool) {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// MarshalJSON writes the object with its keys in order.
func (o *orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := appendJSON(&b, o, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// errAnswerTooLarge stops appendJSON at its bound.
var errAnswerTooLarge = errors.New("graphql: the answer is over its limit")

// appendJSON writes a response value in one pass: nested objects and lists
// are written in place rather than marshalled and compacted level by level,
// which costs depth × size on introspection answers. With end above 0, it
// stops with errAnswerTooLarge once b holds more than end bytes.
func appendJSON(b *bytes.Buffer, v any, end int) error {
	if end > 0 && b.Len() > end {
		return errAnswerTooLarge
	}
	switch x := v.(type) {
	case *orderedObject:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := appendJSON(b, x.vals[i], end); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, e, end); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case string:
		writeString(b, x)
		return nil
	case nil:
		b.WriteString("null")
		return nil
	case bool:
		b.WriteString(strconv.FormatBool(x))
		return nil
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
		return nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(out)
	if end > 0 && b.Len() > end {
		return errAnswerTooLarge
	}
	return nil
}

// writeString writes s as a JSON string, as encoding/json would (HTML escaped).
func writeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			out, _ := json.Marshal(s)
			b.Write(out)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
