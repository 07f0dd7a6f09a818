package toolkit_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// API keys checked where the contract's security scheme reads them, and a
// key revoked while the mock runs ("credentials rotated").
func ExampleNewAuth() {
	auth, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"key-live", "key-old"}})
	if err != nil {
		panic(err)
	}
	c, _ := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	m, err := openapi.NewHandler(c, openapi.WithAuth(auth))
	if err != nil {
		panic(err)
	}
	status := func(key string) int {
		req := httptest.NewRequest("GET", "/v1/pets", nil)
		req.Header.Set("X-API-Key", key)
		w := httptest.NewRecorder()
		m.ServeHTTP(w, req)
		return w.Code
	}
	fmt.Println(status("key-live"), status("key-old"), status("guess"))
	auth.RevokeKey("key-old")
	fmt.Println(status("key-live"), status("key-old"))
	// Output:
	// 200 200 401
	// 200 401
}
