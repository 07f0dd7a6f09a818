package graphql_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

const upsert = `mutation($input: CustomerInput!) { upsertCustomer(input: $input) { customer { id email firstName } created } }`

func crmMock(t *testing.T, sdl string) *graphql.Mock {
	t.Helper()
	var c *contracts.GraphQL
	var err error
	if sdl == "" {
		c, err = contracts.LoadGraphQL(context.Background(), filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	} else {
		c, err = contracts.ParseGraphQL(context.Background(), "crm.graphql", []byte(sdl))
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := graphql.NewHandler(c, graphql.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestUpsertByUniqueKey: an upsert without an id finds the record by the
// argument of a lookup query (customerByEmail(email:)), as a real CRM
// upserts by email; concurrent upserts of one email keep one record.
func TestUpsertByUniqueKey(t *testing.T) {
	t.Parallel()
	m := crmMock(t, "")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "Ada"
			if i%2 == 1 {
				name = "Augusta"
			}
			do(t, m, upsert, map[string]any{"input": map[string]any{"email": "ada@example.com", "firstName": name}}).ok(t)
		}()
	}
	wg.Wait()
	do(t, m, upsert, map[string]any{"input": map[string]any{"email": "grace@example.com"}}).ok(t)
	if n := m.Store().Len("Customer"); n != 2 {
		t.Fatalf("%d customers after upserting two emails, want 2", n)
	}
	got := do(t, m, `{ customerByEmail(email: "ada@example.com") { email firstName } }`, nil).ok(t)
	if at(got.Data, "customerByEmail", "email") != "ada@example.com" {
		t.Errorf("lookup after upserts: %s", got.raw)
	}
}

// TestUpsertWithoutLookupCreates is the negative control: with no lookup
// query naming a unique key, an upsert without an id can only create.
func TestUpsertWithoutLookupCreates(t *testing.T) {
	t.Parallel()
	m := crmMock(t, `type Query { customer(id: ID!): Customer }
type Mutation { upsertCustomer(input: CustomerInput!): UpsertCustomerPayload! }
input CustomerInput { email: String! firstName: String }
type Customer { id: ID! email: String! firstName: String }
type UpsertCustomerPayload { customer: Customer! created: Boolean! }`)
	for range 2 {
		do(t, m, upsert, map[string]any{"input": map[string]any{"email": "ada@example.com"}}).ok(t)
	}
	if n := m.Store().Len("Customer"); n != 2 {
		t.Fatalf("%d customers, want 2 when no unique key is known", n)
	}
}
