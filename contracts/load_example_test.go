package contracts_test

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/contracts"
)

func ExampleLoadOpenAPI() {
	c, err := contracts.LoadOpenAPI(context.Background(), "testdata/openapi/swagger20.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), c.Version, c.BasePath())
	for _, p := range c.Problems {
		fmt.Println(p)
	}
	line, _ := c.Locate("/components/schemas/Order/properties/total")
	fmt.Println("total is declared on line", line)
	// Output:
	// swagger20 2.0 /api
	// testdata/openapi/swagger20.yaml:19:11: warning: array schema has no items; any item is accepted (at /paths/~1orders/get/parameters/1) [array-items-missing]
	// testdata/openapi/swagger20.yaml:64:9: warning: pattern "^(?!X)[A-Z0-9]+$" is not supported by Go's regexp (invalid or unsupported Perl syntax: `(?!`); it is not enforced (at /definitions/Line/properties/sku/pattern) [pattern-unsupported]
	// total is declared on line 53
}

func ExampleLoadOpenAPI_error() {
	_, err := contracts.LoadOpenAPI(context.Background(), "testdata/openapi/multi/broken.yaml")
	fmt.Println(err)
	// Output:
	// testdata/openapi/multi/broken.yaml:14:17: /paths/~1a/get/responses/200/content/application~1json/schema/$ref: cannot resolve $ref "#/components/schemas/Missing": the document has nothing at /components/schemas/Missing
}

func ExampleLintFiles() {
	problems, err := contracts.LintFiles(context.Background(), "testdata/lint/ambiguous.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// testdata/lint/ambiguous.yaml:18:3: error: path /orders/{orderId} matches the same URLs as /orders/{id} for GET: a router cannot tell them apart (at /paths/~1orders~1{orderId}) [path-ambiguous]
	// testdata/lint/ambiguous.yaml:20:7: error: operationId "getOrder" of GET /orders/{orderId} is already used by GET /orders/{id} (at /paths/~1orders~1{orderId}/get/operationId) [operation-id-duplicate]
}
