package contracts

import (
	"fmt"
	"maps"
	"sort"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// allDirectiveLocations is where a directive declared for an undeclared use
// may appear: everywhere, since its uses are all we know of it.
var allDirectiveLocations = []ast.DirectiveLocation{
	ast.LocationQuery, ast.LocationMutation, ast.LocationSubscription, ast.LocationField,
	ast.LocationFragmentDefinition, ast.LocationFragmentSpread, ast.LocationInlineFragment,
	ast.LocationVariableDefinition, ast.LocationSchema, ast.LocationScalar, ast.LocationObject,
	ast.LocationFieldDefinition, ast.LocationArgumentDefinition, ast.LocationInterface,
	ast.LocationUnion, ast.LocationEnum, ast.LocationEnumValue, ast.LocationInputObject,
	ast.LocationInputFieldDefinition,
}

// preludeNames are the types and directives every schema has, read once
// from gqlparser's prelude.
var preludeNames = sync.OnceValue(func() (n struct{ types, directives map[string]bool }) {
	n.types, n.directives = map[string]bool{}, map[string]bool{}
	doc := validator.PreludeDocument()
	for _, d := range doc.Definitions {
		n.types[d.Name] = true
	}
	for _, d := range doc.Directives {
		n.directives[d.Name] = true
	}
	return n
})

// repairer mends a parsed schema document in place, noting each repair.
type repairer struct {
	problems []Problem
}

func (r *repairer) warn(rule string, pos *ast.Position, format string, args ...any) {
	p := Problem{Severity: SeverityWarning, Rule: rule, Message: fmt.Sprintf(format, args...)}
	if pos != nil {
		p.Line, p.Column = pos.Line, pos.Column
		if pos.Src != nil {
			p.File = pos.Src.Name
		}
	}
	r.problems = append(r.problems, p)
}

func (r *repairer) repair(doc *ast.SchemaDocument) {
	r.dropBuiltins(doc)
	seen := map[string]*ast.Definition{}
	for _, def := range doc.Definitions {
		r.dedupe(def, nil)
		if seen[def.Name] == nil {
			seen[def.Name] = def
		}
	}
	for _, ext := range doc.Extensions {
		r.dedupe(ext, seen[ext.Name])
	}
	r.declareDirectives(doc)
	sort.SliceStable(r.problems, func(i, j int) bool {
		a, b := r.problems[i], r.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// dropBuiltins removes redeclarations of the types every schema has.
func (r *repairer) dropBuiltins(doc *ast.SchemaDocument) {
	builtin := preludeNames().types
	kept := doc.Definitions[:0]
	for _, def := range doc.Definitions {
		if builtin[def.Name] {
			r.warn(RuleGraphQLBuiltinRedeclared, def.Position,
				"built-in type %s is declared again; the built-in definition is kept", def.Name)
			continue
		}
		kept = append(kept, def)
	}
	doc.Definitions = kept
}

// dedupe keeps the first of fields, arguments and enum values defined twice
// on def; base, when def extends a type, holds names already taken.
func (r *repairer) dedupe(def, base *ast.Definition) {
	fields := map[string]bool{}
	values := map[string]bool{}
	if base != nil {
		for _, f := range base.Fields {
			fields[f.Name] = true
		}
		for _, v := range base.EnumValues {
			values[v.Name] = true
		}
	}
	keptFields := def.Fields[:0]
	for _, f := range def.Fields {
		if fields[f.Name] {
			r.warn(RuleGraphQLDuplicateField, f.Position,
				"field %s.%s is defined more than once; the first definition is kept", def.Name, f.Name)
			continue
		}
		fields[f.Name] = true
		f.Arguments = r.dedupeArgs(def.Name+"."+f.Name, f.Arguments)
		keptFields = append(keptFields, f)
	}
	def.Fields = keptFields
	keptValues := def.EnumValues[:0]
	for _, v := range def.EnumValues {
		if values[v.Name] {
			r.warn(RuleGraphQLDuplicateEnumValue, v.Position,
				"enum value %s.%s is defined more than once; the first definition is kept", def.Name, v.Name)
			continue
		}
		values[v.Name] = true
		keptValues = append(keptValues, v)
	}
	def.EnumValues = keptValues
}

func (r *repairer) dedupeArgs(owner string, args ast.ArgumentDefinitionList) ast.ArgumentDefinitionList {
	seen := map[string]bool{}
	kept := args[:0]
	for _, a := range args {
		if seen[a.Name] {
			r.warn(RuleGraphQLDuplicateField, a.Position,
				"argument %s(%s:) is defined more than once; the first definition is kept", owner, a.Name)
			continue
		}
		seen[a.Name] = true
		kept = append(kept, a)
	}
	return kept
}

// declareDirectives declares every directive the document uses but never
// declares: repeatable, valid everywhere, with one argument per name its uses
// pass, typed after the first value seen.
func (r *repairer) declareDirectives(doc *ast.SchemaDocument) {
	declared := maps.Clone(preludeNames().directives)
	for _, d := range doc.Directives {
		declared[d.Name] = true
	}
	added := map[string]*ast.DirectiveDefinition{}
	var order []string
	visit := func(list ast.DirectiveList) {
		for _, use := range list {
			if declared[use.Name] {
				continue
			}
			def := added[use.Name]
			if def == nil {
				def = &ast.DirectiveDefinition{
					Name: use.Name, IsRepeatable: true, Locations: allDirectiveLocations,
					Position:    use.Position,
					Description: "Declared by firedrill: the schema uses this directive without declaring it.",
				}
				added[use.Name] = def
				order = append(order, use.Name)
				r.warn(RuleGraphQLDirectiveUndefined, use.Position,
					"directive @%s is used but never declared; declared as repeatable on every location", use.Name)
			}
			for _, a := range use.Arguments {
				if def.Arguments.ForName(a.Name) == nil {
					def.Arguments = append(def.Arguments, &ast.ArgumentDefinition{
						Name: a.Name, Type: inferArgType(a.Value), Position: a.Position,
					})
				}
			}
		}
	}
	walkDirectiveUses(doc, visit)
	for _, name := range order {
		doc.Directives = append(doc.Directives, added[name])
	}
}

// walkDirectiveUses calls visit with every list of directives the document applies.
func walkDirectiveUses(doc *ast.SchemaDocument, visit func(ast.DirectiveList)) {
	for _, s := range append(append(ast.SchemaDefinitionList{}, doc.Schema...), doc.SchemaExtension...) {
		visit(s.Directives)
	}
	for _, d := range doc.Directives {
		for _, a := range d.Arguments {
			visit(a.Directives)
		}
	}
	for _, def := range append(append(ast.DefinitionList{}, doc.Definitions...), doc.Extensions...) {
		visit(def.Directives)
		for _, f := range def.Fields {
			visit(f.Directives)
			for _, a := range f.Arguments {
				visit(a.Directives)
			}
		}
		for _, v := range def.EnumValues {
			visit(v.Directives)
		}
	}
}

// inferArgType names the built-in type a literal suggests; anything else is a String.
func inferArgType(v *ast.Value) *ast.Type {
	if v == nil {
		return ast.NamedType("String", nil)
	}
	switch v.Kind {
	case ast.IntValue:
		return ast.NamedType("Int", nil)
	case ast.FloatValue:
		return ast.NamedType("Float", nil)
	case ast.BooleanValue:
		return ast.NamedType("Boolean", nil)
	case ast.ListValue:
		if len(v.Children) > 0 {
			return ast.ListType(inferArgType(v.Children[0].Value), nil)
		}
		return ast.ListType(ast.NamedType("String", nil), nil)
	}
	return ast.NamedType("String", nil)
}
