package contracts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// FuzzSample feeds small schema documents to Sample: it must never panic,
// never hang and always return something json.Marshal accepts. Seeds come
// from testdata/sample/*.json and the table below.
func FuzzSample(f *testing.F) {
	for _, s := range []string{
		`{"type":"string","pattern":"^[a-z]{3,5}$","maxLength":4}`,
		`{"type":"integer","minimum":-1e308,"maximum":1e308,"multipleOf":3}`,
		`{"type":"number","exclusiveMinimum":1,"exclusiveMaximum":1}`,
		`{"type":"array","uniqueItems":true,"minItems":5,"items":{"type":"boolean"}}`,
		`{"oneOf":[{"type":"integer"},{"type":"integer"}]}`,
		`{"allOf":[{"type":"string"},{"type":"integer"}]}`,
		`{"type":"object","minProperties":3,"maxProperties":1,"additionalProperties":false}`,
		`{"type":"string","pattern":"(?=x)","format":"uuid","minLength":100}`,
		`{"type":["null"]}`,
		`{"enum":[null]}`,
		`{"type":"integer","multipleOf":0.3,"maximum":1}`,
		`{"type":"string","format":"date-time","maxLength":3}`,
		samplePetStore,
	} {
		f.Add([]byte(s), int64(1), false)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "sample", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, int64(7), true)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, seed int64, request bool) {
		if len(data) > 4096 {
			return
		}
		dir := Response
		if request {
			dir = Request
		}
		for _, s := range sampleFuzzSchemas(data) {
			v := Sample(s, SampleOptions{Seed: seed, Direction: dir, MaxDepth: 3})
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("sample %#v does not marshal: %v", v, err)
			}
		}
	})
}

// sampleFuzzSchemas reads data as a document's component schemas or as a single
// schema; kin-openapi's own failures on odd input are not Sample's concern.
func sampleFuzzSchemas(data []byte) (out []*openapi3.Schema) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	if doc, err := openapi3.NewLoader().LoadFromData(data); err == nil && doc.Components != nil {
		for _, name := range sortedSchemaNames(doc.Components.Schemas) {
			if ref := doc.Components.Schemas[name]; ref != nil && ref.Value != nil {
				out = append(out, ref.Value)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	var s openapi3.Schema
	if err := json.Unmarshal(data, &s); err == nil {
		out = append(out, &s)
	}
	return out
}
