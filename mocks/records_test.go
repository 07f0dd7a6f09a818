package mocks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// helpdeskContract is a help desk whose tickets have a priority from a
// list: the records a mock is seeded with are checked against it.
const helpdeskContract = `openapi: 3.0.3
info: {title: helpdesk, version: "1"}
paths:
  /tickets:
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Ticket"}}}}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}}
  /tickets/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}}
components:
  schemas:
    Ticket:
      type: object
      required: [subject]
      properties:
        id: {type: string, readOnly: true}
        subject: {type: string}
        priority: {type: string, enum: [low, high]}
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func helpdesk(t *testing.T, dir string) Contract {
	t.Helper()
	c, err := LoadContract(context.Background(), writeFile(t, dir, "helpdesk.openapi.yaml", helpdeskContract))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRecordsRoundTrip: records written inline or as a file read back, in
// YAML and JSON, as what they were.
func TestRecordsRoundTrip(t *testing.T) {
	t.Parallel()
	const text = "stateful: true\nrecords:\n    customers:\n        - email: ada@example.com\n          id: c-1\n          vip: true\n    tickets: seeds/tickets.ndjson\n"
	var s Spec
	if err := yaml.Unmarshal([]byte(text), &s); err != nil {
		t.Fatal(err)
	}
	if s.Records["tickets"].File != "seeds/tickets.ndjson" || s.Records["customers"].Items[0]["vip"] != true {
		t.Fatalf("read %+v", s.Records)
	}
	if out, _ := yaml.Marshal(s); string(out) != text {
		t.Errorf("YAML writes\n%s\nwant\n%s", out, text)
	}
	j, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if out, _ := yaml.Marshal(back); string(out) != text {
		t.Errorf("JSON %s reads back as\n%s", j, out)
	}
	for _, bad := range []string{"records: {t: 3}", "records: {t: [1]}", "records: {t: {a: 1}}"} {
		var s Spec
		if err := yaml.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s: read without an error", bad)
		}
	}
}

// TestRecordsNeedState: Check refuses records without stateful: true, and
// a file of an unknown format.
func TestRecordsNeedState(t *testing.T) {
	t.Parallel()
	s := Spec{Records: map[string]Records{"tickets": {File: "t.csv"}}}
	var got []string
	for _, e := range s.Check(KindOpenAPI) {
		got = append(got, e.Error())
	}
	if len(got) != 2 || !strings.Contains(got[0], "add stateful: true") || !strings.Contains(got[1], `"t.csv": want one of .json`) {
		t.Errorf("problems %q", got)
	}
}

// TestSeedFromEveryFormat: records from inline lists and from JSON, YAML
// and NDJSON files are in the mock before it serves, ids assigned as a
// create assigns them.
func TestSeedFromEveryFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := helpdesk(t, dir)
	for _, tc := range []struct{ name, text string }{
		{"t.json", `[{"id": "t-1", "subject": "a"}, {"subject": "b"}]`},
		{"t.yaml", "- {id: t-1, subject: a}\n- subject: b\n"},
		{"t.ndjson", "{\"id\": \"t-1\", \"subject\": \"a\"}\n\n{\"subject\": \"b\"}\n"},
		{"inline", ""},
	} {
		r := Records{Items: []map[string]any{{"id": "t-1", "subject": "a"}, {"subject": "b"}}}
		if tc.text != "" {
			r = Records{File: writeFile(t, dir, tc.name, tc.text)}
		}
		v, err := New(c, Spec{Stateful: true, Records: map[string]Records{"tickets": r}}, Settings{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		recs, _ := v.Store.Snapshot("tickets")
		v.Close()
		if len(recs) != 2 || recs[0]["id"] != "t-1" || recs[1]["id"] == nil || recs[1]["subject"] != "b" {
			t.Errorf("%s: the mock holds %v", tc.name, recs)
		}
	}
}

// TestSeedProblems: every problem of the records is named with its
// collection, record, field, and file and line.
func TestSeedProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := helpdesk(t, dir)
	ndjson := writeFile(t, dir, "t.ndjson", "{\"subject\": \"a\"}\n{\"subject\": \"b\", \"priority\": \"urgent\"}\n")
	dup := writeFile(t, dir, "d.json", "[\n  {\"id\": \"x\", \"subject\": \"a\"},\n  {\"id\": \"x\", \"subject\": \"b\"}\n]\n")
	for _, tc := range []struct {
		records map[string]Records
		want    string
	}{
		{map[string]Records{"tikets": {}}, `records.tikets: the mock has no collection "tikets" (the collections are the resources of its paths: tickets); did you mean "tickets"?`},
		{map[string]Records{"tickets": {File: ndjson}}, "records.tickets[1].priority (" + ndjson + ":2): value is not one of the allowed values"},
		{map[string]Records{"tickets": {File: dup}}, "records.tickets[1].id (" + dup + ":3): id \"x\" is also record 0's: already exists"},
		{map[string]Records{"tickets": {File: filepath.Join(dir, "none.json")}}, "records.tickets: records file: open"},
		{map[string]Records{"tickets": {Items: []map[string]any{{"priority": "low"}}}}, `records.tickets[0].subject: property "subject" is missing`},
	} {
		got := CheckRecords(c, Spec{Stateful: true, Records: tc.records})
		if len(got) != 1 || !strings.Contains(got[0].Error(), tc.want) {
			t.Errorf("%v: got %v, want one problem %q", tc.records, got, tc.want)
		}
		if _, err := New(c, Spec{Stateful: true, Records: tc.records}, Settings{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: %v, want %q", err, tc.want)
		}
	}
}

// TestSeedGraphQL: a GraphQL mock's collections are types; its records
// are checked against the type's fields.
func TestSeedGraphQL(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	recs := Records{Items: []map[string]any{{"id": "c-1", "email": "ada@example.com"}, {"email": "bob@example.com"}}}
	v, err := New(c, Spec{Stateful: true, Records: map[string]Records{"Customer": recs}}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n := v.GraphQL.Store().Len("Customer"); n != 2 {
		t.Errorf("the mock holds %d customers, want 2", n)
	}
	got := CheckRecords(c, Spec{Stateful: true, Records: map[string]Records{"customer": recs, "Customer": {Items: []map[string]any{{"email": 1.0}}}}})
	if len(got) != 2 || !strings.Contains(got[0].Error(), `records.Customer[0].email: 1 is not a String`) || !strings.Contains(got[1].Error(), `did you mean "Customer"?`) {
		t.Errorf("problems %v", got)
	}
}
