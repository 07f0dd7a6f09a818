package graphql_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

// Serve a schema, create a record with a mutation and read it back.
func Example() {
	c, err := contracts.LoadGraphQL(context.Background(), "testdata/shop.graphql")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := graphql.NewServer(c, graphql.WithStateful(true), graphql.WithSeed(42))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	post := func(query string) {
		resp, err := http.Post(s.URL, "application/json", strings.NewReader(fmt.Sprintf(`{"query": %q}`, query)))
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Print(resp.StatusCode, " ", string(b))
	}
	post(`mutation { createCustomer(input: {email: "ada@example.com", name: "Ada"}) { customer { id email status } } }`)
	post(`{ customer(id: "1") { name } customers { totalCount } }`)
	post(`{ customer(id: "1") { nickname } }`)
	// Output:
	// 200 {"data":{"createCustomer":{"customer":{"id":"1","email":"ada@example.com","status":"ACTIVE"}}}}
	// 200 {"data":{"customer":{"name":"Ada"},"customers":{"totalCount":1}}}
	// 200 {"errors":[{"message":"Cannot query field \"nickname\" on type \"Customer\". Did you mean \"name\"?","locations":[{"line":1,"column":23}]}]}
}
