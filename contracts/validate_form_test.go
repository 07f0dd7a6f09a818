package contracts

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeFormNestsAndCoerces(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`openapi: 3.0.3
info: {title: f, version: "1"}
paths: {}
components:
  schemas:
    Body:
      type: object
      properties:
        amount: {type: integer}
        capture: {type: boolean}
        rate: {type: number}
        metadata:
          anyOf:
            - {type: object, additionalProperties: {type: string}}
            - {type: string, enum: [""]}
        items:
          type: array
          items: {type: object, properties: {price: {type: string}, quantity: {type: integer}}}
        expand: {type: array, items: {type: string}}
        Tags: {type: array, items: {type: string}}
        card:
          type: object
          properties: {exp_month: {type: integer}}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas["Body"].Value
	tests := []struct {
		body string
		want any
	}{
		{"amount=100&capture=true&rate=1.5", map[string]any{"amount": 100.0, "capture": true, "rate": 1.5}},
		{"metadata[order]=42&card[exp_month]=12", map[string]any{"metadata": map[string]any{"order": "42"}, "card": map[string]any{"exp_month": 12.0}}},
		{"metadata=", map[string]any{"metadata": ""}},
		{"items[1][price]=p2&items[0][price]=p1&items[0][quantity]=3", map[string]any{"items": []any{map[string]any{"price": "p1", "quantity": 3.0}, map[string]any{"price": "p2"}}}},
		{"expand[]=a&expand[]=b&Tags=x&Tags=y", map[string]any{"expand": []any{"a", "b"}, "Tags": []any{"x", "y"}}},
		{"amount=lots", map[string]any{"amount": "lots"}}, // left a string, for validation to refuse
	}
	for _, tt := range tests {
		got, err := DecodeForm(tt.body, s)
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DecodeForm(%q) (-want +got):\n%s", tt.body, diff)
		}
	}
	if err := s.VisitJSON(map[string]any{"amount": "lots"}); err == nil {
		t.Error("negative control: a string amount passed the schema")
	}
	if _, err := DecodeForm("%zz", s); err == nil {
		t.Error("a malformed form was decoded")
	}
}

func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{"a=1", "a[b][0][]=x", "a[=1", "a]=2&a[]=3&a=4", "%", "a[0]=1&a[x]=2", "=&=", "[]=1&[]=2"} {
		f.Add(s)
	}
	schema := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"a": {Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"integer"}}}}},
	}}
	f.Fuzz(func(t *testing.T, body string) {
		DecodeForm(body, schema)
	})
}
