package ci_test

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/openapi"
)

// Verify a provider against its contract: here firedrill's own mock of
// the accounting API, which keeps it; the writes are skipped without
// AllowWrites.
func ExampleVerify() {
	ctx := context.Background()
	c, err := contracts.LoadOpenAPI(ctx, "../examples/ordersync/contracts/accounting.openapi.yaml")
	if err != nil {
		panic(err)
	}
	api, err := openapi.NewServer(c)
	if err != nil {
		panic(err)
	}
	defer api.Close()
	v, err := ci.Verify(ctx, c, ci.VerifyOptions{
		BaseURL: api.URL,
		Rate:    contracts.MustRate("100/s"),
		Getenv:  func(name string) string { return map[string]string{ci.EnvBearerToken: "test-token"}[name] },
	})
	if err != nil {
		panic(err)
	}
	for _, o := range v.Operations {
		fmt.Printf("%-7s %s %d\n", o.Outcome, o.Operation, o.Status)
	}
	fmt.Println("drift:", v.Err() != nil)
	// Output:
	// pass    listInvoices 200
	// skipped createInvoice 0
	// pass    getInvoice 200
	// drift: false
}
