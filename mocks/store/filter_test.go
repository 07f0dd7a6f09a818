package store_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// keep lists the ids of the records a list's filters keep for query, and
// what they ignored.
func keep(t *testing.T, c store.Collection, query string, recs map[string]store.Record) ([]string, []string) {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	where, ignored, err := c.List.Where(q)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var out []string
	for id, r := range recs {
		if where == nil || where(r) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, ignored
}

// TestWhereObjectFields: an object-valued filter (Stripe's relationship
// on persons, status_transitions on orders) selects by the field named in
// brackets, with bounds on a number or an instant; the object's name with
// a bare value, or a field it does not have, is ignored and reported.
func TestWhereObjectFields(t *testing.T) {
	t.Parallel()
	all := corpusCollections(t, "stripe__spec2.2020-04-23.json")
	persons := all["accounts.persons"]
	people := map[string]store.Record{
		"ann": {"id": "ann", "relationship": map[string]any{"owner": true, "director": false, "percent_ownership": 60.0}},
		"bob": {"id": "bob", "relationship": map[string]any{"owner": false, "director": true, "percent_ownership": 10.0}},
		"cy":  {"id": "cy"},
	}
	orders := all["orders"]
	paid := map[string]store.Record{
		"jan": {"id": "jan", "status_transitions": map[string]any{"paid": 1704067200.0}}, // 2024-01-01
		"mar": {"id": "mar", "status_transitions": map[string]any{"paid": 1709251200.0}}, // 2024-03-01
		"new": {"id": "new", "status_transitions": map[string]any{}},
	}
	tests := []struct {
		c       store.Collection
		recs    map[string]store.Record
		query   string
		want    []string
		ignored []string
	}{
		{persons, people, "relationship[owner]=true", []string{"ann"}, nil},
		{persons, people, "relationship[owner]=false", []string{"bob"}, nil},
		{persons, people, "relationship[director]=true&relationship[owner]=true", nil, nil},
		{persons, people, "relationship[percent_ownership][gte]=50", []string{"ann"}, nil},
		{persons, people, "relationship=owner", []string{"ann", "bob", "cy"}, []string{"relationship"}},
		{persons, people, "relationship[nobody]=true", []string{"ann", "bob", "cy"}, []string{"relationship[nobody]"}},
		{persons, people, "relationship[owner][gte]=true", []string{"ann", "bob", "cy"}, []string{"relationship[owner][gte]"}},
		{orders, paid, "status_transitions[paid][gte]=1706745600", []string{"mar"}, nil},
		{orders, paid, "status_transitions[paid][lt]=2024-02-01T00:00:00Z", []string{"jan"}, nil},
		{orders, paid, "status_transitions[paid]=1704067200", []string{"jan"}, nil},
	}
	for _, tt := range tests {
		got, ignored := keep(t, tt.c, tt.query, tt.recs)
		if !slices.Equal(got, tt.want) || !slices.Equal(ignored, tt.ignored) {
			t.Errorf("%s %s kept %v and ignored %v, want %v and %v", tt.c.Name, tt.query, got, ignored, tt.want, tt.ignored)
		}
	}
}

// TestWhereShownConstant: Stripe's contract lists a customer's sources as
// alipay_account only, while a source is stored as the payment_source it
// was created as (object "account"): object= compares the value the list
// shows, so the filter agrees with the answer.
func TestWhereShownConstant(t *testing.T) {
	t.Parallel()
	sources := corpusCollections(t, "stripe__spec2.2020-04-23.json")["customers.sources"]
	recs := map[string]store.Record{
		"a": {"id": "a", "object": "account"},
		"b": {"id": "b", "object": "account"},
	}
	for query, want := range map[string][]string{
		"object=alipay_account":             {"a", "b"},
		"object=account":                    nil,
		"object=card":                       nil,
		"object=card&object=alipay_account": {"a", "b"},
	} {
		if got, _ := keep(t, sources, query, recs); !slices.Equal(got, want) {
			t.Errorf("customer sources %s kept %v, want %v", query, got, want)
		}
	}
}

// TestInferLifecycleFilters: created and updated select the record's own
// instant of that event, by another of its names or by its description,
// never a namesake inside another object; with none, they are unread.
func TestInferLifecycleFilters(t *testing.T) {
	t.Parallel()
	const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /notes:
    get:
      parameters:
        - {name: created, in: query, schema: {type: integer}}
        - {name: updated, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Note"}}
  /tasks:
    get:
      parameters:
        - {name: created, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Task"}}
components:
  schemas:
    Plan:
      type: object
      properties:
        created: {type: integer}
    Note:
      type: object
      properties:
        id: {type: string}
        created_at: {type: integer}
        touch_time: {type: integer, description: "Time at which the note was last updated. In seconds."}
        plan: {$ref: "#/components/schemas/Plan"}
    Task:
      type: object
      properties:
        id: {type: string}
        plan: {$ref: "#/components/schemas/Plan"}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range store.Infer(doc) {
		for _, f := range c.List.Filters {
			got[c.Name+"."+f.Param] = f.Property()
		}
		for _, u := range c.List.Uninterpreted {
			got[c.Name+"."+u] = "unread"
		}
	}
	want := map[string]string{"notes.created": "created_at", "notes.updated": "touch_time", "tasks.created": "unread"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("filters (-want +got):\n%s", d)
	}
}
