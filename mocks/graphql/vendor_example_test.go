package graphql_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A CRM's GraphQL API that wants an API key and allows one request per
// minute per key.
func ExampleWithAuth() {
	c, _ := contracts.LoadGraphQL(context.Background(), "testdata/shop.graphql")
	auth, _ := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"crm_key"}})
	s, err := graphql.NewServer(c, graphql.WithAuth(auth), graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 1, Per: time.Minute}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for _, key := range []string{"wrong", "crm_key", "crm_key"} {
		req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(`{"query":"{ version }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("%s: %d Retry-After=%q\n", key, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// wrong: 401 Retry-After=""
	// crm_key: 200 Retry-After=""
	// crm_key: 429 Retry-After="60"
}
