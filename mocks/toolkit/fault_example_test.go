package toolkit_test

import (
	"fmt"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A fault with a wrong parameter is refused with an error naming it.
func ExampleParseHTTPFault() {
	_, err := toolkit.ParseHTTPFault([]byte(`{"kind": "slow", "rate": 0.5, "params": {"delay": "soon"}}`))
	fmt.Println(err)
	// Output:
	// mocks: fault slow: params.delay: "soon" is not a duration (like 2s or 150ms): invalid fault
}
