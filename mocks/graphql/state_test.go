package graphql_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

func TestStatefulRoundTrip(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))

	r := do(t, m, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id email name status createdAt } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"email": "ada@example.com", "name": "Ada", "tags": []any{"vip"}}}).ok(t)
	created := at(r.Data, "createCustomer", "customer").(map[string]any)
	id, _ := created["id"].(string)
	if id == "" || created["email"] != "ada@example.com" || created["name"] != "Ada" || created["status"] != "ACTIVE" {
		t.Fatalf("created %v; want the input stored, the default status and an id", created)
	}
	if errs := at(r.Data, "createCustomer", "userErrors").([]any); len(errs) != 0 {
		t.Errorf("userErrors = %v; want none after a success", errs)
	}

	byID := do(t, m, `query($id: ID!) { customer(id: $id) { id email name status createdAt tags } }`, map[string]any{"id": id}).ok(t)
	got := at(byID.Data, "customer").(map[string]any)
	if got["email"] != "ada@example.com" || got["createdAt"] != created["createdAt"] || fmt.Sprint(got["tags"]) != "[vip]" {
		t.Errorf("read back %v; want what was created (same generated createdAt %v)", got, created["createdAt"])
	}
	byKey := do(t, m, `{ customerByEmail(email: "ada@example.com") { id } }`, nil).ok(t)
	if at(byKey.Data, "customerByEmail", "id") != id {
		t.Errorf("by email: %s", byKey.raw)
	}
	node := do(t, m, fmt.Sprintf(`{ node(id: %q) { __typename ... on Customer { email } } }`, id), nil).ok(t)
	if at(node.Data, "node", "__typename") != "Customer" || at(node.Data, "node", "email") != "ada@example.com" {
		t.Errorf("node(id:): %s", node.raw)
	}

	up := do(t, m, `mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Ada L."}) { id name email } }`, map[string]any{"id": id}).ok(t)
	if at(up.Data, "updateCustomer", "name") != "Ada L." || at(up.Data, "updateCustomer", "email") != "ada@example.com" {
		t.Errorf("update: %s", up.raw)
	}
	again := do(t, m, `query($id: ID!) { customer(id: $id) { name } }`, map[string]any{"id": id}).ok(t)
	if at(again.Data, "customer", "name") != "Ada L." {
		t.Errorf("update not kept: %s", again.raw)
	}

	must := do(t, m, `query($id: ID!) { mustCustomer(id: $id) { email } }`, map[string]any{"id": id}).ok(t)
	if at(must.Data, "mustCustomer", "email") != "ada@example.com" {
		t.Errorf("non-null lookup: %s", must.raw)
	}
	if snap, err := m.Store().Snapshot("Customer"); err != nil || len(snap) != 1 || snap[0]["name"] != "Ada L." || snap[0]["email"] != "ada@example.com" {
		t.Errorf("Store().Snapshot = %v, %v; want the updated customer", snap, err)
	}
	if newMock(t).Store() != nil || m.Name() != graphql.DefaultName {
		t.Error("a stateless mock has a store, or the default name is wrong")
	}

	del := do(t, m, `mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId userErrors { message } } }`, map[string]any{"id": id}).ok(t)
	if at(del.Data, "deleteCustomer", "deletedCustomerId") != id {
		t.Errorf("delete: %s", del.raw)
	}
	gone := do(t, m, `query($id: ID!) { customer(id: $id) { id } customerByEmail(email: "ada@example.com") { id } }`, map[string]any{"id": id}).ok(t)
	if v, ok := gone.Data["customer"]; !ok || v != nil || gone.Data["customerByEmail"] != nil {
		t.Errorf("deleted customer still read: %s", gone.raw)
	}

	// Negative control: updating or deleting what is not there is an error
	// on that field, with its path; the non-null payload nulls the data.
	miss := do(t, m, `mutation { updateCustomer(id: "404", input: {name: "x"}) { id } }`, nil)
	if miss.status != http.StatusOK || len(miss.Errors) != 1 || fmt.Sprint(miss.Errors[0].Path) != "[updateCustomer]" ||
		!strings.Contains(miss.Errors[0].Message, `no Customer with id "404"`) || at(miss.Data, "updateCustomer") != nil {
		t.Errorf("update of a missing record: %s", miss.raw)
	}
	missMust := do(t, m, `{ mustCustomer(id: "404") { email } }`, nil)
	if len(missMust.Errors) != 1 || !strings.Contains(missMust.Errors[0].Message, "mustCustomer: no Customer matches") || missMust.Data != nil {
		t.Errorf("non-null lookup of a missing record: %s", missMust.raw)
	}
	missDel := do(t, m, `mutation { deleteCustomer(id: "404") { deletedCustomerId } }`, nil)
	if len(missDel.Errors) != 1 || missDel.Data != nil || !strings.Contains(string(missDel.raw), `"data":null`) {
		t.Errorf("delete of a missing record: %s", missDel.raw)
	}
}

func TestStatefulListFilters(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))
	for _, c := range []string{"c1", "c2", "c1"} {
		do(t, m, fmt.Sprintf(`mutation { addOrder(customerId: %q, total: "1.00") { id } }`, c), nil).ok(t)
	}
	count := func(q string) int {
		return len(at(do(t, m, q, nil).ok(t).Data, "orders").([]any))
	}
	if n := count(`{ orders { id } }`); n != 3 {
		t.Errorf("orders: %d; want 3", n)
	}
	if n := count(`{ orders(customerId: "c1") { id } }`); n != 2 {
		t.Errorf("orders of c1: %d; want 2", n)
	}
	if n := count(`{ orders(customerId: "c3") { id } }`); n != 0 {
		t.Errorf("orders of c3: %d; want 0", n)
	}
	if n := count(`{ orders(customerId: "c1", limit: 1) { id } }`); n != 1 {
		t.Errorf("orders of c1, limit 1: %d; want 1", n)
	}
}

func TestStatelessMutationsSucceed(t *testing.T) {
	t.Parallel()
	r := do(t, newMock(t), `mutation { createCustomer(input: {email: "a@example.com"}) { customer { id email } userErrors { message } } }`, nil).ok(t)
	if errs := at(r.Data, "createCustomer", "userErrors").([]any); len(errs) != 0 {
		t.Errorf("a stateless mutation reports user errors: %s", r.raw)
	}
	if at(r.Data, "createCustomer", "customer", "id") == nil {
		t.Errorf("no generated customer: %s", r.raw)
	}
	if m := newMock(t); m.Store() != nil {
		t.Error("a stateless mock stores records")
	}
}

func TestStatefulUpsert(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))
	q := `mutation($in: UpdateCustomerInput!) { upsertCustomer(id: "u1", input: $in) { id email name } }`
	first := do(t, m, q, map[string]any{"in": map[string]any{"email": "u@example.com", "name": "U"}}).ok(t)
	second := do(t, m, q, map[string]any{"in": map[string]any{"name": "V"}}).ok(t)
	if at(first.Data, "upsertCustomer", "id") != "u1" || at(second.Data, "upsertCustomer", "name") != "V" ||
		at(second.Data, "upsertCustomer", "email") != "u@example.com" {
		t.Errorf("upsert: %s then %s", first.raw, second.raw)
	}
	if n := m.Store().Len("Customer"); n != 1 {
		t.Errorf("%d customers after two upserts of one id; want 1", n)
	}
	// Concurrent upserts of one new id: one creates, the others update, none fails.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"query":"mutation { upsertCustomer(id: \"race\", input: {name: \"n%d\"}) { id } }"}`, i)
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			m.ServeHTTP(rec, req)
			if strings.Contains(rec.Body.String(), "errors") {
				t.Errorf("concurrent upsert failed: %s", rec.Body)
			}
		}()
	}
	wg.Wait()
	if n := m.Store().Len("Customer"); n != 2 {
		t.Errorf("%d customers after concurrent upserts of a second id; want 2", n)
	}
}

func TestStatefulListsAndConnections(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))
	empty := do(t, m, `{ customers { totalCount edges { cursor } } orders { id } }`, nil).ok(t)
	if at(empty.Data, "customers", "totalCount") != 0.0 || len(at(empty.Data, "orders").([]any)) != 0 {
		t.Errorf("a fresh stateful mock lists generated records: %s", empty.raw)
	}
	var ids []string
	for i := range 3 {
		r := do(t, m, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } } }`, map[string]any{"e": fmt.Sprintf("c%d@example.com", i)}).ok(t)
		ids = append(ids, at(r.Data, "createCustomer", "customer", "id").(string))
	}
	o := do(t, m, fmt.Sprintf(`mutation { addOrder(customerId: %q, total: "12.50") { id customerId total items } }`, ids[0]), nil).ok(t)
	if at(o.Data, "addOrder", "total") != "12.50" || at(o.Data, "addOrder", "items") != 1.0 || at(o.Data, "addOrder", "customerId") != ids[0] {
		t.Errorf("addOrder: %s", o.raw)
	}
	orders := do(t, m, `{ orders { id total customer { id email } } }`, nil).ok(t)
	if l := at(orders.Data, "orders").([]any); len(l) != 1 || at(l, 0, "id") != at(o.Data, "addOrder", "id") ||
		at(l, 0, "customer", "id") != ids[0] || at(l, 0, "customer", "email") != "c0@example.com" {
		t.Errorf("orders, with the customer read through customerId: %s", orders.raw)
	}

	page1 := do(t, m, `{ customers(first: 2) { totalCount edges { cursor node { id email } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`, nil).ok(t)
	edges := at(page1.Data, "customers", "edges").([]any)
	if len(edges) != 2 || at(edges, 0, "node", "id") != ids[0] || at(page1.Data, "customers", "totalCount") != 3.0 ||
		at(page1.Data, "customers", "pageInfo", "hasNextPage") != true || at(page1.Data, "customers", "pageInfo", "endCursor") != ids[1] {
		t.Errorf("first page: %s", page1.raw)
	}
	page2 := do(t, m, `query($after: String) { customers(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage } } }`,
		map[string]any{"after": ids[1]}).ok(t)
	edges = at(page2.Data, "customers", "edges").([]any)
	if len(edges) != 1 || at(edges, 0, "node", "id") != ids[2] || at(page2.Data, "customers", "pageInfo", "hasNextPage") != false ||
		at(page2.Data, "customers", "pageInfo", "hasPreviousPage") != true {
		t.Errorf("second page: %s", page2.raw)
	}
}

func TestStatefulConcurrentCreates(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf(`{"query":"mutation { createCustomer(input: {email: \"w%d-%d@example.com\"}) { customer { id } } }"}`, w, i)
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				m.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "errors") {
					t.Errorf("create: %d %s", rec.Code, rec.Body)
				}
			}
		}()
	}
	wg.Wait()
	r := do(t, m, `{ customers(first: 1000) { totalCount edges { node { id } } } }`, nil).ok(t)
	seen := map[any]bool{}
	for _, e := range at(r.Data, "customers", "edges").([]any) {
		seen[at(e, "node", "id")] = true
	}
	if at(r.Data, "customers", "totalCount") != float64(workers*each) || len(seen) != workers*each {
		t.Errorf("%v records, %d distinct ids; want %d", at(r.Data, "customers", "totalCount"), len(seen), workers*each)
	}
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	m := newMock(t, graphql.WithStateful(true), graphql.WithName("crm"))
	call := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	code, body := call("GET", "/__firedrill/health", "")
	var h toolkit.Health
	if err := json.Unmarshal([]byte(body), &h); code != 200 || err != nil || h.Status != "ok" || h.Name != "crm" || !h.Stateful ||
		h.BasePath != "/graphql" || h.Operations != 8+6+1 {
		t.Errorf("health: %d %s", code, body)
	}
	do(t, m, `mutation { createCustomer(input: {email: "a@example.com"}) { customer { id } } }`, nil).ok(t)
	do(t, m, `{ nope }`, nil)
	if code, body := call("GET", "/__firedrill/collections", ""); code != 200 || body != "{\"Customer\":1,\"Order\":0}\n" {
		t.Errorf("collections: %d %s", code, body)
	}
	if code, body := call("PUT", "/__firedrill/collections/Customer", `[{"id":"s1","email":"seed@example.com"},{"email":"two@example.com"}]`); code != 200 || !strings.Contains(body, "seed@example.com") {
		t.Errorf("seed: %d %s", code, body)
	}
	r := do(t, m, `{ customer(id: "s1") { email } customers { totalCount } }`, nil).ok(t)
	if at(r.Data, "customer", "email") != "seed@example.com" || at(r.Data, "customers", "totalCount") != 2.0 {
		t.Errorf("seeded records not read: %s", r.raw)
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
	}{
		{"PUT", "/__firedrill/collections/Customer", `{"not":"an array"}`, 400},
		{"PUT", "/__firedrill/collections/Customer", `[{"id":"d"},{"id":"d"}]`, 409},
		{"GET", "/__firedrill/collections/Nope", "", 404},
		{"POST", "/__firedrill/collections/Customer", "", 400}, // an insert needs a record
		{"PATCH", "/__firedrill/collections/Customer", "", 405},
		{"GET", "/__firedrill/requests?status=abc", "", 400},
		{"GET", "/__firedrill/requests?status=700", "", 400},
		{"GET", "/__firedrill/requests?since=yesterday", "", 400},
		{"GET", "/__firedrill/nothing", "", 404},
		{"DELETE", "/__firedrill/collections/Customer", "", 204},
	} {
		if code, body := call(tt.method, tt.path, tt.body); code != tt.code {
			t.Errorf("%s %s: %d %s; want %d", tt.method, tt.path, code, body, tt.code)
		}
	}
	if code, body := call("GET", "/__firedrill/collections/Customer", ""); code != 200 || body != "[]\n" {
		t.Errorf("after DELETE: %d %s", code, body)
	}

	code, body = call("GET", "/__firedrill/requests?operation=createCustomer", "")
	var entries []toolkit.Entry
	if err := json.Unmarshal([]byte(body), &entries); code != 200 || err != nil || len(entries) != 1 {
		t.Fatalf("journal for createCustomer: %d %v %s", code, err, body)
	}
	if e := entries[0]; e.System != "crm" || e.Status != 200 || !e.Valid || e.Method != "POST" || e.Path != "/graphql" {
		t.Errorf("journal entry %+v", e)
	}
	_, body = call("GET", "/__firedrill/requests?operation=nope", "")
	entries = nil
	if err := json.Unmarshal([]byte(body), &entries); err != nil || len(entries) != 1 || entries[0].Valid || len(entries[0].Violations) != 1 ||
		entries[0].Violations[0].In != "body" || entries[0].Violations[0].Name != "query" || !strings.HasPrefix(entries[0].Violations[0].Message, "1:3: ") {
		t.Errorf("invalid query not journaled as invalid: %s", body)
	}

	if code, _ := call("GET", "/__firedrill/collections", ""); code != 200 {
		t.Errorf("collections: %d", code)
	}
	plain := newMock(t)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest("GET", "/__firedrill/collections", nil))
	if rec.Code != 404 {
		t.Errorf("collections of a stateless mock: %d; want 404", rec.Code)
	}
}
