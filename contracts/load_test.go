package contracts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// wantProblem is an expected problem: its rule, severity and line.
type wantProblem struct {
	rule string
	sev  Severity
	line int
}

func TestLoadOpenAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		version  string
		name     string
		basePath string
		ops      int
		problems []wantProblem
	}{
		{file: "petstore30.yaml", version: "3.0.3", name: "petstore30", basePath: "/v1", ops: 3},
		{file: "petstore31.json", version: "3.1.0", name: "petstore31", basePath: "/v2", ops: 1},
		{file: "webhooks31.yaml", version: "3.1.0", name: "webhooks31", basePath: "", ops: 0},
		{file: "swagger20.yaml", version: "2.0", name: "swagger20", basePath: "/api", ops: 2, problems: []wantProblem{
			{RuleArrayItemsMissing, SeverityWarning, 19},
			{RulePatternUnsupported, SeverityWarning, 64},
		}},
		{file: "form20.json", version: "2.0", name: "form20", basePath: "", ops: 1, problems: []wantProblem{
			{RulePatternUnsupported, SeverityWarning, 10}, // a formData parameter, found by name
			{RuleArrayItemsMissing, SeverityWarning, 11},
		}},
		{file: "multi2/main.yaml", version: "2.0", name: "main", basePath: "/v1", ops: 1, problems: []wantProblem{
			{RulePatternUnsupported, SeverityWarning, 6}, // in defs.yaml, reached through two $refs: reported once
		}},
		{file: "multi/main.yaml", version: "3.0.3", name: "main", basePath: "", ops: 1, problems: []wantProblem{
			{RulePatternUnsupported, SeverityWarning, 9}, // in schemas.yaml
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c, err := LoadOpenAPI(context.Background(), filepath.Join("testdata", "openapi", tt.file))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if c.Version != tt.version || c.Name() != tt.name || c.BasePath() != tt.basePath {
				t.Errorf("version %q name %q base path %q, want %q %q %q", c.Version, c.Name(), c.BasePath(), tt.version, tt.name, tt.basePath)
			}
			if got := len(c.operations()); got != tt.ops {
				t.Errorf("%d operations, want %d", got, tt.ops)
			}
			assertProblems(t, c.Problems, tt.problems)
		})
	}
}

// assertProblems checks that got holds exactly the wanted problems, in order.
func assertProblems(t testing.TB, got []Problem, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), problemLines(got))
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Rule != w.rule || g.Severity != w.sev || g.Line != w.line {
			t.Errorf("problem %d = %s, want %s %s at line %d", i, g, w.sev, w.rule, w.line)
		}
		if g.File == "" || g.Message == "" || (g.Pointer == "" && g.Rule != RuleSyntax) {
			t.Errorf("problem %d lacks file, pointer or message: %+v", i, g)
		}
	}
}

func problemLines(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\t" + p.String() + "\n")
	}
	return b.String()
}

func TestLoadOpenAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		line    int
		col     int
		pointer string
		reason  string
		is      error
	}{
		{file: "syntax.yaml", line: 4, reason: "mapping values are not allowed"},
		{file: "syntax.json", line: 5, col: 13, reason: "invalid character ','"},
		{file: "shape.yaml", line: 6, pointer: "/paths", reason: "cannot construct"},
		{file: "multi/broken.yaml", line: 14, col: 17, pointer: "/paths/~1a/get/responses/200/content/application~1json/schema/$ref", reason: `"#/components/schemas/Missing"`},
		{file: "remote.yaml", line: 14, col: 17, pointer: "/paths/~1a/get/responses/200/content/application~1json/schema/$ref", reason: "https://example.com/schemas.yaml", is: ErrRemoteRef},
		{file: "multi/schemas.yaml", reason: "not an OpenAPI document"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "openapi", tt.file)
			_, err := LoadOpenAPI(context.Background(), path)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T), want a *LoadError", err, err)
			}
			if le.File != path || le.Line != tt.line || (tt.col != 0 && le.Column != tt.col) || le.Pointer != tt.pointer {
				t.Errorf("located at %s:%d:%d %q, want %s:%d:%d %q", le.File, le.Line, le.Column, le.Pointer, path, tt.line, tt.col, tt.pointer)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.HasPrefix(err.Error(), path) {
				t.Errorf("error %q does not start with the file or lacks %q", err, tt.reason)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestLoadOpenAPIMissingFile(t *testing.T) {
	t.Parallel()
	_, err := LoadOpenAPI(context.Background(), filepath.Join("testdata", "openapi", "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want fs.ErrNotExist", err)
	}
	var le *LoadError
	if errors.As(err, &le) {
		t.Fatalf("a missing file is not a LoadError: %v", err)
	}
}

func TestLoadOpenAPICancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LoadOpenAPI(ctx, filepath.Join("testdata", "openapi", "petstore30.yaml"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestLoadOpenAPIRepairs(t *testing.T) {
	t.Parallel()
	c, err := LoadOpenAPI(context.Background(), filepath.Join("testdata", "openapi", "swagger20.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sku := c.Doc.Components.Schemas["Line"].Value.Properties["sku"].Value
	if sku.Pattern != "" {
		t.Errorf("uncompilable pattern kept: %q", sku.Pattern)
	}
	// The cleared pattern no longer breaks validation of the schema.
	if err := sku.VisitJSON("XA1"); err != nil {
		t.Errorf("value rejected after the pattern was cleared: %v", err)
	}
	ids := c.Doc.Paths.Value("/orders").Get.Parameters.GetByInAndName("query", "ids")
	if ids == nil || ids.Schema.Value.Items == nil {
		t.Fatalf("array parameter without items not repaired")
	}
	if err := ids.Schema.Value.VisitJSON([]any{"a", 1.0}); err != nil {
		t.Errorf("repaired array rejects items: %v", err)
	}
	// Swagger 2.0 enums placed on the parameter reach its schema.
	status := c.Doc.Paths.Value("/orders").Get.Parameters.GetByInAndName("query", "status")
	if status == nil || len(status.Schema.Value.Enum) != 2 || status.Schema.Value.VisitJSON("lost") == nil {
		t.Errorf("enum of a Swagger 2.0 parameter not enforced")
	}
	// Negative control: a compilable pattern is kept and enforced.
	c30, err := LoadOpenAPI(context.Background(), filepath.Join("testdata", "openapi", "petstore30.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	id := c30.Doc.Paths.Value("/pets/{petId}").Get.Parameters.GetByInAndName("path", "petId").Schema.Value
	if id.Pattern == "" || id.VisitJSON("abc") == nil {
		t.Errorf("compilable pattern %q not kept or not enforced", id.Pattern)
	}
}

func TestParseOpenAPIYAMLTypedValue(t *testing.T) {
	t.Parallel()
	doc := []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Auth:\n      type: string\n      example: 044925\n      enum: [044925, '1']\n    Count:\n      type: integer\n      example: 044925\n")
	c, err := ParseOpenAPI(context.Background(), "typed.yaml", doc)
	if err != nil {
		t.Fatal(err)
	}
	auth := c.Doc.Components.Schemas["Auth"].Value
	if auth.Example != "044925" || auth.Enum[0] != "044925" {
		t.Errorf("example %#v enum %#v, want the string 044925", auth.Example, auth.Enum)
	}
	// Negative control: where the schema says integer the number stays.
	if n := c.Doc.Components.Schemas["Count"].Value.Example; n == "044925" {
		t.Errorf("integer example retyped to %#v", n)
	}
	assertProblems(t, c.Problems, []wantProblem{
		{RuleYAMLTypedValue, SeverityWarning, 8},
		{RuleYAMLTypedValue, SeverityWarning, 9},
	})
}

func TestLocate(t *testing.T) {
	t.Parallel()
	load := func(name string) *OpenAPI {
		c, err := LoadOpenAPI(context.Background(), filepath.Join("testdata", "openapi", name))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p30, p31, v2, multi := load("petstore30.yaml"), load("petstore31.json"), load("swagger20.yaml"), load("multi/main.yaml")
	tests := []struct {
		c       *OpenAPI
		pointer string
		file    string
		line    int
		col     int
	}{
		{p30, "/paths/~1pets/get", "petstore30.yaml", 9, 5},
		{p30, "/paths/~1pets~1{petId}/get/parameters/0/schema/pattern", "petstore30.yaml", 58, 13},
		{p30, "/components/schemas/Pet/allOf/1/properties/id", "petstore30.yaml", 83, 13},
		{p30, "/paths/~1pets/get/responses/200/content/application~1json/schema/items/allOf/0/properties/name", "petstore30.yaml", 72, 9}, // through two $refs
		{p30, "/paths/~1pets/get/responses/200/content/application~1json/schema/items/properties", "petstore30.yaml", 78, 7},              // Pet has none: Pet's value
		{p30, "/paths/~1pets/get/nothing/here", "petstore30.yaml", 9, 5},                                                                  // nearest ancestor
		{p31, "/components/schemas/Pet/properties/kind", "petstore31.json", 34, 11},
		{p31, "/webhooks/petAdopted/post", "petstore31.json", 21, 7},
		{v2, "/components/schemas/Line/properties/sku/pattern", "swagger20.yaml", 64, 9},
		{v2, "/paths/~1orders/post/requestBody/content/application~1json/schema", "swagger20.yaml", 35, 11},
		{v2, "/paths/~1orders/get/parameters/1/schema", "swagger20.yaml", 19, 11},
		{v2, "/components/schemas/Order/properties/lines/items/properties/order/properties/lines/items/properties/sku", "swagger20.yaml", 62, 7}, // round a cycle
		{v2, "/paths/~1orders/get/responses/200/content/application~1json/schema/items", "swagger20.yaml", 27, 13},
		{multi, "/paths/~1customers~1{id}/get/responses/200/content/application~1json/schema/properties/address/properties/city", "schemas.yaml", 15, 5},
		{multi, "/paths/~1customers~1{id}/get/parameters/0/name", "params.yaml", 2, 3},
	}
	for _, tt := range tests {
		file, line, col := tt.c.Position(tt.pointer)
		if filepath.Base(file) != tt.file || line != tt.line || col != tt.col {
			t.Errorf("%s %s: at %s:%d:%d, want %s:%d:%d", tt.c.Path, tt.pointer, file, line, col, tt.file, tt.line, tt.col)
		}
	}
	if l, c := (&OpenAPI{Doc: &openapi3.T{}}).Locate("/paths"); l != 0 || c != 0 {
		t.Errorf("a document built in code located at %d:%d", l, c)
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		servers openapi3.Servers
		want    string
	}{
		{nil, ""},
		{openapi3.Servers{{URL: "https://api.example.com/v1"}}, "/v1"},
		{openapi3.Servers{{URL: "https://api.example.com/v1/"}, {URL: "https://other/v9"}}, "/v1"},
		{openapi3.Servers{{URL: "https://api.example.com"}}, ""},
		{openapi3.Servers{{URL: "https://api.example.com/"}}, ""},
		{openapi3.Servers{{URL: "/api/v3"}}, "/api/v3"},
		{openapi3.Servers{{URL: "v2"}}, "/v2"},
		{openapi3.Servers{{URL: "https://{host}/{base}/x", Variables: map[string]*openapi3.ServerVariable{
			"host": {Default: "h.example.com"}, "base": {Default: "payments"}}}}, "/payments/x"},
	}
	for _, tt := range tests {
		c := &OpenAPI{Doc: &openapi3.T{Servers: tt.servers}}
		if got := c.BasePath(); got != tt.want {
			t.Errorf("servers %v: base path %q, want %q", tt.servers, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, title, want string }{
		{"contracts/accounting.openapi.yaml", "Ignored", "accounting"},
		{"shop.yaml", "", "shop"},
		{"vendor/Stripe API.swagger.json", "", "stripe-api"},
		{"openapi.yaml", "Acme CRM (v2)", "acme-crm-v2"},
		{"", "Payments", "payments"},
		{"swagger.json", "", "swagger"},
		{"", "", "api"},
	}
	for _, tt := range tests {
		c := &OpenAPI{Path: tt.path, Doc: &openapi3.T{Info: &openapi3.Info{Title: tt.title}}}
		if got := c.Name(); got != tt.want {
			t.Errorf("Name(%q, title %q) = %q, want %q", tt.path, tt.title, got, tt.want)
		}
	}
}

func TestParseOpenAPIStdinName(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "openapi", "petstore31.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseOpenAPI(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "petstore-3-1" {
		t.Errorf("name %q, want the title slug", c.Name())
	}
}
