package contracts_test

import (
	"encoding/json"
	"fmt"

	"github.com/firedrill/firedrill/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// A response body for an order: realistic values by format and property
// name, the pattern and the enum obeyed, the writeOnly card token left out.
func ExampleSample() {
	var order openapi3.Schema
	_ = json.Unmarshal([]byte(`{
		"type": "object",
		"required": ["id", "email", "amount", "currency", "card_token"],
		"properties": {
			"id": {"type": "string", "readOnly": true, "pattern": "^ord_[0-9a-z]{8}$"},
			"email": {"type": "string", "format": "email"},
			"amount": {"type": "integer", "minimum": 50},
			"currency": {"type": "string", "enum": ["eur", "usd"]},
			"card_token": {"type": "string", "writeOnly": true}
		}
	}`), &order)
	v := contracts.Sample(&order, contracts.SampleOptions{Seed: 1, Direction: contracts.Response})
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
	// Output: {"amount":65276,"currency":"usd","email":"harmony.reid61@schneider.info","id":"ord_3013cc99"}
}

// Values for GraphQL scalars, built-in and custom, realistic for the field.
func ExampleFakeScalar() {
	fmt.Println(contracts.FakeScalar("createdAt", "DateTime", 1))
	fmt.Println(contracts.FakeScalar("totalCount", "Int", 1))
	fmt.Println(contracts.FakeScalar("email", "String", 1))
	fmt.Println(contracts.FakeScalar("oid", "GitObjectID", 1))
	// Output:
	// 2026-04-05T08:17:05Z
	// 34
	// zoeyvaldez78@douglas.name
	// 89a70e60997a4ef2d212ac7929c60d5ff61bc24b
}
