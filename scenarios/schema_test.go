package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
	"github.com/invopop/jsonschema"
	jsv "github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files")

func withComments(r *jsonschema.Reflector) error {
	if err := r.AddGoComments("github.com/firedrill/firedrill/scenarios", "."); err != nil {
		return err
	}
	// The mock declaration's fields are documented where they are declared.
	return r.AddGoComments("github.com/firedrill/firedrill/mocks", "../mocks")
}

// TestSchemaIsCurrent fails when the shipped scenario.schema.json no longer
// matches the Go types; run go test ./scenarios -run Schema -update.
func TestSchemaIsCurrent(t *testing.T) {
	got, err := generateSchema(withComments)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("scenario.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Schema) {
		t.Fatal("scenario.schema.json is stale: run go test ./scenarios -run TestSchemaIsCurrent -update")
	}
}

// TestSchemaDescribesGoodScenario checks the schema's shape against the
// good scenario: every key the file uses is a property the schema knows.
func TestSchemaDescribesGoodScenario(t *testing.T) {
	t.Parallel()
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatalf("scenario.schema.json is not JSON: %v", err)
	}
	defs := schema["$defs"].(map[string]any)
	scenario := defs["Scenario"].(map[string]any)
	if scenario["additionalProperties"] != false {
		t.Error("the schema must refuse unknown top-level fields, like the parser")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	props := scenario["properties"].(map[string]any)
	for key := range doc {
		if _, ok := props[key]; !ok {
			t.Errorf("top-level key %q of good.yaml is not in the schema", key)
		}
	}
	for _, req := range scenario["required"].([]any) {
		if _, ok := doc[req.(string)]; !ok {
			t.Errorf("schema requires %q, which good.yaml lacks", req)
		}
	}
	fault := defs["Fault"].(map[string]any)
	if _, ok := fault["additionalProperties"].(map[string]any); !ok {
		t.Error("a fault must accept its parameters as additional properties")
	}
}

// TestSchemaValidatesFiles runs a real JSON Schema validator, as an editor
// would: the good scenario passes; a typo and a wrong type fail.
func TestSchemaValidatesFiles(t *testing.T) {
	t.Parallel()
	var schemaDoc any
	if err := json.Unmarshal(Schema, &schemaDoc); err != nil {
		t.Fatal(err)
	}
	c := jsv.NewCompiler()
	if err := c.AddResource(SchemaID, schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the shipped schema does not compile: %v", err)
	}
	asJSON := func(file string) any {
		t.Helper()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(doc)
		out, err := jsv.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Every scenario firedrill runs passes the schema an editor checks.
	good, _ := filepath.Glob(filepath.Join("..", "examples", "*", "scenarios", "*.yaml"))
	e2e, _ := filepath.Glob(filepath.Join("testdata", "e2e", "*.yaml"))
	for _, f := range append(append([]string{filepath.Join("testdata", "good.yaml")}, good...), e2e...) {
		if err := sch.Validate(asJSON(f)); err != nil {
			t.Errorf("%s fails the schema: %v", f, err)
		}
	}
	if len(good) == 0 || len(e2e) == 0 {
		t.Error("no example or e2e scenario found to check against the schema")
	}
	for _, bad := range []string{"unknown_field.yaml", "wrong_type_bool.yaml", "wrong_type_list.yaml", "bad_rate.yaml", "bad_expect.yaml", "mock_forms.yaml", "field_compare.yaml", "bad_mock_fault.yaml", "mock_fault_param.yaml", "chaos_fault_value.yaml", "data_events.yaml"} {
		if err := sch.Validate(asJSON(filepath.Join("testdata", "bad", bad))); err == nil {
			t.Errorf("%s passes the schema; an editor would not flag it", bad)
		}
	}
}

// TestSchemaRateLimitAgreesWithTheParser: every rate limit firedrill takes
// passes the editor's pattern, so an editor never flags a working scenario;
// and what the pattern lets through that the parser refuses is caught by
// firedrill validate.
func TestSchemaRateLimitAgreesWithTheParser(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(mocks.RateLimitPattern)
	for _, s := range []string{
		"100/s", "0.5/s", "20/s,burst=5", "5000/h", "3/500ms", " 10 / m , burst = 2 ",
		"5000/h,limit-header=X-HubSpot-RateLimit-Max,reset=epoch",
		"20/s,remaining-header=-,reset-header=-", "50/s,burst=1000,by=cost", "20/s,by=requests",
	} {
		if _, err := mocks.ParseRateLimit(s); err != nil {
			t.Errorf("%q: the parser refuses it: %v", s, err)
			continue
		}
		if !re.MatchString(s) {
			t.Errorf("%q: firedrill takes it, the schema's pattern flags it", s)
		}
	}
	for _, s := range []string{"fast", "20", "20/s,colour=red", "20/s,burst="} {
		if re.MatchString(s) {
			t.Errorf("%q passes the schema's pattern", s)
		}
	}
}

// TestSchemaDocumentsEveryMockFault: both places a mock fault is written (a
// mock's faults: and a timeline event) list every kind of the catalogue,
// and for each kind every parameter it takes, with its doc, and no other.
func TestSchemaDocumentsEveryMockFault(t *testing.T) {
	t.Parallel()
	var schema struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
			AllOf []struct {
				If struct {
					Properties struct {
						Fault struct {
							Const string `json:"const"`
						} `json:"fault"`
					} `json:"properties"`
				} `json:"if"`
				Then struct {
					Properties map[string]struct {
						Description string `json:"description"`
					} `json:"properties"`
				} `json:"then"`
			} `json:"allOf"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{"Fault", "MockFault"} {
		d := schema.Defs[def]
		if got, want := d.Properties["fault"].Enum, toolkit.FaultKinds(); !slices.Equal(got, want) {
			t.Errorf("%s.fault lists %v, the catalogue %v", def, got, want)
		}
		byKind := map[string]map[string]string{}
		for _, a := range d.AllOf {
			docs := map[string]string{}
			for name, p := range a.Then.Properties {
				docs[name] = p.Description
			}
			byKind[a.If.Properties.Fault.Const] = docs
		}
		for _, k := range toolkit.FaultCatalogue() {
			docs, ok := byKind[k.Kind]
			if !ok {
				t.Errorf("%s: fault %s has no parameters in the schema", def, k.Kind)
				continue
			}
			params := append(toolkit.FaultCommonParams(), k.Params...)
			for _, p := range params {
				if !strings.Contains(docs[p.Name], p.Doc) {
					t.Errorf("%s: fault %s: parameter %s is missing or undocumented: %q", def, k.Kind, p.Name, docs[p.Name])
				}
			}
			if len(docs) != len(params) {
				t.Errorf("%s: fault %s: the schema has %d parameters, the catalogue %d", def, k.Kind, len(docs), len(params))
			}
		}
		if len(byKind) != len(toolkit.FaultKinds()) {
			t.Errorf("%s: %d kinds described, the catalogue has %d", def, len(byKind), len(toolkit.FaultKinds()))
		}
	}
}
