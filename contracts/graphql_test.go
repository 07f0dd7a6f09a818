package contracts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
)

func TestParseGraphQLRepairs(t *testing.T) {
	t.Parallel()
	g, err := contracts.LoadGraphQL(context.Background(), "testdata/graphql/tolerant.graphql")
	if err != nil {
		t.Fatalf("tolerant schema did not load: %v", err)
	}
	want := []struct {
		rule string
		line int
		text string
	}{
		{contracts.RuleGraphQLBuiltinRedeclared, 2, "built-in type Int"},
		{contracts.RuleGraphQLDirectiveUndefined, 5, "@cost"},
		{contracts.RuleGraphQLDuplicateField, 6, "Query.customers(first:)"},
		{contracts.RuleGraphQLDirectiveUndefined, 11, "@tag"},
		{contracts.RuleGraphQLDuplicateField, 12, "Customer.email"},
		{contracts.RuleGraphQLDuplicateEnumValue, 18, "Status.ACTIVE"},
		{contracts.RuleGraphQLBuiltinRedeclared, 22, "built-in type __Schema"},
	}
	if len(g.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(g.Problems), len(want), g.Problems)
	}
	for i, w := range want {
		p := g.Problems[i]
		if p.Rule != w.rule || p.Line != w.line || !strings.Contains(p.Message, w.text) ||
			p.Severity != contracts.SeverityWarning || p.File != "testdata/graphql/tolerant.graphql" {
			t.Errorf("problem %d = %v; want rule %s at line %d mentioning %q", i, p, w.rule, w.line, w.text)
		}
	}
	s := g.Schema
	cust := s.Types["Customer"]
	if n := len(cust.Fields); n != 3 {
		t.Errorf("Customer has %d fields, want 3 (duplicate dropped)", n)
	}
	if email := cust.Fields.ForName("email"); email == nil || !email.Type.NonNull {
		t.Errorf("Customer.email = %v; want the first definition (String!) kept", email)
	}
	if n := len(s.Types["Status"].EnumValues); n != 2 {
		t.Errorf("Status has %d values, want 2", n)
	}
	if !s.Types["Int"].BuiltIn || s.Types["__Schema"].Fields.ForName("types") == nil {
		t.Errorf("built-in Int/__Schema not kept")
	}
	tag := s.Directives["tag"]
	if tag == nil || !tag.IsRepeatable || tag.Arguments.ForName("names") == nil || tag.Arguments.ForName("names").Type.String() != "[String]" {
		t.Errorf("@tag declared as %+v; want repeatable with names: [String]", tag)
	}
	if cost := s.Directives["cost"]; cost == nil || cost.Arguments.ForName("weight").Type.Name() != "Int" {
		t.Errorf("@cost declared as %+v; want weight: Int", cost)
	}
}

func TestLoadGraphQLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file       string
		line, col  int
		wantInText string
	}{
		{"syntax.graphql", 7, 8, "Expected :"},
		{"unknown_type.graphql", 7, 12, "Address"},
		{"no_query.graphql", 0, 0, "no Query type"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "graphql", tt.file)
			_, err := contracts.LoadGraphQL(context.Background(), path)
			var le *contracts.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T); want *LoadError", err, err)
			}
			if le.File != path || le.Line != tt.line || le.Column != tt.col {
				t.Errorf("located at %s:%d:%d; want %s:%d:%d", le.File, le.Line, le.Column, path, tt.line, tt.col)
			}
			if !strings.Contains(err.Error(), tt.wantInText) || !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q; want it to name %s and mention %q", err, path, tt.wantInText)
			}
		})
	}
}

func TestLoadGraphQLSeveralFiles(t *testing.T) {
	t.Parallel()
	g, err := contracts.LoadGraphQL(context.Background(), "testdata/graphql/split_a.graphql", "testdata/graphql/split_b.graphql")
	if err != nil {
		t.Fatal(err)
	}
	q := g.Schema.Query
	if q.Fields.ForName("orders") == nil || g.Schema.Types["Order"] == nil {
		t.Errorf("the files were not merged: Query has %v", q.Fields)
	}
	if len(g.Paths) != 2 || len(g.Problems) != 1 || g.Problems[0].File != "testdata/graphql/split_b.graphql" || g.Problems[0].Line != 8 {
		t.Errorf("paths %v problems %v; want 2 paths and the repeated Query.order at split_b.graphql:8", g.Paths, g.Problems)
	}
	if _, err := contracts.LoadGraphQL(context.Background(), "testdata/graphql/missing.graphql"); err == nil || !strings.Contains(err.Error(), "missing.graphql") {
		t.Errorf("missing file: err = %v; want one naming the file", err)
	}
	if _, err := contracts.LoadGraphQL(context.Background()); err == nil {
		t.Error("no file: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := contracts.LoadGraphQL(ctx, "testdata/graphql/split_a.graphql"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v; want context.Canceled", err)
	}
}

func TestLoadGraphQLCorpus(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "graphql", "*.graphql")
	want := map[string]string{ // a repair each schema needs
		"github__schema.graphql":                     contracts.RuleGraphQLDuplicateField,
		"monday__schema.graphql":                     contracts.RuleGraphQLBuiltinRedeclared,
		"shopify__storefront-2021-10.schema.graphql": "",
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			g, err := contracts.LoadGraphQL(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			rules := map[string]bool{}
			for _, p := range g.Problems {
				rules[p.Rule] = true
				if p.File != f || p.Line == 0 {
					t.Errorf("problem not located: %v", p)
				}
			}
			if r := want[filepath.Base(f)]; r != "" && !rules[r] {
				t.Errorf("no %s repair among %v", r, g.Problems)
			}
			roots := 0
			for _, f := range g.Schema.Query.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					roots++
				}
			}
			t.Logf("%d types, %d root query fields, %d repairs", len(g.Schema.Types), roots, len(g.Problems))
		})
	}
}

func FuzzParseGraphQL(f *testing.F) {
	for _, name := range []string{"tolerant.graphql", "syntax.graphql", "split_b.graphql"} {
		b, err := os.ReadFile(filepath.Join("testdata", "graphql", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("type Query { a: Int @x(y: [1, 2]) a: String }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		g, err := contracts.ParseGraphQL(context.Background(), "fuzz.graphql", src)
		if err == nil && (g.Schema == nil || g.Schema.Query == nil) {
			t.Fatalf("loaded without a Query type")
		}
		var le *contracts.LoadError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error %v is not located", err)
		}
	})
}

// BenchmarkParseGraphQL measures the tolerant load of Shopify's storefront
// schema (one the strict load accepts too) against gqlparser.LoadSchema on
// the same text, the two interleaved in each iteration so a loaded machine
// slows both alike, and reports the ratio: what tolerance costs.
func BenchmarkParseGraphQL(b *testing.B) {
	path := corpustest.File(b, "graphql", "shopify__storefront-2021-10.schema.graphql")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var strict, tolerant time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(src)}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := contracts.ParseGraphQL(context.Background(), path, src); err != nil {
			b.Fatal(err)
		}
		strict, tolerant = strict+t1.Sub(t0), tolerant+time.Since(t1)
	}
	b.ReportMetric(float64(tolerant.Nanoseconds())/float64(b.N), "tolerant_ns/load")
	b.ReportMetric(float64(strict.Nanoseconds())/float64(b.N), "gqlparser_ns/load")
	b.ReportMetric(float64(tolerant)/float64(strict), "x_strict_time")
}
