package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

const key = "X-API-Key"

func TestRequestsAnsweredOrRefused(t *testing.T) {
	t.Parallel()
	m := newPetstore(t)
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		header     []string
		wantStatus int
		wantViol   []toolkit.Violation // for refusals: each must be found (In, and Name and Pointer when set)
		wantAllow  string
		fromSpec   bool // an answer the contract declares, not a refusal
	}{
		{name: "get by id", method: "GET", target: "/v1/pets/7", header: []string{key, "k"}, wantStatus: 200},
		{name: "literal beats parameter", method: "GET", target: "/v1/pets/latest", header: []string{key, "k"}, wantStatus: 200},
		{name: "list", method: "GET", target: "/v1/pets?limit=5&status=sold", header: []string{key, "k"}, wantStatus: 200},
		{name: "create", method: "POST", target: "/v1/pets", body: `{"name":"Rex","species":"dog"}`, header: []string{key, "k", "Content-Type", "application/json"}, wantStatus: 201},
		{name: "delete answers 204", method: "DELETE", target: "/v1/pets/3", header: []string{key, "k"}, wantStatus: 204},
		{name: "no api key", method: "GET", target: "/v1/pets/7", wantStatus: 401, wantViol: []toolkit.Violation{{In: "security", Name: "apiKey"}}},
		{name: "path parameter not an integer", method: "GET", target: "/v1/pets/abc", header: []string{key, "k"}, wantStatus: 400, wantViol: []toolkit.Violation{{In: "path", Name: "petId"}}},
		{name: "every query violation", method: "GET", target: "/v1/pets?limit=0&offset=-1&status=lost", header: []string{key, "k"}, wantStatus: 400,
			wantViol: []toolkit.Violation{{In: "query", Name: "limit"}, {In: "query", Name: "offset"}, {In: "query", Name: "status"}}},
		{name: "every body violation with its pointer", method: "POST", target: "/v1/pets", body: `{"species":"lion","tags":[1],"colour":"red"}`, header: []string{key, "k", "Content-Type", "application/json"}, wantStatus: 400,
			wantViol: []toolkit.Violation{{In: "body", Pointer: "/name"}, {In: "body", Pointer: "/species"}, {In: "body", Pointer: "/tags/0"}, {In: "body", Pointer: "/colour"}}},
		{name: "missing required body", method: "POST", target: "/v1/pets", header: []string{key, "k", "Content-Type", "application/json"}, wantStatus: 400, wantViol: []toolkit.Violation{{In: "body"}}},
		{name: "security and body together", method: "POST", target: "/v1/pets", body: `{}`, header: []string{"Content-Type", "application/json"}, wantStatus: 401,
			wantViol: []toolkit.Violation{{In: "security", Name: "apiKey"}, {In: "body", Pointer: "/name"}, {In: "body", Pointer: "/species"}}},
		{name: "undeclared content type", method: "POST", target: "/v1/pets", body: `name=Rex`, header: []string{key, "k", "Content-Type", "application/x-www-form-urlencoded"}, wantStatus: 415, wantViol: []toolkit.Violation{{In: "header", Name: "Content-Type"}}},
		{name: "malformed JSON", method: "POST", target: "/v1/pets", body: `{"name":`, header: []string{key, "k", "Content-Type", "application/json"}, wantStatus: 400, wantViol: []toolkit.Violation{{In: "body"}}},
		{name: "unknown path", method: "GET", target: "/v1/owners", header: []string{key, "k"}, wantStatus: 404, wantViol: []toolkit.Violation{{In: "route"}}},
		{name: "outside the base path", method: "GET", target: "/pets/7", header: []string{key, "k"}, wantStatus: 404, wantViol: []toolkit.Violation{{In: "route"}}},
		{name: "wrong method", method: "PUT", target: "/v1/pets", header: []string{key, "k"}, wantStatus: 405, wantAllow: "GET, POST", wantViol: []toolkit.Violation{{In: "method", Name: "PUT"}}},
		{name: "prefer a declared code", method: "GET", target: "/v1/pets/7", header: []string{key, "k", "Prefer", "code=404"}, wantStatus: 404, fromSpec: true},
		{name: "prefer an undeclared code", method: "GET", target: "/v1/pets/7", header: []string{key, "k", "Prefer", "code=418"}, wantStatus: 400, wantViol: []toolkit.Violation{{In: "header", Name: "Prefer"}}},
		{name: "prefer an unknown example", method: "GET", target: "/v1/pets/7", header: []string{key, "k", "Prefer", "example=nemo"}, wantStatus: 400, wantViol: []toolkit.Violation{{In: "header", Name: "Prefer"}}},
		{name: "accept nothing it answers", method: "GET", target: "/v1/pets/7", header: []string{key, "k", "Accept", "application/xml"}, wantStatus: 406, wantViol: []toolkit.Violation{{In: "header", Name: "Accept"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := call(t, m, tt.method, tt.target, tt.body, tt.header...)
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantAllow != "" && resp.Header.Get("Allow") != tt.wantAllow {
				t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), tt.wantAllow)
			}
			if resp.StatusCode < 400 || tt.fromSpec {
				return
			}
			p := decodeProblem(t, resp)
			if p.Status != tt.wantStatus {
				t.Errorf("problem status %d, want %d", p.Status, tt.wantStatus)
			}
			if len(p.Violations) != len(tt.wantViol) {
				t.Fatalf("%d violations, want %d: %+v", len(p.Violations), len(tt.wantViol), p.Violations)
			}
			for _, want := range tt.wantViol {
				found := false
				for _, got := range p.Violations {
					if got.In == want.In && (want.Name == "" || got.Name == want.Name) && (want.Pointer == "" || got.Pointer == want.Pointer) && got.Message != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("no violation like %+v with a message among %+v", want, p.Violations)
				}
			}
		})
	}
}

func TestUnauthorizedNamesTheChallenge(t *testing.T) {
	t.Parallel()
	resp := call(t, newPetstore(t), "GET", "/v1/pets/7", "")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `name="X-API-Key"`) {
		t.Fatalf("WWW-Authenticate %q does not name the API key", got)
	}
}

func TestPreferExampleAndDefaultExample(t *testing.T) {
	t.Parallel()
	m := newPetstore(t)
	var pet map[string]any
	resp := call(t, m, "GET", "/v1/pets/2", "", key, "k", "Prefer", "example=whiskers")
	if err := json.Unmarshal(readBody(t, resp), &pet); err != nil || pet["name"] != "Whiskers" {
		t.Fatalf("Prefer example=whiskers answered %v (%v)", pet, err)
	}
	resp = call(t, m, "GET", "/v1/pets/2", "", key, "k")
	if err := json.Unmarshal(readBody(t, resp), &pet); err != nil || pet["name"] != "Rex" {
		t.Fatalf("without Prefer the first example (rex) should answer, got %v (%v)", pet, err)
	}
}

func TestInvalidExampleFallsBackToGenerated(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "bad-example.yaml", []byte(`openapi: 3.0.3
info: {title: bad, version: "1"}
paths:
  /things/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [count]
                properties: {count: {type: integer}}
              example: {count: "twelve"}
`))
	m, err := NewHandler(c)
	if err != nil {
		t.Fatal(err)
	}
	resp := call(t, m, "GET", "/things/a", "")
	var got map[string]any
	if err := json.Unmarshal(readBody(t, resp), &got); err != nil {
		t.Fatal(err)
	}
	if _, isNum := got["count"].(float64); !isNum {
		t.Fatalf("the mock sent the example that breaks its schema: %v", got)
	}
}

// TestEveryOperationAnswersValidly calls every operation of the petstore
// with a request built from the contract and validates each answer with
// kin-openapi; a deliberately broken answer must fail the same check.
func TestEveryOperationAnswersValidly(t *testing.T) {
	t.Parallel()
	c := petstoreContract(t)
	m, err := NewHandler(c)
	if err != nil {
		t.Fatal(err)
	}
	v := contracts.NewValidator(c.Doc)
	for _, op := range reqgen.Ops(c.Doc) {
		req, err := reqgen.Build(c.Doc, "http://127.0.0.1"+m.BasePath(), op, 3)
		if err != nil {
			t.Fatal(err)
		}
		w := newRecorder()
		m.ServeHTTP(w, req)
		if w.code >= 300 {
			t.Errorf("%s: status %d: %s", op.Name(), w.code, w.body)
			continue
		}
		rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
		if vs := v.ValidateResponse(context.Background(), req, rt, w.code, w.header, w.body); len(vs) > 0 {
			t.Errorf("%s: answer breaks the contract: %v", op.Name(), vs)
		}
		if w.code == http.StatusOK && len(w.body) > 0 {
			// Negative control: the same check refuses a body of the wrong shape.
			if vs := v.ValidateResponse(context.Background(), req, rt, w.code, w.header, []byte(`{"id":"not a number"}`)); len(vs) == 0 {
				t.Errorf("%s: a broken answer passed validation", op.Name())
			}
		}
	}
}

func TestPanicIsA500AndJournaled(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStage(func(next toolkit.HandlerFunc) toolkit.HandlerFunc {
		return func(w http.ResponseWriter, x *toolkit.Exchange) {
			if x.Operation == "getPet" {
				panic("a bug")
			}
			next(w, x)
		}
	}))
	resp := call(t, m, "GET", "/v1/pets/1", "", key, "k")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	es := m.Journal().Entries(toolkit.Filter{Operation: "getPet"})
	if len(es) != 1 || !strings.Contains(es[0].Error, "a bug") || es[0].Status != 500 {
		t.Fatalf("journal %+v", es)
	}
	if resp := call(t, m, "GET", "/v1/pets/latest", "", key, "k"); resp.StatusCode != 200 {
		t.Fatalf("the mock did not survive the panic: %d", resp.StatusCode)
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	t.Parallel()
	c := petstoreContract(t)
	for _, o := range []Option{WithJournalSize(0), WithLogger(nil), WithName(""), WithAddr("0.0.0.0:80"), WithAddr("10.0.0.1:0"), WithAddr("nope"), WithMaxBody(0), WithStage(nil)} {
		if _, err := NewHandler(c, o); err == nil || !strings.HasPrefix(err.Error(), "mocks: ") {
			t.Errorf("option accepted or error unprefixed: %v", err)
		}
	}
	if _, err := NewHandler(nil); err == nil {
		t.Error("a nil contract was accepted")
	}
}

// recorder captures an answer in-process.
type testRecorder struct {
	header http.Header
	code   int
	body   []byte
}

func newRecorder() *testRecorder { return &testRecorder{header: http.Header{}} }

func (r *testRecorder) Header() http.Header { return r.header }
func (r *testRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	r.body = append(r.body, p...)
	return len(p), nil
}
func (r *testRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
