package ci

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestConformanceCountsWrongAddresses: a service that calls a mock at a
// path its contract does not serve (a GraphQL mock at / instead of
// /graphql, a REST path the contract lacks) gets 404 on every call; the
// contract gate fails and names the path, never "0 invalid". A fault in
// front of the GraphQL mock does not make such a request valid either. The
// control: the same mocks called at their right addresses pass.
func TestConformanceCountsWrongAddresses(t *testing.T) {
	t.Parallel()
	contract := func(file string) mocks.Contract {
		c, err := mocks.LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", file))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	query := `{"query":"{ customers(first: 1) { edges { node { id } } } }"}`
	for _, c := range []struct {
		name, file, path, body string
		faults                 []mocks.Fault
		right                  string // the path the contract serves
	}{
		{name: "GraphQL at /", file: "crm.graphql", path: "/", body: query, right: "/graphql"},
		{name: "GraphQL at /graphql/", file: "crm.graphql", path: "/graphql/", body: query, right: "/graphql"},
		{name: "GraphQL at / through a fault", file: "crm.graphql", path: "/", body: query, right: "/graphql",
			faults: []mocks.Fault{{Fault: "status", Params: map[string]string{"status": "503"}}}},
		{name: "GraphQL at / through a scoped fault", file: "crm.graphql", path: "/", body: query, right: "/graphql",
			faults: []mocks.Fault{{Fault: "status", Params: map[string]string{"status": "503", "operation": "customers"}}}},
		{name: "REST path the contract lacks", file: "accounting.openapi.yaml", path: "/v1/payouts", right: "/v1/invoices"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := mocks.New(contract(c.file), mocks.Spec{Stateful: true, Faults: c.faults}, mocks.Settings{Name: "vendor"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(v.Close)
			srv, err := mocks.Serve(context.Background(), v, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			u, err := url.Parse(srv.URL) // the URL holds the contract's base path
			if err != nil {
				t.Fatal(err)
			}
			root := u.Scheme + "://" + u.Host
			call := func(path string) int {
				method := http.MethodGet
				if c.body != "" {
					method = http.MethodPost
				}
				req, _ := http.NewRequest(method, root+path, strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer sk_test")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := call(c.path); got < 400 {
				t.Fatalf("%s answered %d", c.path, got)
			}
			g := Conformance(v.Journal.Entries(toolkit.Filter{}), ConformanceOptions{})
			if g.Passed || !strings.Contains(g.Reason, "1 requests broke their contract") || !strings.Contains(strings.Join(g.Detail, "\n"), " "+c.path+" ") {
				t.Errorf("a call at %s: %s: %s (%s)\n%s", c.path, g.Status(), g.Reason, g.Measured, strings.Join(g.Detail, "\n"))
			}
			// The control: a mock called at its right address passes.
			v.Faults.Clear()
			v.Journal.Reset()
			if got := call(c.right); got >= 400 {
				t.Fatalf("%s answered %d", c.right, got)
			}
			if g := Conformance(v.Journal.Entries(toolkit.Filter{}), ConformanceOptions{}); !g.Passed {
				t.Errorf("a call at %s: %s: %s\n%s", c.right, g.Status(), g.Reason, strings.Join(g.Detail, "\n"))
			}
		})
	}
}
