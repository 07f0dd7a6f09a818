package graphql_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// The standard introspection query (graphql-js getIntrospectionQuery with
// every option on): what GraphiQL, Apollo and gqlgen's clients send.
func introspectionQuery(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   *string  `json:"name"`
	OfType *typeRef `json:"ofType"`
}

// String renders a reference the SDL way: [Order!]!.
func (r *typeRef) String() string {
	switch {
	case r == nil:
		return "<nil>"
	case r.Kind == "NON_NULL":
		return r.OfType.String() + "!"
	case r.Kind == "LIST":
		return "[" + r.OfType.String() + "]"
	case r.Name == nil:
		return "<unnamed>"
	}
	return *r.Name
}

type inputValue struct {
	Name         string   `json:"name"`
	Type         *typeRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
}

type fullType struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Fields []struct {
		Name         string       `json:"name"`
		Args         []inputValue `json:"args"`
		Type         *typeRef     `json:"type"`
		IsDeprecated bool         `json:"isDeprecated"`
	} `json:"fields"`
	InputFields   []inputValue            `json:"inputFields"`
	Interfaces    []typeRef               `json:"interfaces"`
	EnumValues    []struct{ Name string } `json:"enumValues"`
	PossibleTypes []typeRef               `json:"possibleTypes"`
}

type introspection struct {
	Schema struct {
		QueryType    struct{ Name string }  `json:"queryType"`
		MutationType *struct{ Name string } `json:"mutationType"`
		Types        []fullType             `json:"types"`
		Directives   []struct {
			Name      string       `json:"name"`
			Locations []string     `json:"locations"`
			Args      []inputValue `json:"args"`
		} `json:"directives"`
	} `json:"__schema"`
}

// checkIntrospection compares an introspection answer with the schema it
// describes and returns one error listing every difference.
func checkIntrospection(s *ast.Schema, data map[string]any) error {
	b, _ := json.Marshal(data)
	var in introspection
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("introspection answer does not decode: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if in.Schema.QueryType.Name != s.Query.Name {
		bad("queryType %q; want %q", in.Schema.QueryType.Name, s.Query.Name)
	}
	if (in.Schema.MutationType != nil) != (s.Mutation != nil) {
		bad("mutationType %v; schema has mutations: %v", in.Schema.MutationType, s.Mutation != nil)
	}
	got := map[string]fullType{}
	for _, t := range in.Schema.Types {
		got[t.Name] = t
	}
	if len(got) != len(s.Types) {
		bad("%d types; the schema has %d", len(got), len(s.Types))
	}
	for name, def := range s.Types {
		t, ok := got[name]
		if !ok {
			bad("type %s missing", name)
			continue
		}
		if t.Kind != string(def.Kind) {
			bad("type %s kind %s; want %s", name, t.Kind, def.Kind)
		}
		var want, have []string
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			sig := f.Name + ":" + f.Type.String()
			for _, a := range f.Arguments {
				sig += " " + a.Name + ":" + a.Type.String()
			}
			want = append(want, sig)
		}
		for _, f := range t.Fields {
			sig := f.Name + ":" + f.Type.String()
			for _, a := range f.Args {
				sig += " " + a.Name + ":" + a.Type.String()
			}
			have = append(have, sig)
		}
		for _, f := range t.InputFields {
			have = append(have, f.Name+":"+f.Type.String())
		}
		if def.Kind == ast.InputObject {
			want = want[:0]
			for _, f := range def.Fields {
				want = append(want, f.Name+":"+f.Type.String())
			}
		}
		if strings.Join(want, ", ") != strings.Join(have, ", ") {
			bad("type %s fields\n  got  %v\n  want %v", name, have, want)
		}
		var values []string
		for _, v := range t.EnumValues {
			values = append(values, v.Name)
		}
		var wantValues []string
		for _, v := range def.EnumValues {
			wantValues = append(wantValues, v.Name)
		}
		if strings.Join(values, ",") != strings.Join(wantValues, ",") {
			bad("enum %s values %v; want %v", name, values, wantValues)
		}
		if def.Kind == ast.Union && len(t.PossibleTypes) != len(def.Types) {
			bad("union %s has %d possible types; want %d", name, len(t.PossibleTypes), len(def.Types))
		}
		if def.Kind == ast.Object && len(t.Interfaces) != len(def.Interfaces) {
			bad("type %s implements %d interfaces; want %d", name, len(t.Interfaces), len(def.Interfaces))
		}
	}
	if len(in.Schema.Directives) != len(s.Directives) {
		bad("%d directives; the schema has %d", len(in.Schema.Directives), len(s.Directives))
	}
	return errors.Join(errs...)
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	c := shopSchema(t)
	r := do(t, newMock(t), introspectionQuery(t), nil).ok(t)
	if err := checkIntrospection(c.Schema, r.Data); err != nil {
		t.Fatal(err)
	}
	// Negative control: the check notices a field or a type gone astray.
	types := at(r.Data, "__schema", "types").([]any)
	for _, tt := range types {
		m := tt.(map[string]any)
		if m["name"] == "Customer" {
			m["fields"] = m["fields"].([]any)[1:]
		}
	}
	if err := checkIntrospection(c.Schema, r.Data); err == nil || !strings.Contains(err.Error(), "type Customer fields") {
		t.Errorf("a dropped field went unnoticed: %v", err)
	}
}

func TestIntrospectionType(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `{
	  customer: __type(name: "Customer") { kind name interfaces { name } fields { name type { kind ofType { name } } } }
	  status: __type(name: "Status") { kind enumValues { name } }
	  result: __type(name: "SearchResult") { kind possibleTypes { name } }
	  missing: __type(name: "Nope") { name }
	  __typename
	}`, nil).ok(t)
	if at(r.Data, "customer", "kind") != "OBJECT" || at(r.Data, "customer", "interfaces", 0, "name") != "Node" ||
		at(r.Data, "customer", "fields", 0, "name") != "id" || at(r.Data, "customer", "fields", 0, "type", "kind") != "NON_NULL" ||
		at(r.Data, "customer", "fields", 0, "type", "ofType", "name") != "ID" {
		t.Errorf("__type(Customer) = %v", r.Data["customer"])
	}
	if at(r.Data, "status", "kind") != "ENUM" || len(at(r.Data, "status", "enumValues").([]any)) != 3 {
		t.Errorf("__type(Status) = %v", r.Data["status"])
	}
	if at(r.Data, "result", "kind") != "UNION" || len(at(r.Data, "result", "possibleTypes").([]any)) != 2 {
		t.Errorf("__type(SearchResult) = %v", r.Data["result"])
	}
	if v, ok := r.Data["missing"]; !ok || v != nil {
		t.Errorf("__type(Nope) = %v; want null", v)
	}
	if r.Data["__typename"] != "Query" {
		t.Errorf("__typename = %v", r.Data["__typename"])
	}
}

func TestIntrospectionDeprecated(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `{
	  now: __type(name: "Customer") { fields { name } }
	  all: __type(name: "Customer") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } }
	  values: __type(name: "Status") { enumValues { name } }
	  allValues: __type(name: "Status") { enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } }
	}`, nil).ok(t)
	names := func(l any, key string) []string {
		var out []string
		for _, x := range l.([]any) {
			out = append(out, x.(map[string]any)[key].(string))
		}
		return out
	}
	now := names(at(r.Data, "now", "fields"), "name")
	all := at(r.Data, "all", "fields").([]any)
	if len(all) != len(now)+1 || strings.Contains(strings.Join(now, ","), "legacyId") {
		t.Errorf("deprecated field shown by default or missing with includeDeprecated: %v / %v", now, all)
	}
	last := all[len(all)-1].(map[string]any)
	if last["name"] != "legacyId" || last["isDeprecated"] != true || last["deprecationReason"] != "use id" {
		t.Errorf("legacyId = %v", last)
	}
	if v := names(at(r.Data, "values", "enumValues"), "name"); len(v) != 3 {
		t.Errorf("enum values by default: %v; want the 3 not deprecated", v)
	}
	allValues := at(r.Data, "allValues", "enumValues").([]any)
	if d := allValues[3].(map[string]any); len(allValues) != 4 || d["isDeprecated"] != true || d["deprecationReason"] != "No longer supported" {
		t.Errorf("deprecated enum value: %v", allValues)
	}
}
