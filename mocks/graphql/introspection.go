package graphql

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection: the __Schema, __Type, __Field, __InputValue, __EnumValue
// and __Directive objects of the spec, resolved from the loaded ast.Schema.
// gqlgen's graphql/introspection package wraps the same ast types, but its
// values are executed by gqlgen's generated code; this executor needs only
// the field-by-field resolution below, so the dependency would buy nothing.

// introValue marks the introspection objects.
type introValue interface{ intro() }

func (introSchema) intro()    {}
func (*introType) intro()     {}
func (introField) intro()     {}
func (introInput) intro()     {}
func (introEnumValue) intro() {}
func (introDirective) intro() {}

type introSchema struct{ s *ast.Schema }

type introType struct {
	s    *ast.Schema
	def  *ast.Definition // a named type; nil for LIST and NON_NULL wrappers
	kind string          // LIST or NON_NULL when def is nil
	of   *introType      // the wrapped type
}

type introField struct {
	s *ast.Schema
	f *ast.FieldDefinition
}

type introInput struct {
	s    *ast.Schema
	name string
	desc string
	typ  *ast.Type
	def  *ast.Value
	dirs ast.DirectiveList
}

type introEnumValue struct{ v *ast.EnumValueDefinition }

type introDirective struct {
	s *ast.Schema
	d *ast.DirectiveDefinition
}

// typeRef describes t, a possibly wrapped type reference, as an introType.
func typeRef(s *ast.Schema, t *ast.Type) *introType {
	if t == nil {
		return nil
	}
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		return &introType{s: s, kind: "NON_NULL", of: typeRef(s, &inner)}
	}
	if t.Elem != nil {
		return &introType{s: s, kind: "LIST", of: typeRef(s, t.Elem)}
	}
	def := s.Types[t.NamedType]
	if def == nil {
		return nil
	}
	return &introType{s: s, def: def}
}

func namedType(s *ast.Schema, def *ast.Definition) any {
	if def == nil {
		return nil
	}
	return &introType{s: s, def: def}
}

func deprecation(dirs ast.DirectiveList) (bool, any) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return true, a.Value.Raw
	}
	return true, "No longer supported"
}

func (introSchema) typeName() string { return "__Schema" }

func (o introSchema) resolve(_ *execution, f *ast.FieldDefinition, _ map[string]any) (any, bool, error) {
	s := o.s
	switch f.Name {
	case "description":
		return nilIfEmpty(s.Description), true, nil
	case "types":
		names := make([]string, 0, len(s.Types))
		for n := range s.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, &introType{s: s, def: s.Types[n]})
		}
		return out, true, nil
	case "queryType":
		return namedType(s, s.Query), true, nil
	case "mutationType":
		return namedType(s, s.Mutation), true, nil
	case "subscriptionType":
		return namedType(s, s.Subscription), true, nil
	case "directives":
		names := make([]string, 0, len(s.Directives))
		for n := range s.Directives {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, introDirective{s: s, d: s.Directives[n]})
		}
		return out, true, nil
	}
	return nil, true, nil
}

func (*introType) typeName() string { return "__Type" }

func (o *introType) resolve(_ *execution, f *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	if o.def == nil {
		switch f.Name {
		case "kind":
			return o.kind, true, nil
		case "ofType":
			return o.of.orNil(), true, nil
		}
		return nil, true, nil
	}
	def, s := o.def, o.s
	withDeprecated, _ := args["includeDeprecated"].(bool)
	switch f.Name {
	case "kind":
		return string(def.Kind), true, nil
	case "name":
		return def.Name, true, nil
	case "description":
		return nilIfEmpty(def.Description), true, nil
	case "specifiedByURL":
		if d := def.Directives.ForName("specifiedBy"); d != nil {
			if a := d.Arguments.ForName("url"); a != nil && a.Value != nil {
				return a.Value.Raw, true, nil
			}
		}
		return nil, true, nil
	case "isOneOf":
		if def.Kind != ast.InputObject {
			return nil, true, nil
		}
		return def.Directives.ForName("oneOf") != nil, true, nil
	case "fields":
		return o.fields(withDeprecated), true, nil
	case "interfaces":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return nil, true, nil
		}
		out := []any{}
		for _, n := range def.Interfaces {
			if t := namedType(s, s.Types[n]); t != nil {
				out = append(out, t)
			}
		}
		return out, true, nil
	case "possibleTypes":
		if !def.IsAbstractType() {
			return nil, true, nil
		}
		out := []any{}
		for _, p := range s.GetPossibleTypes(def) {
			if p.Kind == ast.Object {
				out = append(out, &introType{s: s, def: p})
			}
		}
		return out, true, nil
	case "enumValues":
		return o.enumValues(withDeprecated), true, nil
	case "inputFields":
		return o.inputFields(withDeprecated), true, nil
	}
	return nil, true, nil
}

// fields lists an object's or interface's fields; nil for other kinds.
func (o *introType) fields(withDeprecated bool) any {
	if o.def.Kind != ast.Object && o.def.Kind != ast.Interface {
		return nil
	}
	out := []any{}
	for _, fd := range o.def.Fields {
		if dep, _ := deprecation(fd.Directives); strings.HasPrefix(fd.Name, "__") || (dep && !withDeprecated) {
			continue
		}
		out = append(out, introField{s: o.s, f: fd})
	}
	return out
}

// enumValues lists an enum's values; nil for other kinds.
func (o *introType) enumValues(withDeprecated bool) any {
	if o.def.Kind != ast.Enum {
		return nil
	}
	out := []any{}
	for _, v := range o.def.EnumValues {
		if dep, _ := deprecation(v.Directives); dep && !withDeprecated {
			continue
		}
		out = append(out, introEnumValue{v: v})
	}
	return out
}

// inputFields lists an input object's fields; nil for other kinds.
func (o *introType) inputFields(withDeprecated bool) any {
	if o.def.Kind != ast.InputObject {
		return nil
	}
	out := []any{}
	for _, fd := range o.def.Fields {
		if dep, _ := deprecation(fd.Directives); dep && !withDeprecated {
			continue
		}
		out = append(out, introInput{s: o.s, name: fd.Name, desc: fd.Description, typ: fd.Type, def: fd.DefaultValue, dirs: fd.Directives})
	}
	return out
}

func (introField) typeName() string { return "__Field" }

func (o introField) resolve(_ *execution, f *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	switch f.Name {
	case "name":
		return o.f.Name, true, nil
	case "description":
		return nilIfEmpty(o.f.Description), true, nil
	case "args":
		return inputValues(o.s, o.f.Arguments, args), true, nil
	case "type":
		return typeRef(o.s, o.f.Type).orNil(), true, nil
	case "isDeprecated":
		dep, _ := deprecation(o.f.Directives)
		return dep, true, nil
	case "deprecationReason":
		_, r := deprecation(o.f.Directives)
		return r, true, nil
	}
	return nil, true, nil
}

func inputValues(s *ast.Schema, list ast.ArgumentDefinitionList, args map[string]any) []any {
	withDeprecated, _ := args["includeDeprecated"].(bool)
	out := []any{}
	for _, a := range list {
		if dep, _ := deprecation(a.Directives); dep && !withDeprecated {
			continue
		}
		out = append(out, introInput{s: s, name: a.Name, desc: a.Description, typ: a.Type, def: a.DefaultValue, dirs: a.Directives})
	}
	return out
}

func (introInput) typeName() string { return "__InputValue" }

func (o introInput) resolve(_ *execution, f *ast.FieldDefinition, _ map[string]any) (any, bool, error) {
	switch f.Name {
	case "name":
		return o.name, true, nil
	case "description":
		return nilIfEmpty(o.desc), true, nil
	case "type":
		return typeRef(o.s, o.typ).orNil(), true, nil
	case "defaultValue":
		if o.def == nil {
			return nil, true, nil
		}
		return o.def.String(), true, nil
	case "isDeprecated":
		dep, _ := deprecation(o.dirs)
		return dep, true, nil
	case "deprecationReason":
		_, r := deprecation(o.dirs)
		return r, true, nil
	}
	return nil, true, nil
}

func (introEnumValue) typeName() string { return "__EnumValue" }

func (o introEnumValue) resolve(_ *execution, f *ast.FieldDefinition, _ map[string]any) (any, bool, error) {
	switch f.Name {
	case "name":
		return o.v.Name, true, nil
	case "description":
		return nilIfEmpty(o.v.Description), true, nil
	case "isDeprecated":
		dep, _ := deprecation(o.v.Directives)
		return dep, true, nil
	case "deprecationReason":
		_, r := deprecation(o.v.Directives)
		return r, true, nil
	}
	return nil, true, nil
}

func (introDirective) typeName() string { return "__Directive" }

func (o introDirective) resolve(_ *execution, f *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	switch f.Name {
	case "name":
		return o.d.Name, true, nil
	case "description":
		return nilIfEmpty(o.d.Description), true, nil
	case "locations":
		out := make([]any, 0, len(o.d.Locations))
		for _, l := range o.d.Locations {
			out = append(out, string(l))
		}
		return out, true, nil
	case "args":
		return inputValues(o.s, o.d.Arguments, args), true, nil
	case "isRepeatable":
		return o.d.IsRepeatable, true, nil
	}
	return nil, true, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orNil keeps a missing type reference an untyped nil for the executor.
func (o *introType) orNil() any {
	if o == nil {
		return nil
	}
	return o
}
