package mocks

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inventorySchema writes quantities as Shopify's Admin API does: through a
// payload with userErrors, compareQuantity beside quantity.
const inventorySchema = `
type Query { inventoryLevel(id: ID!): InventoryLevel }
type Mutation {
  inventoryLevelCreate(input: InventoryLevelInput!): InventoryLevelPayload!
  inventoryLevelUpdate(input: InventoryLevelInput!): InventoryLevelPayload!
  counterUpdate(id: ID!, value: Int!, compareValue: Int): Counter
}
input InventoryLevelInput { id: ID, sku: String, quantity: Int, compareQuantity: Int }
type InventoryLevel { id: ID!, sku: String, quantity: Int! }
type Counter { id: ID!, value: Int! }
type InventoryLevelPayload { inventoryLevel: InventoryLevel, userErrors: [UserError!]! }
type UserError { field: [String!], message: String!, code: UserErrorCode }
enum UserErrorCode { INVALID, COMPARE_QUANTITY_STALE }
`

// TestCompareAndSetGraphQL: a declared compare-and-set rule reaches a
// GraphQL mock. -3 against a stale 99 (the case) is a userErrors
// entry with the declared code and changes nothing; the right expectation
// lands and is not stored; a created level starts at the initial value;
// a mutation whose answer has no userErrors gets a GraphQL error with the
// code.
func TestCompareAndSetGraphQL(t *testing.T) {
	t.Parallel()
	spec := Spec{Stateful: true, CompareAndSet: map[string]CompareAndSet{
		"InventoryLevel": {Field: "quantity", Expect: "compareQuantity", Code: "COMPARE_QUANTITY_STALE", Initial: 0},
		"Counter":        {Field: "value", Expect: "compareValue"},
	}}
	v, c, gql := graphQLVendor(t, inventorySchema, spec)
	const sel = `{ inventoryLevel { id quantity } userErrors { field message code } }`
	created := gql(`mutation { inventoryLevelCreate(input: {id: "L1", sku: "MUG"}) ` + sel + ` }`)
	if q := dig(created, "data", "inventoryLevelCreate", "inventoryLevel", "quantity"); q != 0.0 {
		t.Fatalf("a created level holds quantity %v, want the initial 0: %v", q, created)
	}
	gql(`mutation { inventoryLevelUpdate(input: {id: "L1", quantity: 99}) ` + sel + ` }`)
	stale := gql(`mutation { inventoryLevelUpdate(input: {id: "L1", quantity: -3, compareQuantity: 5}) ` + sel + ` }`)
	errs, _ := dig(stale, "data", "inventoryLevelUpdate", "userErrors").([]any)
	if len(errs) != 1 {
		t.Fatalf("a stale write: %v, want one user error", stale)
	}
	ue := errs[0].(map[string]any)
	if ue["code"] != "COMPARE_QUANTITY_STALE" || ue["message"] != "quantity is 99, not the expected 5" || strings.Join(strs(ue["field"]), ".") != "input.compareQuantity" {
		t.Errorf("the user error: %v", ue)
	}
	if got := gql(`{ inventoryLevel(id: "L1") { quantity } }`); dig(got, "data", "inventoryLevel", "quantity") != 99.0 {
		t.Errorf("the stale write changed the level: %v", got)
	}
	ok := gql(`mutation { inventoryLevelUpdate(input: {id: "L1", quantity: 96, compareQuantity: 99}) ` + sel + ` }`)
	if dig(ok, "data", "inventoryLevelUpdate", "inventoryLevel", "quantity") != 96.0 || len(dig(ok, "data", "inventoryLevelUpdate", "userErrors").([]any)) != 0 {
		t.Errorf("a write expecting 99: %v", ok)
	}
	if rec, _ := v.GraphQL.Store().Get("InventoryLevel", nil, "L1"); rec["compareQuantity"] != nil {
		t.Errorf("the expectation was stored: %v", rec)
	}
	gql(`mutation { counterUpdate(id: "K", value: 1) { id } }`) // an update of nothing: not found
	v.GraphQL.Store().Create("Counter", nil, map[string]any{"id": "K", "value": 4})
	bare := gql(`mutation { counterUpdate(id: "K", value: 6, compareValue: 5) { value } }`)
	gerrs, _ := bare["errors"].([]any)
	if len(gerrs) != 1 || dig(gerrs[0].(map[string]any), "extensions", "code") != "STALE" {
		t.Errorf("a stale write without userErrors: %v, want a GraphQL error with code STALE", bare)
	}
	if _, err := New(c, Spec{Stateful: true, CompareAndSet: map[string]CompareAndSet{"Level": {Field: "quantity", Expect: "q"}}}, Settings{}); err == nil || !strings.Contains(err.Error(), `compare_and_set: the schema has no collection "Level"`) {
		t.Errorf("a rule on a type that is no collection: %v", err)
	}
}

// graphQLVendor serves a GraphQL mock of schema under spec, and returns
// it, its contract and a function that posts a query to it and decodes
// the answer.
func graphQLVendor(t *testing.T, schema string, spec Spec) (*Vendor, Contract, func(query string) map[string]any) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "schema.graphql")
	if err := os.WriteFile(file, []byte(schema), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadContract(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(c, spec, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	srv := httptest.NewServer(v.Handler)
	t.Cleanup(srv.Close)
	return v, c, func(query string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query})
		resp, err := srv.Client().Post(srv.URL+v.GraphQL.Path(), "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestStampsGraphQL: declared stamps reach a GraphQL mock's types: a
// version raised and a time written on every write, which a search string
// can then filter on; a type that is no collection, or a field the type
// lacks, is refused.
func TestStampsGraphQL(t *testing.T) {
	t.Parallel()
	schema := `
type Query { levels(first: Int, query: String): [Level!]! }
type Mutation { levelCreate(input: LevelInput!): Level  levelUpdate(input: LevelInput!): Level }
input LevelInput { id: ID, sku: String, quantity: Int }
type Level { id: ID!, sku: String, quantity: Int, version: Int, updatedAt: String }
`
	_, c, gql := graphQLVendor(t, schema, Spec{Stateful: true, Stamps: map[string]map[string]string{"Level": {"version": "counter", "updatedAt": "time"}}})
	gql(`mutation { levelCreate(input: {id: "A", sku: "MUG", quantity: 1}) { id } }`)
	gql(`mutation { levelCreate(input: {id: "B", sku: "TEA", quantity: 1}) { id } }`)
	got := gql(`mutation { levelUpdate(input: {id: "A", quantity: 2}) { version updatedAt } }`)
	if dig(got, "data", "levelUpdate", "version") != 3.0 || dig(got, "data", "levelUpdate", "updatedAt") == nil {
		t.Fatalf("the third write: %v, want version 3 and a time", got)
	}
	since := gql(`{ levels(query: "version:>2") { id } }`)
	if list, _ := dig(since, "data", "levels").([]any); len(list) != 1 || dig(list[0], "id") != "A" {
		t.Errorf("levels changed since version 2: %v, want A alone", since)
	}
	for _, bad := range []map[string]map[string]string{{"Lvl": {"version": "counter"}}, {"Level": {"revision": "counter"}}} {
		if _, err := New(c, Spec{Stateful: true, Stamps: bad}, Settings{}); err == nil || !strings.Contains(err.Error(), "stamps") {
			t.Errorf("stamps %v: %v", bad, err)
		}
	}
}
