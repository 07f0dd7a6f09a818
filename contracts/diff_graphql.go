package contracts

import (
	"context"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// DiffGraphQL compares two versions of a GraphQL schema (each one or
// several SDL files, loaded as LoadGraphQL does) and returns every change,
// judged as a client sees it: removing a type, a field, an argument, an
// enum value or a union member, a new required argument or input field,
// and a type change a client cannot absorb are errors; a new enum value or
// union member is a warning (a client that switches on them may not know
// it); the rest is info. Each change names its schema coordinate
// ("Customer.email", "Query.customers(first:)") and where it is written.
// No GraphQL schema-diff library is kept in Go (graphql-inspector is
// JavaScript), so the rules are the ones the GraphQL specification's
// type system implies, written here.
func DiffGraphQL(ctx context.Context, base, revision []string) ([]Change, error) {
	b, err := LoadGraphQL(ctx, base...)
	if err != nil {
		return nil, err
	}
	r, err := LoadGraphQL(ctx, revision...)
	if err != nil {
		return nil, err
	}
	d := &gqlDiff{}
	d.types(b.Schema, r.Schema)
	sortChanges(d.out)
	return d.out, nil
}

type gqlDiff struct{ out []Change }

func (d *gqlDiff) add(sev Severity, rule, coord, msg string, base, rev *ast.Position) {
	d.out = append(d.out, Change{Severity: sev, Rule: rule, Coordinate: coord, Message: msg, Base: gqlPos(base), Revision: gqlPos(rev)})
}

func gqlPos(p *ast.Position) *Position {
	if p == nil || p.Src == nil || p.Src.BuiltIn || p.Line == 0 {
		return nil
	}
	return &Position{File: p.Src.Name, Line: p.Line, Column: p.Column}
}

func (d *gqlDiff) types(b, r *ast.Schema) {
	for _, name := range sortedNames(b.Types) {
		bt, rt := b.Types[name], r.Types[name]
		if bt.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		switch {
		case rt == nil:
			d.add(SeverityError, "type-removed", name, fmt.Sprintf("type %s removed", name), bt.Position, nil)
		case bt.Kind != rt.Kind:
			d.add(SeverityError, "type-kind-changed", name, fmt.Sprintf("type %s changed from %s to %s", name, kindWord(bt.Kind), kindWord(rt.Kind)), bt.Position, rt.Position)
		default:
			d.typeBody(bt, rt)
		}
	}
	for _, name := range sortedNames(r.Types) {
		if rt := r.Types[name]; b.Types[name] == nil && !rt.BuiltIn && !strings.HasPrefix(name, "__") {
			d.add(SeverityInfo, "type-added", name, fmt.Sprintf("%s %s added", kindWord(rt.Kind), name), nil, rt.Position)
		}
	}
}

func (d *gqlDiff) typeBody(bt, rt *ast.Definition) {
	switch bt.Kind {
	case ast.Object, ast.Interface:
		d.outputFields(bt, rt)
		for _, i := range bt.Interfaces {
			if !contains(rt.Interfaces, i) {
				d.add(SeverityError, "interface-removed", bt.Name, fmt.Sprintf("%s no longer implements %s", bt.Name, i), bt.Position, rt.Position)
			}
		}
	case ast.InputObject:
		d.inputFields(bt, rt)
	case ast.Enum:
		for _, v := range bt.EnumValues {
			if rt.EnumValues.ForName(v.Name) == nil {
				d.add(SeverityError, "enum-value-removed", bt.Name+"."+v.Name, fmt.Sprintf("enum value %s.%s removed", bt.Name, v.Name), v.Position, rt.Position)
			}
		}
		for _, v := range rt.EnumValues {
			if bt.EnumValues.ForName(v.Name) == nil {
				d.add(SeverityWarning, "enum-value-added", rt.Name+"."+v.Name, fmt.Sprintf("enum value %s.%s added: a client that switches on %s may not know it", rt.Name, v.Name, rt.Name), nil, v.Position)
			}
		}
	case ast.Union:
		for _, m := range bt.Types {
			if !contains(rt.Types, m) {
				d.add(SeverityError, "union-member-removed", bt.Name, fmt.Sprintf("%s removed from union %s", m, bt.Name), bt.Position, rt.Position)
			}
		}
		for _, m := range rt.Types {
			if !contains(bt.Types, m) {
				d.add(SeverityWarning, "union-member-added", rt.Name, fmt.Sprintf("%s added to union %s: a client that switches on its members may not know it", m, rt.Name), nil, rt.Position)
			}
		}
	}
}

// outputFields compares the fields clients select.
func (d *gqlDiff) outputFields(bt, rt *ast.Definition) {
	for _, bf := range bt.Fields {
		coord := bt.Name + "." + bf.Name
		rf := rt.Fields.ForName(bf.Name)
		if rf == nil {
			d.add(SeverityError, "field-removed", coord, fmt.Sprintf("field %s removed", coord), bf.Position, nil)
			continue
		}
		if !outputSafe(bf.Type, rf.Type) {
			d.add(SeverityError, "field-type-changed", coord, fmt.Sprintf("field %s changed type from %s to %s", coord, bf.Type, rf.Type), bf.Position, rf.Position)
		} else if bf.Type.String() != rf.Type.String() {
			d.add(SeverityInfo, "field-type-narrowed", coord, fmt.Sprintf("field %s changed type from %s to %s, which clients read as before", coord, bf.Type, rf.Type), bf.Position, rf.Position)
		}
		if bf.Directives.ForName("deprecated") == nil && rf.Directives.ForName("deprecated") != nil {
			d.add(SeverityInfo, "field-deprecated", coord, fmt.Sprintf("field %s deprecated", coord), nil, rf.Position)
		}
		d.arguments(coord, bf, rf)
	}
	for _, rf := range rt.Fields {
		if bt.Fields.ForName(rf.Name) == nil && !strings.HasPrefix(rf.Name, "__") {
			d.add(SeverityInfo, "field-added", rt.Name+"."+rf.Name, fmt.Sprintf("field %s.%s added", rt.Name, rf.Name), nil, rf.Position)
		}
	}
}

func (d *gqlDiff) arguments(field string, bf, rf *ast.FieldDefinition) {
	for _, ba := range bf.Arguments {
		ra := rf.Arguments.ForName(ba.Name)
		var rev *input
		if ra != nil {
			rev = &input{ra.Type, ra.DefaultValue, ra.Position}
		}
		d.changedInput("argument", field+"("+ba.Name+":)", input{ba.Type, ba.DefaultValue, ba.Position}, rev, rf.Position)
	}
	for _, ra := range rf.Arguments {
		if bf.Arguments.ForName(ra.Name) == nil {
			d.addedInput("argument", field+"("+ra.Name+":)", ra.Type, ra.DefaultValue, ra.Position)
		}
	}
}

// inputFields compares the fields clients send.
func (d *gqlDiff) inputFields(bt, rt *ast.Definition) {
	for _, bf := range bt.Fields {
		rf := rt.Fields.ForName(bf.Name)
		var rev *input
		if rf != nil {
			rev = &input{rf.Type, rf.DefaultValue, rf.Position}
		}
		d.changedInput("input field", bt.Name+"."+bf.Name, input{bf.Type, bf.DefaultValue, bf.Position}, rev, rt.Position)
	}
	for _, rf := range rt.Fields {
		if bt.Fields.ForName(rf.Name) == nil {
			d.addedInput("input field", rt.Name+"."+rf.Name, rf.Type, rf.DefaultValue, rf.Position)
		}
	}
}

// input is something a client sends: an argument or an input field.
type input struct {
	typ *ast.Type
	def *ast.Value
	at  *ast.Position
}

// changedInput judges what became of something a client sent: removed (rev
// nil; parent locates the revision), retyped so that what clients send no
// longer fits, or given another default.
func (d *gqlDiff) changedInput(what, coord string, base input, rev *input, parent *ast.Position) {
	rule := strings.ReplaceAll(what, " ", "-")
	switch {
	case rev == nil:
		d.add(SeverityError, rule+"-removed", coord, fmt.Sprintf("%s %s removed", what, coord), base.at, parent)
	case !inputSafe(base.typ, rev.typ, rev.def != nil):
		d.add(SeverityError, rule+"-type-changed", coord, fmt.Sprintf("%s %s changed type from %s to %s", what, coord, base.typ, rev.typ), base.at, rev.at)
	case base.def != nil && (rev.def == nil || base.def.String() != rev.def.String()):
		d.add(SeverityWarning, rule+"-default-changed", coord, fmt.Sprintf("%s %s default changed from %s to %s", what, coord, base.def, valueText(rev.def)), base.at, rev.at)
	}
}

// addedInput judges something new a client may send (an argument, an
// input field): required without a default, it breaks every client that
// does not send it.
func (d *gqlDiff) addedInput(what, coord string, t *ast.Type, def *ast.Value, at *ast.Position) {
	rule := strings.ReplaceAll(what, " ", "-") + "-added"
	if t.NonNull && def == nil {
		d.add(SeverityError, "required-"+rule, coord, fmt.Sprintf("required %s %s added", what, coord), nil, at)
		return
	}
	d.add(SeverityInfo, "optional-"+rule, coord, fmt.Sprintf("optional %s %s added", what, coord), nil, at)
}

// outputSafe reports whether a client reading a value of type o can read
// one of type n: the same type, or one that is non-null where o was not.
func outputSafe(o, n *ast.Type) bool {
	if n.NonNull && !o.NonNull {
		return outputSafe(o, nullable(n))
	}
	if o.NonNull != n.NonNull || (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return outputSafe(o.Elem, n.Elem)
	}
	return o.NamedType == n.NamedType
}

// inputSafe reports whether what a client sends as type o is still valid
// as type n: the same type, or one that is nullable where o was not. A
// non-null type with a default takes a missing value as before.
func inputSafe(o, n *ast.Type, nDefault bool) bool {
	if o.NonNull && !n.NonNull {
		return inputSafe(nullable(o), n, false)
	}
	if n.NonNull && !o.NonNull && nDefault {
		return inputSafe(o, nullable(n), false)
	}
	if o.NonNull != n.NonNull || (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return inputSafe(o.Elem, n.Elem, false)
	}
	return o.NamedType == n.NamedType
}

func nullable(t *ast.Type) *ast.Type {
	c := *t
	c.NonNull = false
	return &c
}

func valueText(v *ast.Value) string {
	if v == nil {
		return "none"
	}
	return v.String()
}

func kindWord(k ast.DefinitionKind) string {
	return strings.ToLower(strings.ReplaceAll(string(k), "_", " "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// GraphQLUsage is what an integration's GraphQL requests use of a schema:
// the fields it selects or calls ("Customer.email", "Mutation.upsertCustomer")
// and the types it sends or reads whole (input objects, enums, unions).
type GraphQLUsage struct {
	Fields map[string]bool
	Types  map[string]bool
}

// UseGraphQL records what a request's query document uses of schema.
// A query the schema refuses is an error: it was not a call the contract
// knows.
func (u *GraphQLUsage) UseGraphQL(schema *GraphQL, query string) error {
	doc, errs := gqlparser.LoadQueryWithRules(schema.Schema, query, nil) // nil: the spec's rules
	if len(errs) > 0 {
		return fmt.Errorf("contracts: the query does not fit the schema: %w", errs)
	}
	if u.Fields == nil {
		u.Fields, u.Types = map[string]bool{}, map[string]bool{}
	}
	var walkInput func(t *ast.Type)
	walkInput = func(t *ast.Type) {
		name := t.Name()
		if u.Types[name] {
			return
		}
		u.Types[name] = true
		if def := schema.Schema.Types[name]; def != nil && def.Kind == ast.InputObject {
			for _, f := range def.Fields {
				walkInput(f.Type)
			}
		}
	}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Definition == nil || s.ObjectDefinition == nil || strings.HasPrefix(s.Name, "__") {
					continue
				}
				u.Fields[s.ObjectDefinition.Name+"."+s.Name] = true
				for _, a := range s.Definition.Arguments {
					walkInput(a.Type)
				}
				if def := schema.Schema.Types[s.Definition.Type.Name()]; def != nil && (def.Kind == ast.Enum || def.Kind == ast.Union || def.Kind == ast.Interface) {
					u.Types[def.Name] = true
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			walkInput(v.Type)
		}
		walk(op.SelectionSet)
	}
	return nil
}

// AffectingGraphQL keeps the changes to what usage records: a field the
// integration selects (or an argument of it), or a type it sends or reads
// whole (an input object's fields, an enum's values, a union's members).
func AffectingGraphQL(changes []Change, usage GraphQLUsage) []Change {
	var out []Change
	for _, c := range changes {
		coord := c.Coordinate
		field, _, _ := strings.Cut(coord, "(")
		typ, _, _ := strings.Cut(coord, ".")
		if usage.Fields[field] || usage.Types[typ] || (c.Rule == "type-removed" || c.Rule == "type-kind-changed") && usedType(usage, typ) {
			out = append(out, c)
		}
	}
	return out
}

func usedType(u GraphQLUsage, typ string) bool {
	if u.Types[typ] {
		return true
	}
	for f := range u.Fields {
		if strings.HasPrefix(f, typ+".") {
			return true
		}
	}
	return false
}
