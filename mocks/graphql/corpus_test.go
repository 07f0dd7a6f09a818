package graphql_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

// literal renders a value of type t as a GraphQL literal: required input
// fields filled, depth bounded (input types can be recursive).
func literal(s *ast.Schema, t *ast.Type, depth int) string {
	if t.Elem != nil {
		return "[" + literal(s, t.Elem, depth) + "]"
	}
	def := s.Types[t.NamedType]
	switch {
	case def == nil:
		return "null"
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		var parts []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil && depth < 6 {
				parts = append(parts, f.Name+": "+literal(s, f.Type, depth+1))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	switch def.Name {
	case "Int":
		return "1"
	case "Float":
		return "1.5"
	case "Boolean":
		return "true"
	}
	return strconv.Quote("1")
}

// requiredArgs fills the arguments a field cannot go without.
func requiredArgs(s *ast.Schema, f *ast.FieldDefinition) string {
	var parts []string
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			parts = append(parts, a.Name+": "+literal(s, a.Type, 0))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// selection selects the scalar fields of def and, while depth > 0, one
// level of its object fields; __typename keeps every set non-empty.
func selection(s *ast.Schema, def *ast.Definition, depth int) string {
	if def.IsLeafType() {
		return ""
	}
	parts := []string{"__typename"}
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		ft := s.Types[f.Type.Name()]
		args := requiredArgs(s, f)
		switch {
		case ft.IsLeafType():
			parts = append(parts, f.Name+args)
		case depth > 0:
			parts = append(parts, f.Name+args+" "+selection(s, ft, depth-1))
		}
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

// rootQuery is a query over one root field of the schema.
func rootQuery(s *ast.Schema, f *ast.FieldDefinition) string {
	return "query { " + f.Name + requiredArgs(s, f) + " " + selection(s, s.Types[f.Type.Name()], 1) + " }"
}

// rootMutation is a mutation of one root mutation field.
func rootMutation(s *ast.Schema, f *ast.FieldDefinition) string {
	return "mutation { " + f.Name + requiredArgs(s, f) + " " + selection(s, s.Types[f.Type.Name()], 1) + " }"
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpusDir(t), "graphql")
	files, _ := filepath.Glob(filepath.Join(dir, "*.graphql"))
	if len(files) == 0 {
		t.Skipf("no GraphQL corpus in %s (set FIREDRILL_CORPUS to the real-contracts folder)", dir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			c, err := contracts.LoadGraphQL(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := graphql.NewHandler(c)
			if err != nil {
				t.Fatal(err)
			}
			r := do(t, m, introspectionQuery(t), nil).ok(t)
			if err := checkIntrospection(c.Schema, r.Data); err != nil {
				t.Errorf("introspection: %v", err)
			}
			fields, answered := 0, 0
			for _, f := range c.Schema.Query.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				fields++
				q := rootQuery(c.Schema, f)
				r := do(t, m, q, nil)
				if r.status != 200 || len(r.Errors) > 0 || r.Data == nil {
					t.Errorf("%s: %s\nquery: %s", f.Name, r.raw, q)
					continue
				}
				if _, ok := r.Data[f.Name]; !ok {
					t.Errorf("%s: no data for the field: %s", f.Name, r.raw)
					continue
				}
				if err := conforms(c.Schema, q, r.Data); err != nil {
					t.Errorf("%s: the answer breaks the schema: %v", f.Name, err)
					continue
				}
				answered++
			}
			t.Logf("%s: introspection ok; %d of %d root query fields answered with data and no errors",
				filepath.Base(file), answered, fields)
			if answered != fields {
				t.Errorf("%d root query fields failed", fields-answered)
			}
		})
	}
}

// Negative control for the corpus test: a query it would build, spoiled,
// does not pass.
func TestRootQueryBuilderNegative(t *testing.T) {
	t.Parallel()
	c := shopSchema(t)
	f := c.Schema.Query.Fields.ForName("customer")
	q := rootQuery(c.Schema, f)
	if !strings.Contains(q, `customer(id: "1")`) || !strings.Contains(q, "orders") {
		t.Fatalf("built %s; want the required id and one level of objects", q)
	}
	r := do(t, newMock(t), strings.Replace(q, `(id: "1")`, "", 1), nil)
	if len(r.Errors) == 0 {
		t.Errorf("a query without its required argument passed: %s", r.raw)
	}
}

// TestCorpusStatefulMutations runs every root mutation of each corpus
// schema against a stateful mock: each answers with data that conforms to
// the schema, or, for an update or delete of a record that does not exist,
// with the not-found error on that field.
func TestCorpusStatefulMutations(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpusDir(t), "graphql")
	files, _ := filepath.Glob(filepath.Join(dir, "*.graphql"))
	if len(files) == 0 {
		t.Skipf("no GraphQL corpus in %s (set FIREDRILL_CORPUS to the real-contracts folder)", dir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			c, err := contracts.LoadGraphQL(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if c.Schema.Mutation == nil {
				t.Skip("no mutations")
			}
			m, err := graphql.NewHandler(c, graphql.WithStateful(true))
			if err != nil {
				t.Fatal(err)
			}
			// Creates first and deletes last, so updates find what creates made.
			rank := func(name string) int {
				n := strings.ToLower(name)
				switch {
				case strings.Contains(n, "create") || strings.Contains(n, "add"):
					return 0
				case strings.Contains(n, "delete") || strings.Contains(n, "remove"):
					return 2
				}
				return 1
			}
			muts := slices.Clone(c.Schema.Mutation.Fields)
			slices.SortStableFunc(muts, func(a, b *ast.FieldDefinition) int { return rank(a.Name) - rank(b.Name) })
			total, answered, notFound := 0, 0, 0
			for _, f := range muts {
				total++
				q := rootMutation(c.Schema, f)
				r := do(t, m, q, nil)
				switch {
				case r.status != 200:
					t.Errorf("%s: status %d: %s", f.Name, r.status, r.raw)
				case len(r.Errors) == 1 && strings.Contains(r.Errors[0].Message, f.Name+": no "):
					notFound++
				case len(r.Errors) > 0:
					t.Errorf("%s: %s\nquery: %s", f.Name, r.raw, q)
				default:
					if err := conforms(c.Schema, q, r.Data); err != nil {
						t.Errorf("%s: the answer breaks the schema: %v", f.Name, err)
						continue
					}
					answered++
				}
			}
			t.Logf("%s: %d root mutations: %d answered with data, %d update/delete of a missing record refused",
				filepath.Base(file), total, answered, notFound)
			// Then every root query reads the state those mutations left.
			queries, read := 0, 0
			for _, f := range c.Schema.Query.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				queries++
				q := rootQuery(c.Schema, f)
				r := do(t, m, q, nil)
				switch {
				case r.status != 200:
					t.Errorf("%s: status %d: %s", f.Name, r.status, r.raw)
				case len(r.Errors) == 1 && strings.Contains(r.Errors[0].Message, f.Name+": no "):
				case len(r.Errors) > 0:
					t.Errorf("%s: %s\nquery: %s", f.Name, r.raw, q)
				default:
					if err := conforms(c.Schema, q, r.Data); err != nil {
						t.Errorf("%s: the stateful answer breaks the schema: %v", f.Name, err)
						continue
					}
					read++
				}
			}
			t.Logf("%s: %d of %d root queries answered from state with data that conforms", filepath.Base(file), read, queries)
		})
	}
}
