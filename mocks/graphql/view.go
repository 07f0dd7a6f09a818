package graphql

import (
	"math"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
)

// view is a stored record as a search or an argument filter reads it: the
// values a query would read from it, stored or generated alike, so a
// filter keeps what a client reading the record would expect it to keep.
type view struct {
	st   *state
	def  *ast.Definition
	data map[string]any
	seed uint64 // the seed the executor generates the record's fields from
}

func (st *state) view(coll string, rec store.Record) view {
	return view{st: st, def: st.schema.Types[coll], data: rec, seed: st.recordOf(coll, rec).seed}
}

// values implements searchable: the value of the field path names, one
// object field deep per name; a name the type lacks reads what the record
// stores under it, and type, when the type has no such field, its name.
func (v view) values(path []string) []any {
	f := fieldNamed(v.def, path[0])
	if f == nil {
		if s, ok := storedKey(v.data, path[0]); ok && len(path) == 1 {
			return []any{s}
		}
		if len(path) == 1 && normName(path[0]) == "type" {
			return []any{v.def.Name}
		}
		return nil
	}
	if len(path) == 1 {
		if shown := v.st.shown(v.data, v.seed, f); shown != nil {
			return []any{shown}
		}
		if next, ok := v.child(f); ok {
			return []any{next.data} // a stored reference, compared by its id
		}
		return nil
	}
	next, ok := v.child(f)
	if !ok {
		return nil
	}
	return next.values(path[1:])
}

// child is the object a field of the record holds: stored inline, or a
// stored record it references (order.customer through customerId).
func (v view) child(f *ast.FieldDefinition) (view, bool) {
	if m, ok := v.data[f.Name].(map[string]any); ok && f.Type.Elem == nil {
		return view{st: v.st, def: v.st.schema.Types[f.Type.Name()], data: m, seed: mix(v.seed, f.Name, argsKey(defaultArgs(f)))}, true
	}
	if r := v.st.reference(f, v.data); r != nil {
		return view{st: v.st, def: v.st.schema.Types[r.typ], data: r.data, seed: r.seed}, true
	}
	return view{}, false
}

// texts implements searchable: the String fields' values, lists of them
// included.
func (v view) texts() []string {
	var out []string
	for _, f := range v.def.Fields {
		if f.Type.Name() != "String" {
			continue
		}
		switch x := v.st.shown(v.data, v.seed, f).(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// is implements searchable: the type is named word, or, of the first of
// these the type has, one holds: an enum field whose type declares word
// shows it (GitHub's is:open reads state, not the Boolean closed); a
// Boolean field named word or isWord is true; a String field shows word.
// Case is ignored.
func (v view) is(word string) bool {
	w := normName(word)
	if normName(v.def.Name) == w {
		return true
	}
	for _, kind := range []func(f *ast.FieldDefinition, ft *ast.Definition) bool{
		func(_ *ast.FieldDefinition, ft *ast.Definition) bool { return ft.Kind == ast.Enum && enumHas(ft, w) },
		func(f *ast.FieldDefinition, ft *ast.Definition) bool {
			return ft.Name == "Boolean" && (normName(f.Name) == w || normName(f.Name) == "is"+w)
		},
		func(_ *ast.FieldDefinition, ft *ast.Definition) bool { return ft.Name == "String" },
	} {
		fields := v.leaves(kind)
		for _, f := range fields {
			switch shown := v.st.shown(v.data, v.seed, f).(type) {
			case bool:
				if shown {
					return true
				}
			case string:
				if normName(shown) == w {
					return true
				}
			}
		}
		if len(fields) > 0 {
			return false
		}
	}
	return false
}

// leaves are the record type's fields of one leaf value that keep says.
func (v view) leaves(keep func(f *ast.FieldDefinition, ft *ast.Definition) bool) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range v.def.Fields {
		if ft := v.st.schema.Types[f.Type.Name()]; f.Type.Elem == nil && ft != nil && ft.IsLeafType() && keep(f, ft) {
			out = append(out, f)
		}
	}
	return out
}

// shown is the value a query reads from the field f of data: what is
// stored when the field's type can hold it, else what the executor
// generates from seed, as it does; nil for a list or object not stored
// (a filter does not read generated ones).
func (st *state) shown(data map[string]any, seed uint64, f *ast.FieldDefinition) any {
	ft := st.schema.Types[f.Type.Name()]
	v, stored := data[f.Name]
	switch {
	case ft == nil:
		return v
	case stored && v == nil && !f.Type.NonNull:
		return nil
	case stored && (f.Type.Elem != nil || !ft.IsLeafType()):
		return v
	case stored && ft.Kind == ast.Enum:
		if s, ok := v.(string); ok && ft.EnumValues.ForName(s) != nil {
			return s
		}
	case stored && v != nil:
		if c, ok := coerceScalar(ft.Name, v); ok {
			return c
		}
	}
	if f.Type.Elem != nil || !ft.IsLeafType() {
		return nil
	}
	seed = mix(seed, f.Name, argsKey(defaultArgs(f)))
	if ft.Kind == ast.Enum {
		return pickEnum(ft, seed)
	}
	return genScalar(st.scalar, f.Name, ft.Name, seed)
}

// defaultArgs are the declared defaults of a field's arguments: the
// arguments the executor seeds a field's generated value with when a query
// sends none.
func defaultArgs(f *ast.FieldDefinition) map[string]any {
	var out map[string]any
	for _, a := range f.Arguments {
		if a.DefaultValue == nil {
			continue
		}
		if d, err := a.DefaultValue.Value(nil); err == nil {
			if out == nil {
				out = map[string]any{}
			}
			out[a.Name] = d
		}
	}
	return out
}

// genScalar generates a scalar with fn, coerced to what the type promises.
func genScalar(fn ScalarFunc, fieldName, typ string, seed uint64) any {
	v := fn(fieldName, typ, int64(seed&math.MaxInt64))
	if c, ok := coerceScalar(typ, v); ok {
		return c
	}
	return zeroScalar(fieldName, typ)
}
