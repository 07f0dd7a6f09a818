package contracts_test

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/contracts"
)

// A schema as real servers publish it: a field defined twice, a built-in
// scalar declared again, a directive never declared. It loads, and each
// repair is a located warning.
func ExampleParseGraphQL() {
	src := []byte(`scalar Int
type Query {
  order(id: ID!): Order @cost(weight: 1)
}
type Order {
  id: ID!
  total: Int
  total: Float
}
`)
	g, err := contracts.ParseGraphQL(context.Background(), "shop.graphql", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range g.Problems {
		fmt.Println(p)
	}
	fmt.Println(g.Schema.Types["Order"].Fields.ForName("total").Type)

	_, err = contracts.ParseGraphQL(context.Background(), "broken.graphql", []byte("type Query {\n  order: Order\n}\n"))
	fmt.Println(err)
	// Output:
	// shop.graphql:1:8: warning: built-in type Int is declared again; the built-in definition is kept [graphql-builtin-redeclared]
	// shop.graphql:3:26: warning: directive @cost is used but never declared; declared as repeatable on every location [graphql-directive-undeclared]
	// shop.graphql:8:3: warning: field Order.total is defined more than once; the first definition is kept [graphql-duplicate-field]
	// Int
	// broken.graphql:2:10: Undefined type Order.
}
