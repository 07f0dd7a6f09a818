package contracts

import (
	"context"
	"errors"
	"testing"
)

// TestLoadOpenAPIYAMLTyping loads hand-written YAML whose unquoted values
// YAML types as numbers or booleans where OpenAPI wants strings: each is
// taken as its text, with a warning at its line.
func TestLoadOpenAPIYAMLTyping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		version   string
		want      []wantProblem
	}{
		{"info.version", "openapi: '3.0.0'\ninfo: {title: t, version: 1}\npaths: {}\n", "3.0.0",
			[]wantProblem{{RuleYAMLTypedValue, SeverityWarning, 2}}},
		{"openapi float", "openapi: 3.0\ninfo: {title: t, version: 1.0}\npaths: {}\n", "3.0",
			[]wantProblem{{RuleYAMLTypedValue, SeverityWarning, 1}, {RuleYAMLTypedValue, SeverityWarning, 2}}},
		{"swagger float", "swagger: 2.0\ninfo: {title: t, version: 1.0}\npaths: {}\n", "2.0",
			[]wantProblem{{RuleYAMLTypedValue, SeverityWarning, 1}, {RuleYAMLTypedValue, SeverityWarning, 2}}},
		{"swagger operation fields", "swagger: '2.0'\ninfo:\n  title: t\n  version: 2\npaths:\n  /a:\n    get:\n      operationId: 12\n      responses: {'200': {description: true}}\n", "2.0",
			[]wantProblem{{RuleYAMLTypedValue, SeverityWarning, 4}, {RuleYAMLTypedValue, SeverityWarning, 8}, {RuleYAMLTypedValue, SeverityWarning, 9}}},
		{"quoted: nothing to do", "openapi: '3.0.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", "3.0.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseOpenAPI(context.Background(), "typed.yaml", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tt.version {
				t.Errorf("version %q, want %q", c.Version, tt.version)
			}
			assertProblems(t, c.Problems, tt.want)
		})
	}
}

func TestLoadOpenAPIShapeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		line      int
		pointer   string
	}{
		{"2.0 yaml", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: [1]\n", 3, "/paths"},
		{"2.0 json", "{\"swagger\": \"2.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"},\n \"paths\": [1]}", 2, "/paths"},
		{"2.0 host", "swagger: '2.0'\ninfo: {title: t, version: '1'}\nhost: a/b\npaths: {}\n", 3, "/host"},
		{"3.0 yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: [1]\n", 3, "/paths"},
		{"a string where an object goes", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: nope\n", 4, "/paths/~1a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseOpenAPI(context.Background(), "shape.yaml", []byte(tt.doc))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LoadError", err)
			}
			if le.Line != tt.line || le.Pointer != tt.pointer {
				t.Errorf("%v: at line %d pointer %q, want %d %q", err, le.Line, le.Pointer, tt.line, tt.pointer)
			}
		})
	}
}
