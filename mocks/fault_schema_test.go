package mocks

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/invopop/jsonschema"
	jsv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// faultSchema compiles the JSON Schema of a mock's faults: entry.
func faultSchema(t *testing.T) *jsv.Schema {
	t.Helper()
	r := &jsonschema.Reflector{RequiredFromJSONSchemaTags: true}
	b, err := json.Marshal(r.Reflect(&Fault{}))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsv.NewCompiler()
	if err := c.AddResource("fault.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("fault.json")
	if err != nil {
		t.Fatalf("the fault schema does not compile: %v", err)
	}
	return s
}

func asDoc(t *testing.T, v map[string]any) any {
	t.Helper()
	b, _ := json.Marshal(v)
	doc, err := jsv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestFaultSchemaAgreesWithTheCatalogue: a fault written with the
// documented examples (as YAML numbers or as text) passes the schema an
// editor checks, and firedrill takes it; a misspelt parameter, a value
// outside the range and an unknown kind are flagged by both.
func TestFaultSchemaAgreesWithTheCatalogue(t *testing.T) {
	t.Parallel()
	s := faultSchema(t)
	for _, k := range toolkit.FaultCatalogue() {
		typed, text := map[string]any{"fault": k.Kind}, map[string]any{"fault": k.Kind}
		for _, p := range append(toolkit.FaultCommonParams(), k.Params...) {
			typed[p.Name] = typedValue(p, p.Example)
			text[p.Name] = p.Example
		}
		for _, doc := range []map[string]any{typed, text} {
			if err := s.Validate(asDoc(t, doc)); err != nil {
				t.Errorf("%v fails the schema: %v", doc, err)
			}
			var f Fault
			b, _ := json.Marshal(doc)
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			if _, err := f.HTTPFault(); err != nil {
				t.Errorf("%v passes the schema, firedrill refuses it: %v", doc, err)
			}
		}
		bad := []map[string]any{{"fault": k.Kind, "colour": "red"}, {"fault": k.Kind, "rate": 2}}
		for _, p := range k.Params {
			switch {
			case len(p.Values) > 0:
				bad = append(bad, map[string]any{"fault": k.Kind, p.Name: "nonsense"})
			case p.Type == toolkit.FaultParamInteger:
				hi, _ := strconv.Atoi(p.Max)
				bad = append(bad, map[string]any{"fault": k.Kind, p.Name: hi + 1})
			case p.Type == toolkit.FaultParamDuration:
				bad = append(bad, map[string]any{"fault": k.Kind, p.Name: "soon"})
			}
		}
		for _, doc := range bad {
			if err := s.Validate(asDoc(t, doc)); err == nil {
				t.Errorf("%v passes the schema; an editor would not flag it", doc)
			}
		}
	}
	if err := s.Validate(asDoc(t, map[string]any{"fault": "explode"})); err == nil {
		t.Error("an unknown kind passes the schema")
	}
}

// TestFaultDurationPatternAgreesWithTheParser: every duration a fault takes
// passes the schema's pattern, and text that is no duration does not.
func TestFaultDurationPatternAgreesWithTheParser(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(durationPattern)
	for _, v := range []string{"2s", "1.5s", "200ms", "2", "1m30s", ".5s", "1.s", " 3s ", "0", "0s", "+2s", "1m", "150us", "3µs"} {
		if _, err := toolkit.NewHTTPFault(toolkit.FaultStatus, map[string]string{"retry_after": v}); err != nil {
			t.Errorf("%q: firedrill refuses it: %v", v, err)
		}
		if !re.MatchString(v) {
			t.Errorf("%q: firedrill takes it, the schema's pattern flags it", v)
		}
	}
	for _, v := range []string{"soon", "2 s", "1.5", "s", "2d"} {
		if re.MatchString(v) {
			t.Errorf("%q passes the schema's pattern", v)
		}
		if _, err := toolkit.NewHTTPFault(toolkit.FaultStatus, map[string]string{"retry_after": v}); err == nil {
			t.Errorf("%q: firedrill takes it, the pattern refuses it", v)
		}
	}
}
