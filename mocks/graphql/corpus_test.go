package graphql_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
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

// rootOperation is an operation ("query" or "mutation") of one root field
// of the schema.
func rootOperation(s *ast.Schema, kind string, f *ast.FieldDefinition) string {
	return kind + " { " + f.Name + requiredArgs(s, f) + " " + selection(s, s.Types[f.Type.Name()], 1) + " }"
}

// askRoots sends m one operation of the kind per root field, in order, and
// counts the fields asked and the answers: answered, a 200 whose data holds
// the field and conforms to the schema; notFound, where notFoundOK, a 200
// whose one error is the field's not-found error (an update or delete of a
// record that does not exist). Any other answer is a test error.
func askRoots(t testing.TB, m http.Handler, s *ast.Schema, kind string, fields ast.FieldList, notFoundOK bool) (asked, answered, notFound int) {
	t.Helper()
	for _, f := range fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		asked++
		q := rootOperation(s, kind, f)
		r := do(t, m, q, nil)
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d: %s\n%s: %s", f.Name, r.status, r.raw, kind, q)
			continue
		}
		if notFoundOK && len(r.Errors) == 1 && strings.Contains(r.Errors[0].Message, f.Name+": no ") {
			notFound++
			continue
		}
		if _, ok := r.Data[f.Name]; !ok || len(r.Errors) > 0 {
			t.Errorf("%s: errors or no data for the field: %s\n%s: %s", f.Name, r.raw, kind, q)
			continue
		}
		if err := conforms(s, q, r.Data); err != nil {
			t.Errorf("%s: the answer breaks the schema: %v", f.Name, err)
			continue
		}
		answered++
	}
	return asked, answered, notFound
}

// eachCorpusSchema runs fn on every GraphQL schema of the corpus, loaded,
// in a parallel subtest named after its file.
func eachCorpusSchema(t *testing.T, fn func(t *testing.T, name string, c *contracts.GraphQL)) {
	t.Helper()
	for _, file := range corpustest.Files(t, "graphql", "*.graphql") {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := contracts.LoadGraphQL(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, name, c)
		})
	}
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	eachCorpusSchema(t, func(t *testing.T, name string, c *contracts.GraphQL) {
		m, err := graphql.NewHandler(c)
		if err != nil {
			t.Fatal(err)
		}
		r := do(t, m, introspectionQuery(t), nil).ok(t)
		if err := checkIntrospection(c.Schema, r.Data); err != nil {
			t.Errorf("introspection: %v", err)
		}
		fields, answered, _ := askRoots(t, m, c.Schema, "query", c.Schema.Query.Fields, false)
		t.Logf("%s: introspection ok; %d of %d root query fields answered with data and no errors",
			name, answered, fields)
		if answered != fields {
			t.Errorf("%d root query fields failed", fields-answered)
		}
	})
}

// errorsTB is a testing.TB that records Errorf instead of failing.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Helper() {}

func (e *errorsTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// Negative control for askRoots: what the corpus tests count as answered or
// not found, and every other answer an error.
func TestAskRoots(t *testing.T) {
	t.Parallel()
	s := shopSchema(t).Schema
	customer := ast.FieldList{s.Query.Fields.ForName("customer")}
	answer := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		})
	}
	notFound := answer(200, `{"data":{"customer":null},"errors":[{"message":"customer: no Customer \"1\""}]}`)
	for _, tt := range []struct {
		name               string
		h                  http.Handler
		notFoundOK         bool
		answered, notFound int
		errs               int
	}{
		{"the mock", newMock(t), false, 1, 0, 0},
		{"not found, allowed", notFound, true, 0, 1, 0},
		{"not found, not allowed", notFound, false, 0, 0, 1},
		{"status 500", answer(500, `{"errors":[{"message":"boom"}]}`), true, 0, 0, 1},
		{"no data for the field", answer(200, `{"data":{}}`), false, 0, 0, 1},
		{"data that breaks the schema", answer(200, `{"data":{"customer":{"__typename":"Customer","id":[1]}}}`), false, 0, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &errorsTB{TB: t}
			asked, answered, notFound := askRoots(rec, tt.h, s, "query", customer, tt.notFoundOK)
			if asked != 1 || answered != tt.answered || notFound != tt.notFound || len(rec.errs) != tt.errs {
				t.Errorf("asked %d, answered %d, not found %d, errors %q; want 1, %d, %d and %d errors",
					asked, answered, notFound, rec.errs, tt.answered, tt.notFound, tt.errs)
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
	q := rootOperation(c.Schema, "query", f)
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
	eachCorpusSchema(t, func(t *testing.T, name string, c *contracts.GraphQL) {
		if c.Schema.Mutation == nil {
			t.Skip("no mutations")
		}
		m, err := graphql.NewHandler(c, graphql.WithStateful(true))
		if err != nil {
			t.Fatal(err)
		}
		// Creates first and deletes last, so updates find what creates made.
		rank := func(field string) int {
			n := strings.ToLower(field)
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
		total, answered, notFound := askRoots(t, m, c.Schema, "mutation", muts, true)
		t.Logf("%s: %d root mutations: %d answered with data, %d update/delete of a missing record refused",
			name, total, answered, notFound)
		// Then every root query reads the state those mutations left.
		queries, read, _ := askRoots(t, m, c.Schema, "query", c.Schema.Query.Fields, true)
		t.Logf("%s: %d of %d root queries answered from state with data that conforms", name, read, queries)
	})
}
