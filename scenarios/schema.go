package scenarios

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/firedrill/firedrill/mocks"
)

// SchemaID is where editors find the scenario schema.
const SchemaID = "https://firedrill.dev/schemas/scenario.schema.json"

// Schema is the JSON Schema of the scenario format, generated from the Go
// types (with their doc comments) and shipped as scenario.schema.json, so
// editors complete and check scenario files: put
// "# yaml-language-server: $schema=<path to scenario.schema.json>" on top.
//
//go:embed scenario.schema.json
var Schema []byte

// generateSchema reflects the scenario types into a JSON Schema. comments
// reads the doc comments of the package source (only where the source is).
func generateSchema(comments func(*jsonschema.Reflector) error) ([]byte, error) {
	r := &jsonschema.Reflector{RequiredFromJSONSchemaTags: true, Namer: schemaName}
	if comments != nil {
		if err := comments(r); err != nil {
			return nil, fmt.Errorf("scenarios: read doc comments: %w", err)
		}
	}
	s := r.Reflect(&Scenario{})
	s.ID = SchemaID
	s.Title = "firedrill scenario"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("scenarios: schema: %w", err)
	}
	return append(out, '\n'), nil
}

// JSONSchemaExtend lets a fault carry its toxic's or mock fault's
// parameters beside the known fields, and documents the mock faults' kinds
// and parameters from their catalogue.
//
// An entry is a fault (it needs for) or a data event (insert or update,
// which take no for): exactly one of the three.
func (Fault) JSONSchemaExtend(s *jsonschema.Schema) {
	mocks.ExtendFaultSchema(s)
	s.AdditionalProperties = &jsonschema.Schema{
		OneOf:       []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}},
		Description: "a parameter of the toxic or fault, e.g. latency: 800ms",
	}
	s.Required = slices.DeleteFunc(s.Required, func(f string) bool { return f == "for" })
	s.OneOf = []*jsonschema.Schema{
		{Required: []string{"for"}, Description: "a toxic or mock fault, on for a while"},
		{Required: []string{"insert"}, Description: "a data event: records inserted at one second"},
		{Required: []string{"update"}, Description: "a data event: a record updated at one second"},
	}
}

// schemaName names a type's definition: the mock declaration's types are
// prefixed with Mock, so mocks.Fault and the timeline's Fault stay two.
func schemaName(t reflect.Type) string {
	if strings.HasSuffix(t.PkgPath(), "/mocks") {
		return "Mock" + t.Name()
	}
	return t.Name()
}
