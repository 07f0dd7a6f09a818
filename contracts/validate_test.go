package contracts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const validateDoc = `openapi: 3.0.3
info: {title: v, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: api_key}
    cookieKey: {type: apiKey, in: cookie, name: sid}
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: bearer}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {}}}}
paths:
  /items/{id}:
    post:
      security: [{key: []}, {basic: []}]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: when, in: query, required: true, schema: {type: string, format: date-time}}
        - {name: X-Ip, in: header, schema: {type: string, format: ipv4}}
        - {name: ids, in: query, style: form, explode: false, schema: {type: array, items: {type: integer}}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [email]
              properties:
                email: {type: string, format: email}
                code: {type: string, pattern: "^(?=x)x$"}
      responses:
        '200':
          description: ok
          headers:
            X-Rate: {schema: {type: integer}}
          content:
            application/json:
              schema: {type: object, required: [ok], properties: {ok: {type: boolean}}}
`

func validateFixture(t *testing.T) (*Validator, Route) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(validateDoc))
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value("/items/{id}")
	return NewValidator(doc), Route{Path: "/items/{id}", Method: "POST", PathItem: item, Operation: item.Post}
}

func TestValidateRequestListsEveryViolation(t *testing.T) {
	t.Parallel()
	v, rt := validateFixture(t)
	tests := []struct {
		name   string
		id     string
		query  string
		header map[string]string
		body   string
		want   []string // "in name pointer" of each violation, in order
	}{
		{name: "valid", id: "8c5d5bd4-6a52-4c5e-9d2d-2e4d1a1b2c3d", query: "when=2024-01-02T03:04:05Z&api_key=k&ids=1,2", body: `{"email":"a@b.co","code":"x"}`},
		{name: "basic instead of key", id: "8c5d5bd4-6a52-4c5e-9d2d-2e4d1a1b2c3d", query: "when=2024-01-02T03:04:05Z", header: map[string]string{"Authorization": "Basic dTpw"}, body: `{"email":"a@b.co"}`},
		{name: "everything wrong", id: "nope", query: "ids=1,x", header: map[string]string{"X-Ip": "::1", "Authorization": "Basic"}, body: `{"email":"no-at-sign"}`,
			want: []string{"security key | basic ", "path id ", "query when ", "query ids ", "header X-Ip ", "body  /email"}},
		{name: "no body", id: "8c5d5bd4-6a52-4c5e-9d2d-2e4d1a1b2c3d", query: "when=2024-01-02T03:04:05Z&api_key=k", want: []string{"body  "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/items/"+tt.id+"?"+tt.query, nil)
			req.Header.Set("Content-Type", "application/json")
			for k, val := range tt.header {
				req.Header.Set(k, val)
			}
			r := rt
			r.PathParams = map[string]string{"id": tt.id}
			vs := v.ValidateRequest(context.Background(), req, []byte(tt.body), r)
			var got []string
			for _, x := range vs {
				if x.Message == "" {
					t.Errorf("violation without a message: %+v", x)
				}
				got = append(got, x.In+" "+x.Name+" "+x.Pointer)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n%s\nwant:\n%s\n(%v)", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), vs)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	v, rt := validateFixture(t)
	req := httptest.NewRequest("POST", "/items/x", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	if vs := v.ValidateResponse(context.Background(), req, rt, 200, h, []byte(`{"ok":true}`)); len(vs) != 0 {
		t.Fatalf("a valid answer was refused: %v", vs)
	}
	bad := http.Header{"Content-Type": {"application/json"}, "X-Rate": {"many"}}
	vs := v.ValidateResponse(context.Background(), req, rt, 200, bad, []byte(`{"ok":"yes"}`))
	if len(vs) == 0 {
		t.Fatal("an answer with a bad header and body passed")
	}
	if vs := v.ValidateResponse(context.Background(), req, rt, 201, h, []byte(`{"ok":true}`)); len(vs) != 1 || vs[0].In != InStatus {
		t.Fatalf("an undeclared status: %v", vs)
	}
}

func TestMissingCredential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scheme  openapi3.SecurityScheme
		header  map[string]string
		query   string
		missing bool
	}{
		{openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "X-Key"}, map[string]string{"X-Key": "k"}, "", false},
		{openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "X-Key"}, nil, "X-Key=k", true},
		{openapi3.SecurityScheme{Type: "apiKey", In: "query", Name: "key"}, nil, "key=k", false},
		{openapi3.SecurityScheme{Type: "apiKey", In: "query", Name: "key"}, nil, "key=", true},
		{openapi3.SecurityScheme{Type: "apiKey", In: "cookie", Name: "sid"}, map[string]string{"Cookie": "sid=abc"}, "", false},
		{openapi3.SecurityScheme{Type: "apiKey", In: "cookie", Name: "sid"}, map[string]string{"Cookie": "other=abc"}, "", true},
		{openapi3.SecurityScheme{Type: "http", Scheme: "basic"}, map[string]string{"Authorization": "Basic dTpw"}, "", false},
		{openapi3.SecurityScheme{Type: "http", Scheme: "basic"}, map[string]string{"Authorization": "Bearer t"}, "", true},
		{openapi3.SecurityScheme{Type: "http", Scheme: "Bearer"}, map[string]string{"Authorization": "bearer t"}, "", false},
		{openapi3.SecurityScheme{Type: "http", Scheme: "bearer"}, map[string]string{"Authorization": "Bearer "}, "", true},
		{openapi3.SecurityScheme{Type: "oauth2"}, map[string]string{"Authorization": "Bearer t"}, "", false},
		{openapi3.SecurityScheme{Type: "openIdConnect"}, nil, "", true},
		{openapi3.SecurityScheme{Type: "http", Scheme: "digest"}, map[string]string{"Authorization": "Digest x=1"}, "", false},
		{openapi3.SecurityScheme{Type: "mutualTLS"}, nil, "", false},
	}
	for i, tt := range tests {
		req := httptest.NewRequest("GET", "/?"+tt.query, nil)
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		s := tt.scheme
		if got := MissingCredential(req, &s) != ""; got != tt.missing {
			t.Errorf("case %d (%+v): missing = %v, want %v", i, tt.scheme, got, tt.missing)
		}
	}
}

// A violation's pointer escapes "~" and "/" in property names (RFC 6901), as
// every other pointer contracts builds; a valid value has no violation.
func TestValidateValuePointerEscapes(t *testing.T) {
	t.Parallel()
	schema := openapi3.NewObjectSchema().WithProperty("a/b~c",
		openapi3.NewObjectSchema().WithProperty("n", openapi3.NewIntegerSchema()))
	v := NewValidator(nil)
	got := v.ValidateValue(schema, map[string]any{"a/b~c": map[string]any{"n": "x"}}, true)
	if len(got) != 1 || got[0].Pointer != "/a~1b~0c/n" {
		t.Errorf("violations %v; want one at /a~1b~0c/n", got)
	}
	if got := v.ValidateValue(schema, map[string]any{"a/b~c": map[string]any{"n": 1.0}}, true); len(got) != 0 {
		t.Errorf("a valid value: %v", got)
	}
}
