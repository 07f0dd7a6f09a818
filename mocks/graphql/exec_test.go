package graphql_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

func TestScalarsEnumsAndLists(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `{ version customer(id: "c1") { id email name status website createdAt tags } orders { id total items paid weight placedAt } }`, nil).ok(t)
	c := at(r.Data, "customer").(map[string]any)
	if c["id"] != "c1" {
		t.Errorf("customer.id = %v; want the id asked for, c1", c["id"])
	}
	if email, _ := c["email"].(string); !strings.Contains(email, "@") {
		t.Errorf("email = %v; want an address", c["email"])
	}
	if !slices.Contains([]any{"ACTIVE", "BLOCKED", "PENDING"}, c["status"]) {
		t.Errorf("status = %v; want a Status value", c["status"])
	}
	if _, err := time.Parse(time.RFC3339, c["createdAt"].(string)); err != nil {
		t.Errorf("createdAt: %v", err)
	}
	if u, _ := c["website"].(string); !strings.HasPrefix(u, "https://") {
		t.Errorf("website = %v; want a URL", c["website"])
	}
	tags := c["tags"].([]any)
	if len(tags) < 2 || len(tags) > 3 {
		t.Errorf("tags has %d items; want 2 or 3", len(tags))
	}
	orders := at(r.Data, "orders").([]any)
	for i := range orders {
		o := orders[i].(map[string]any)
		if n, ok := o["items"].(float64); !ok || n != float64(int32(n)) {
			t.Errorf("orders[%d].items = %v; want a 32-bit integer", i, o["items"])
		}
		if _, ok := o["paid"].(bool); !ok {
			t.Errorf("orders[%d].paid = %v; want a boolean", i, o["paid"])
		}
		if _, ok := o["weight"].(float64); !ok {
			t.Errorf("orders[%d].weight = %v; want a number", i, o["weight"])
		}
	}
	if _, ok := r.Data["version"].(string); !ok {
		t.Errorf("version = %v; want a string", r.Data["version"])
	}
}

func TestPageSizeCapsGeneratedLists(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `{
	  one: customers(first: 1) { edges { node { id orders { id } } } }
	  none: orders(limit: 0) { id }
	  all: orders { id }
	  c: customer(id: "1") { few: orders(first: 1) { id } default: orders { id } }
	}`, nil).ok(t)
	count := func(path ...any) int { return len(at(r.Data, path...).([]any)) }
	if n := count("one", "edges"); n != 1 {
		t.Errorf("customers(first: 1) has %d edges", n)
	}
	if n := count("one", "edges", 0, "node", "orders"); n != 2 {
		t.Errorf("a node's own list took the page size: %d orders; want Customer.orders' default first: 2", n)
	}
	if n := count("none"); n != 0 {
		t.Errorf("orders(limit: 0) has %d items", n)
	}
	if n := count("all"); n < 2 || n > 3 {
		t.Errorf("orders without a page size has %d items; want 2 or 3", n)
	}
	if n := count("c", "few"); n != 1 {
		t.Errorf("orders(first: 1) has %d items", n)
	}
}

func TestAliasesAndFieldOrder(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `{ b: customer(id: "2") { id } a: customer(id: "1") { id, same: id } v1: version v2: version }`, nil).ok(t)
	if at(r.Data, "a", "id") != "1" || at(r.Data, "b", "id") != "2" || at(r.Data, "a", "same") != "1" {
		t.Errorf("aliases mixed up: %s", r.raw)
	}
	if r.Data["v1"] != r.Data["v2"] {
		t.Errorf("the same field under two aliases differs: %v %v", r.Data["v1"], r.Data["v2"])
	}
	if !bytes.HasPrefix(r.raw, []byte(`{"data":{"b":`)) {
		t.Errorf("keys not in selection order: %s", r.raw)
	}
}

func TestFragmentsAndAbstractTypes(t *testing.T) {
	t.Parallel()
	q := `query {
	  search(text: "x") { __typename ...C ... on Order { total } }
	  node(id: "n1") { __typename id ... on Customer { email } }
	}
	fragment C on Customer { email name }`
	r := do(t, newMock(t), q, nil).ok(t)
	kinds := map[any]int{}
	for _, it := range at(r.Data, "search").([]any) {
		m := it.(map[string]any)
		kinds[m["__typename"]]++
		switch m["__typename"] {
		case "Customer":
			if m["email"] == nil || m["total"] != nil {
				t.Errorf("Customer got the wrong fragment: %v", m)
			}
		case "Order":
			if m["total"] == nil || m["email"] != nil {
				t.Errorf("Order got the wrong fragment: %v", m)
			}
		default:
			t.Errorf("__typename %v; want Customer or Order", m["__typename"])
		}
	}
	n := at(r.Data, "node").(map[string]any)
	if n["id"] != "n1" || (n["__typename"] != "Customer" && n["__typename"] != "Order") {
		t.Errorf("node = %v; want a Customer or Order with id n1", n)
	}
	if (n["__typename"] == "Customer") != (n["email"] != nil) {
		t.Errorf("inline fragment applied to the wrong type: %v", n)
	}
}

func TestAbstractTypePickedBySeedAndPath(t *testing.T) {
	t.Parallel()
	seen := map[any]bool{}
	for seed := int64(1); seed <= 20; seed++ {
		r := do(t, newMock(t, graphql.WithSeed(seed)), `{ node(id: "x") { __typename } }`, nil).ok(t)
		seen[at(r.Data, "node", "__typename")] = true
	}
	if len(seen) != 2 {
		t.Errorf("over 20 seeds node was %v; want both Customer and Order", seen)
	}
}

func TestEnumsSkipDeprecatedValues(t *testing.T) {
	t.Parallel()
	seen := map[any]bool{}
	for seed := int64(1); seed <= 30; seed++ {
		r := do(t, newMock(t, graphql.WithSeed(seed)), `{ customer(id: "x") { status } }`, nil).ok(t)
		seen[at(r.Data, "customer", "status")] = true
	}
	if len(seen) != 3 || seen["DISABLED"] {
		t.Errorf("over 30 seeds status was %v; want ACTIVE, BLOCKED and PENDING, never the deprecated DISABLED", seen)
	}
}

func TestInputDefaultsInLiterals(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))
	r := do(t, m, `mutation { createCustomer(input: {email: "lit@example.com"}) { customer { status } } }`, nil).ok(t)
	if at(r.Data, "createCustomer", "customer", "status") != "ACTIVE" {
		t.Errorf("the input field's default was not applied: %s", r.raw)
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	q := `query Q($id: ID! = "d1", $n: Int, $s: Status = BLOCKED) { customer(id: $id) { id } orders(limit: $n, status: $s) { id } }`
	tests := []struct {
		name    string
		vars    map[string]any
		wantID  any
		wantErr string
	}{
		{"default", nil, "d1", ""},
		{"given", map[string]any{"id": "v7"}, "v7", ""},
		{"int coerced to ID", map[string]any{"id": 42}, "42", ""},
		{"wrong type", map[string]any{"n": "many"}, nil, "n"},
		{"unknown enum", map[string]any{"s": "GONE"}, nil, "s"},
		{"null for non-null", map[string]any{"id": nil}, nil, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, m, q, tt.vars)
			if tt.wantErr == "" {
				r.ok(t)
				if got := at(r.Data, "customer", "id"); got != tt.wantID {
					t.Errorf("customer.id = %v; want %v", got, tt.wantID)
				}
				return
			}
			if r.status != http.StatusOK || len(r.Errors) == 0 || r.Data != nil || bytes.Contains(r.raw, []byte(`"data"`)) {
				t.Fatalf("want 200 with errors and no data:\n%s", r.raw)
			}
			if !strings.Contains(string(r.raw), tt.wantErr) {
				t.Errorf("error does not name variable %s: %s", tt.wantErr, r.raw)
			}
		})
	}
}

func TestSkipAndInclude(t *testing.T) {
	t.Parallel()
	q := `query($yes: Boolean!) { customer(id: "1") { id email @include(if: $yes) name @skip(if: $yes) ... on Customer @skip(if: true) { status } } }`
	for _, yes := range []bool{true, false} {
		r := do(t, newMock(t), q, map[string]any{"yes": yes}).ok(t)
		c := at(r.Data, "customer").(map[string]any)
		_, hasEmail := c["email"]
		_, hasName := c["name"]
		_, hasStatus := c["status"]
		if hasEmail != yes || hasName == yes || hasStatus {
			t.Errorf("yes=%v: got %v", yes, c)
		}
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	q := `{ customers { edges { node { id email orders { id total } } } } search(text: "a") { __typename } }`
	a := do(t, newMock(t, graphql.WithSeed(7)), q, nil).ok(t)
	b := do(t, newMock(t, graphql.WithSeed(7)), q, nil).ok(t)
	c := do(t, newMock(t, graphql.WithSeed(8)), q, nil).ok(t)
	if !bytes.Equal(a.raw, b.raw) {
		t.Errorf("same seed, different answers:\n%s\n%s", a.raw, b.raw)
	}
	if bytes.Equal(a.raw, c.raw) {
		t.Errorf("different seeds, same answer:\n%s", a.raw)
	}
	e0, e1 := at(a.Data, "customers", "edges", 0, "node", "email"), at(a.Data, "customers", "edges", 1, "node", "email")
	if e0 == e1 {
		t.Errorf("two list items got the same email %v: the path must seed each", e0)
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query string
		line, col   int
		want        string
	}{
		{"unknown field", "{\n  customer(id: \"1\") { nope }\n}", 2, 23, "nope"},
		{"missing argument", `{ customer { id } }`, 1, 3, "id"},
		{"syntax", `{ customer(id: "1") { id }`, 1, 27, "Expected"},
		{"scalar with selection", `{ version { x } }`, 1, 13, `"x" on type "String"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, newMock(t), tt.query, nil)
			if r.status != http.StatusOK || len(r.Errors) == 0 || bytes.Contains(r.raw, []byte(`"data"`)) {
				t.Fatalf("want 200 with errors and no data:\n%s", r.raw)
			}
			e := r.Errors[0]
			if len(e.Locations) == 0 || e.Locations[0].Line != tt.line || e.Locations[0].Column != tt.col || !strings.Contains(e.Message, tt.want) {
				t.Errorf("error %+v; want it at %d:%d mentioning %q", e, tt.line, tt.col, tt.want)
			}
		})
	}
}

func TestJournalKeepsBoundedCopies(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithLimits(graphql.Limits{MaxAliases: 600, MaxSelections: 5000})) // an answer over MaxJournalBody
	var q strings.Builder
	q.WriteString("query Big {")
	for i := range 600 {
		fmt.Fprintf(&q, " c%d: customer(id: \"%d\") { id email name website createdAt tags }", i, i)
	}
	q.WriteString(" }")
	r := do(t, m, q.String(), nil).ok(t)
	if len(r.raw) <= toolkit.MaxJournalBody {
		t.Fatalf("the introspection answer is %d bytes; the test needs one over %d", len(r.raw), toolkit.MaxJournalBody)
	}
	e := m.Journal().Entries(toolkit.Filter{})[0]
	if len(e.ResponseBody) != toolkit.MaxJournalBody || cap(e.ResponseBody) > toolkit.MaxJournalBody+64 {
		t.Errorf("journal keeps %d bytes with capacity %d; want a copy of at most %d", len(e.ResponseBody), cap(e.ResponseBody), toolkit.MaxJournalBody)
	}
	if e.Operation != "Big" || !e.Valid {
		t.Errorf("entry operation %q valid %v", e.Operation, e.Valid)
	}
}

func TestCORSForBrowserIDEs(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	pre := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
	pre.Header.Set("Origin", "https://studio.apollographql.com")
	pre.Header.Set("Access-Control-Request-Headers", "content-type, x-apollo-operation-name")
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, pre)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
		rec.Header().Get("Access-Control-Allow-Headers") != "content-type, x-apollo-operation-name" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bversion%7D", nil))
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("answer without CORS header: %v", rec.Header())
	}
	if m.Journal().Total() != 1 {
		t.Errorf("journal holds %d entries; want the query only, not the preflight", m.Journal().Total())
	}
}

func TestHTTPConvention(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	get := func(q string) *http.Request {
		return httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil)
	}
	post := func(ct, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		return r
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		data   bool
	}{
		{"GET query", get(`{ version }`), 200, true},
		{"GET with variables", httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`query($id: ID!){ customer(id: $id) { id } }`)+"&variables="+url.QueryEscape(`{"id":"g"}`), nil), 200, true},
		{"application/graphql", post("application/graphql", `{ version }`), 200, true},
		{"JSON with charset", post("application/json; charset=utf-8", `{"query":"{ version }"}`), 200, true},
		{"operationName picks", post("application/json", `{"query":"query A { version } query B { ping: version }","operationName":"B"}`), 200, true},
		{"two operations, no name", post("application/json", `{"query":"query A { version } query B { version }"}`), 200, false},
		{"GET without query", httptest.NewRequest(http.MethodGet, "/graphql", nil), 400, false},
		{"GET bad variables", httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bversion%7D&variables=%5B", nil), 400, false},
		{"mutation over GET", get(`mutation { ping }`), 405, false},
		{"subscription over GET", get(`subscription { customerCreated { id } }`), 405, false},
		{"subscription answers one event", post("application/json", `{"query":"subscription { customerCreated { id email } }"}`), 200, true},
		{"PUT", httptest.NewRequest(http.MethodPut, "/graphql", nil), 405, false},
		{"body not JSON", post("application/json", `{"query":`), 400, false},
		{"no query in body", post("application/json", `{"variables":{}}`), 400, false},
		{"query not a string", post("application/json", `{"query":12}`), 400, false},
		{"variables not an object", post("application/json", `{"query":"{version}","variables":[1]}`), 400, false},
		{"text/plain", post("text/plain", `{ version }`), 415, false},
		{"body too large", post("application/json", strings.Repeat(" ", graphql.MaxRequestBody+1)), 413, false},
		{"wrong path", httptest.NewRequest(http.MethodGet, "/other", nil), 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, m, tt.req)
			if r.status != tt.status || (r.Data != nil) != tt.data {
				t.Errorf("status %d data %v; want %d data %v:\n%s", r.status, r.Data != nil, tt.status, tt.data, r.raw)
			}
			if !tt.data && len(r.Errors) == 0 {
				t.Errorf("no errors in the refusal: %s", r.raw)
			}
		})
	}
}

func TestAnswerSizeBounded(t *testing.T) {
	t.Parallel()
	c, err := contracts.ParseGraphQL(context.Background(), "tree.graphql", []byte(`type Query { roots: [N!]! } type N { id: ID! kids: [N!]! }`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := graphql.NewHandler(c)
	if err != nil {
		t.Fatal(err)
	}
	nested := func(depth int) string {
		return "{ roots { id " + strings.Repeat("kids { id ", depth) + strings.Repeat("} ", depth) + "} }"
	}
	do(t, m, nested(5), nil).ok(t)
	r := do(t, m, nested(16), nil)
	if r.status != http.StatusOK || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "fewer nested lists") || r.Data["roots"] != nil {
		t.Errorf("a 3^16 answer was not refused: %.300s", r.raw)
	}
	if len(r.raw) > 1024 {
		t.Errorf("the refusal carries %d bytes; want the error alone", len(r.raw))
	}
}
