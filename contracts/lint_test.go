package contracts

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

func TestLintFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []wantProblem
	}{
		// Negative controls: clean contracts in every version report nothing.
		{"openapi/petstore30.yaml", nil},
		{"openapi/petstore31.json", nil},
		{"openapi/webhooks31.yaml", nil},
		{"lint/ambiguous.yaml", []wantProblem{
			// /orders/latest beside /orders/{id} (line 13) is fine, and so are
			// /items/{a} and /items/{b} (lines 30, 37): they share no method.
			{RulePathAmbiguous, SeverityError, 18},
			{RuleOperationIDDup, SeverityError, 20},
		}},
		{"lint/examples.yaml", []wantProblem{
			{RuleExampleInvalid, SeverityError, 13},       // parameter example below its minimum
			{RuleExampleInvalid, SeverityError, 23},       // named request example: string amount
			{RuleExampleInvalid, SeverityError, 31},       // response example: currency not in the enum
			{RuleExampleInvalid, SeverityError, 46},       // schema example: date-time without a zone
			{RuleYAMLTypedValue, SeverityWarning, 49},     // unquoted 044925
			{RulePatternUnsupported, SeverityWarning, 52}, // look-ahead
		}},
		{"openapi/swagger20.yaml", []wantProblem{
			{RuleArrayItemsMissing, SeverityWarning, 19},
			{RuleExampleInvalid, SeverityError, 43},
			{RulePatternUnsupported, SeverityWarning, 64},
		}},
		{"lint/defaults.yaml", []wantProblem{ // the defaults of sort and total are fine
			{RuleDefaultInvalid, SeverityWarning, 12},
			{RuleDefaultInvalid, SeverityWarning, 26},
		}},
		{"lint/example_refs.yaml", []wantProblem{ // located where the example is written, through its $ref
			{RuleExampleInvalid, SeverityError, 26},
		}},
		{"lint/examples31.json", []wantProblem{ // the OK lines are negative controls
			{RuleExampleInvalid, SeverityError, 7},
			{RuleExampleInvalid, SeverityError, 9}, // const: only the 2020-12 validator sees it
			{RuleExampleInvalid, SeverityError, 11},
			{RulePatternUnsupported, SeverityWarning, 12}, // a look-ahead patternProperties key, removed
		}},
		{"lint/cycle.yaml", []wantProblem{ // Tree, recursive through properties, is fine
			{RuleRefUnresolved, SeverityError, 8},
			{RuleRefUnresolved, SeverityError, 10},
		}},
		{"lint/strict.yaml", []wantProblem{
			{RuleSpec + "/path-parameters-mismatch", SeverityWarning, 7}, // the operation named in the message
			{RuleSpec + "/schema-type-unsupported", SeverityWarning, 18}, // the parameter found by name
			{RuleSpec + "/schema-type-unsupported", SeverityWarning, 25},
		}},
		{"openapi/multi/broken.yaml", []wantProblem{
			{RuleRefUnresolved, SeverityError, 14},
			{RuleRefUnresolved, SeverityError, 23},
		}},
		{"openapi/remote.yaml", []wantProblem{{RuleRefUnresolved, SeverityError, 14}}},
		{"openapi/syntax.yaml", []wantProblem{{RuleSyntax, SeverityError, 4}}},
		{"openapi/syntax.json", []wantProblem{{RuleSyntax, SeverityError, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := LintFiles(context.Background(), filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.want) == 0 {
				if len(got) != 0 {
					t.Errorf("clean contract has problems:\n%s", problemLines(got))
				}
				return
			}
			assertProblems(t, got, tt.want)
		})
	}
}

func TestLintMessages(t *testing.T) {
	t.Parallel()
	got, err := LintFiles(context.Background(), filepath.Join("testdata", "lint", "examples.yaml"), filepath.Join("testdata", "lint", "ambiguous.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := problemLines(got)
	for _, want := range []string{
		`examples.yaml:23:17: error: example does not match its schema: /amount: value must be an integer (at /paths/~1invoices/post/requestBody/content/application~1json/examples/bad/value) [example-invalid]`,
		`ambiguous.yaml:18:3: error: path /orders/{orderId} matches the same URLs as /orders/{id} for GET`,
		`operationId "getOrder" of GET /orders/{orderId} is already used by GET /orders/{id}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lint output lacks %q:\n%s", want, text)
		}
	}
	// Sorted by file, then line.
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.File > b.File || a.File == b.File && a.Line > b.Line {
			t.Errorf("problems out of order: %s before %s", a, b)
		}
	}
}

func TestLintFilesUnreadable(t *testing.T) {
	t.Parallel()
	_, err := LintFiles(context.Background(), filepath.Join("testdata", "lint", "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want fs.ErrNotExist", err)
	}
}

func TestLintGraphQL(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("testdata", "graphql", "*.graphql"))
	if len(files) == 0 {
		corpustest.Missing(t, "no GraphQL fixtures in testdata/graphql")
	}
	for _, f := range files {
		ps, err := LintFiles(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range ps {
			if p.File == "" || p.Severity == "" || p.Rule == "" {
				t.Errorf("%s: incomplete problem %+v", f, p)
			}
		}
	}
}

func TestLintNil(t *testing.T) {
	t.Parallel()
	if ps := Lint(context.Background(), nil); ps != nil {
		t.Errorf("Lint(nil) = %v", ps)
	}
}
