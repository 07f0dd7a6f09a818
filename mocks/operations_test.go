package mocks

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func loadExample(t *testing.T, file string) Contract {
	t.Helper()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", file))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A fault's operation is checked against the contract: a misspelled one
// is refused with the closest name, never made into a fault that hits
// nothing.
func TestFaultOperationChecked(t *testing.T) {
	t.Parallel()
	acc, crm := loadExample(t, "accounting.openapi.yaml"), loadExample(t, "crm.graphql")
	for _, c := range []struct {
		contract Contract
		op, want string
	}{
		{acc, "createInvoise", `did you mean "createInvoice"?`},
		{acc, "DELETE /invoices", `known: GET /invoices, GET /invoices/{invoice_id}, POST /invoices, createInvoice`},
		{crm, "upsertCustomers", `did you mean "upsertCustomer"?`},
	} {
		_, err := New(c.contract, Spec{Faults: []Fault{{Fault: "status", Params: map[string]string{"status": "503", "operation": c.op}}}}, Settings{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "faults[0]") {
			t.Errorf("operation %q: %v, want an error naming faults[0] and %s", c.op, err, c.want)
		}
	}
	for _, c := range []struct {
		contract Contract
		op       string
	}{{acc, "createInvoice"}, {acc, "POST /invoices"}, {acc, "GET /invoices/{invoice_id}"}, {crm, "upsertCustomer"}, {crm, "customers"}} {
		v, err := New(c.contract, Spec{Faults: []Fault{{Fault: "status", Params: map[string]string{"status": "503", "operation": c.op}}}}, Settings{})
		if err != nil {
			t.Errorf("operation %q: %v", c.op, err)
			continue
		}
		v.Close()
	}
	if !acc.HasOperation("GET /invoices/inv_42") || acc.HasOperation("GET /invoices/inv_42/lines") {
		t.Error("HasOperation: a concrete path fills its template's parameters, and only those")
	}
}

// A fault scoped to an operation hits that operation, named by its
// operationId or by METHOD /template, and a GraphQL fault scoped to a
// root field hits the requests that select it, and only those.
func TestFaultOperationScopes(t *testing.T) {
	t.Parallel()
	serve := func(c Contract, op string) string {
		v, err := New(c, Spec{Stateful: true, Faults: []Fault{{Fault: "status", Params: map[string]string{"status": "503", "operation": op}}}}, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		srv, err := Serve(context.Background(), v, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		return srv.URL
	}
	status := func(method, url, body string) int {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	acc := loadExample(t, "accounting.openapi.yaml")
	for _, op := range []string{"listInvoices", "GET /invoices"} {
		url := serve(acc, op)
		if got := status(http.MethodGet, url+"/invoices", ""); got != 503 {
			t.Errorf("fault on %q: GET /invoices answered %d, want 503", op, got)
		}
		if got := status(http.MethodGet, url+"/invoices/inv_1", ""); got == 503 {
			t.Errorf("fault on %q: GET /invoices/inv_1 answered 503: the fault hit another operation", op)
		}
	}
	crm := serve(loadExample(t, "crm.graphql"), "upsertCustomer")
	mutation := `{"query":"mutation { upsertCustomer(input: {email: \"ada@example.com\"}) { customer { id } } }"}`
	query := `{"query":"{ customers(first: 1) { edges { node { id } } } }"}`
	if got := status(http.MethodPost, crm, mutation); got != 503 {
		t.Errorf("GraphQL fault on upsertCustomer: the mutation answered %d, want 503", got)
	}
	if got := status(http.MethodPost, crm, query); got != 200 {
		t.Errorf("GraphQL fault on upsertCustomer: a customers query answered %d, want 200", got)
	}
	// The root field under an alias, in an operation the client named.
	aliased := `{"query":"mutation SaveBuyer { saved: upsertCustomer(input: {email: \"bob@example.com\"}) { customer { id } } }","operationName":"SaveBuyer"}`
	if got := status(http.MethodPost, crm, aliased); got != 503 {
		t.Errorf("GraphQL fault on upsertCustomer: the aliased mutation in SaveBuyer answered %d, want 503", got)
	}
}

// A fault switched on through the admin API (/__firedrill/faults) is
// checked against the contract as a declared one is: a misspelled
// operation is refused with 400 and the closest name, on a GraphQL mock
// as on an OpenAPI one; a root field is taken, and its fault hits the
// requests that select it, under an alias or an operation name of the
// client's.
func TestAdminFaultOperationChecked(t *testing.T) {
	t.Parallel()
	post := func(url, body string) (int, string) {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		file, root, bad, want, good string
	}{
		{"crm.graphql", "/graphql", "upsertCustomers", `did you mean \"upsertCustomer\"?`, "upsertCustomer"},
		{"accounting.openapi.yaml", "/v1", "createInvoise", `did you mean \"createInvoice\"?`, "createInvoice"},
	} {
		v, err := New(loadExample(t, c.file), Spec{Stateful: true}, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		srv, err := Serve(context.Background(), v, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		faults := strings.TrimSuffix(srv.URL, c.root) + "/__firedrill/faults"
		status, body := post(faults, `{"kind": "status", "operation": "`+c.bad+`", "params": {"status": 503}}`)
		if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: a fault on %q: %d %s, want 400 with %s", c.file, c.bad, status, body, c.want)
		}
		if status, body := post(faults, `{"kind": "status", "operation": "`+c.good+`", "params": {"status": 503}}`); status != http.StatusCreated {
			t.Errorf("%s: a fault on %q: %d %s", c.file, c.good, status, body)
		}
	}
}
