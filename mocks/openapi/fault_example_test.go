package openapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// HTTP faults on a mock: 503 for 30% of the requests, the same requests
// for the same seed, and the journal says which fault shaped which answer.
func ExampleWithFaults() {
	c, _ := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	faults := toolkit.NewFaultSet(42)
	s, err := openapi.NewServer(c, openapi.WithFaults(faults))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	if _, err := faults.Add(toolkit.HTTPFault{ID: "outage", Kind: toolkit.FaultStatus, Rate: 0.3, Params: map[string]string{"status": "503"}}); err != nil {
		panic(err)
	}
	var got strings.Builder
	for range 20 {
		req, _ := http.NewRequest("GET", s.URL+"/pets/1", nil)
		req.Header.Set("X-API-Key", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			got.WriteByte('x')
		} else {
			got.WriteByte('.')
		}
	}
	fmt.Println(got.String())
	fmt.Println(s.Mock.Journal().Entries(toolkit.Filter{Status: 503})[0].Fault)
	fmt.Printf("%+v\n", faults.List()[0].Hits)
	// Output:
	// .xxx..x.x..x..x.....
	// status 503
	// 7
}
