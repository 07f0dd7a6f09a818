package reqgen

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
)

// TestBuildSkipsExamplesThatBreakTheirSchema: a body property whose example
// breaks its own format (Xero's "5gj1e5cc-..." in a uuid) gets a generated
// value, so the request validates; a valid example is kept.
func TestBuildSkipsExamplesThatBreakTheirSchema(t *testing.T) {
	t.Parallel()
	const doc = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/projects":{"post":{
		"operationId":"createProject",
		"requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object",
			"required":["contactId","name"],
			"properties":{
				"contactId":{"type":"string","format":"uuid","example":"5gj1e5cc-ab12-4f0e-b0ef-4dd6a5a7b1f1"},
				"name":{"type":"string","example":"New Kitchen"}}}}}},
		"responses":{"201":{"description":"created"}}}}}}`
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ops := Ops(d)
	if len(ops) != 1 {
		t.Fatalf("%d operations, want 1", len(ops))
	}
	v := contracts.NewValidator(d)
	for seed := range int64(5) {
		req, err := Build(d, "http://127.0.0.1", ops[0], seed)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if got["contactId"] == "5gj1e5cc-ab12-4f0e-b0ef-4dd6a5a7b1f1" {
			t.Errorf("seed %d: the invalid example was sent: %s", seed, body)
		}
		if got["name"] != "New Kitchen" {
			t.Errorf("seed %d: the valid example was not kept: %s", seed, body)
		}
		rt := contracts.Route{Path: ops[0].Template, Method: ops[0].Method, PathItem: ops[0].PathItem, Operation: ops[0].Operation}
		if vs := v.ValidateRequest(context.Background(), req, body, rt); len(vs) > 0 {
			t.Errorf("seed %d: request %s breaks the contract: %v", seed, body, vs)
		}
	}
}

// TestBuildWithCredentials: each kind of security scheme carries the
// credential the Credential gives, where the scheme says; a scheme without
// one sends nothing, not a test value.
func TestBuildWithCredentials(t *testing.T) {
	t.Parallel()
	const doc = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},
		"components":{"securitySchemes":{
			"hkey":{"type":"apiKey","in":"header","name":"X-Api-Key"},
			"qkey":{"type":"apiKey","in":"query","name":"api_key"},
			"basic":{"type":"http","scheme":"basic"},
			"bearer":{"type":"http","scheme":"bearer"},
			"none":{"type":"apiKey","in":"header","name":"X-Other"}}},
		"paths":{
			"/a":{"get":{"security":[{"hkey":[],"qkey":[],"none":[]}],"responses":{"200":{"description":"ok"}}}},
			"/b":{"get":{"security":[{"basic":[]}],"responses":{"200":{"description":"ok"}}}},
			"/c":{"get":{"security":[{"bearer":[]}],"responses":{"200":{"description":"ok"}}}}}}`
	d, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cred := func(name string, _ *openapi3.SecurityScheme) (string, bool) {
		v := map[string]string{"hkey": "h-secret", "qkey": "q-secret", "basic": "ann:pw", "bearer": "tok"}[name]
		return v, v != ""
	}
	ops := Ops(d)
	want := []struct{ header, value, query string }{
		{"X-Api-Key", "h-secret", "api_key=q-secret"},
		{"Authorization", "Basic YW5uOnB3", ""},
		{"Authorization", "Bearer tok", ""},
	}
	for i, op := range ops {
		req, err := BuildWith(d, "http://127.0.0.1", op, 1, cred)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get(want[i].header); got != want[i].value {
			t.Errorf("%s: %s = %q, want %q", op.Name(), want[i].header, got, want[i].value)
		}
		if req.URL.RawQuery != want[i].query {
			t.Errorf("%s: query %q, want %q", op.Name(), req.URL.RawQuery, want[i].query)
		}
		if req.Header.Get("X-Other") != "" {
			t.Errorf("%s: a scheme without a credential sent X-Other: %q", op.Name(), req.Header.Get("X-Other"))
		}
	}
}
