package openapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A mock that throttles like a vendor: each API key has a bucket of two
// requests refilled at one a minute; the third request is told when to come
// back.
func ExampleWithRateLimit() {
	limit, err := toolkit.ParseRateLimit("1/m,burst=2")
	if err != nil {
		panic(err)
	}
	c, _ := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	m, err := openapi.NewHandler(c, openapi.WithRateLimit(limit))
	if err != nil {
		panic(err)
	}
	for range 3 {
		req := httptest.NewRequest("GET", "/v1/pets", nil)
		req.Header.Set("X-API-Key", "k")
		w := httptest.NewRecorder()
		m.ServeHTTP(w, req)
		fmt.Printf("%d remaining=%s retry-after=%q\n", w.Code, w.Header().Get("X-RateLimit-Remaining"), w.Header().Get("Retry-After"))
	}
	fmt.Println(limit)
	// Output:
	// 200 remaining=1 retry-after=""
	// 200 remaining=0 retry-after=""
	// 429 remaining=0 retry-after="60"
	// 1/m,burst=2
}
