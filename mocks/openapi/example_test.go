package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A mock server on loopback: refusals name every violation, valid requests
// get the contract's example.
func ExampleNewServer() {
	c, err := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	if err != nil {
		panic(err)
	}
	s, err := openapi.NewServer(c)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	resp, _ := http.Get(s.URL + "/pets/1") // no API key
	var p toolkit.Problem
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), p.Violations[0].In)

	req, _ := http.NewRequest("GET", s.URL+"/pets/1", nil)
	req.Header.Set("X-API-Key", "any-key")
	resp, _ = http.DefaultClient.Do(req)
	var pet struct{ Name string }
	json.NewDecoder(resp.Body).Decode(&pet)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, pet.Name)
	// Output:
	// 401 application/problem+json security
	// 200 Rex
}

// A stateful mock as an http.Handler: what is created can be read back, and
// the journal records every exchange.
func ExampleNewHandler() {
	c, _ := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	m, err := openapi.NewHandler(c, openapi.WithStateful(true), openapi.WithSeed(7))
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("POST", "/v1/pets", strings.NewReader(`{"name":"Tom","species":"cat"}`))
	req.Header.Set("X-API-Key", "k")
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	m.ServeHTTP(w, req)
	var pet struct {
		ID   int64
		Name string
	}
	json.Unmarshal(w.Body.Bytes(), &pet)

	req = httptest.NewRequest("GET", fmt.Sprintf("/v1/pets/%d", pet.ID), nil)
	req.Header.Set("X-API-Key", "k")
	w = httptest.NewRecorder()
	m.ServeHTTP(w, req)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `"name":"Tom"`))
	for _, e := range m.Journal().Entries(toolkit.Filter{}) {
		fmt.Println(e.Method, e.Template, e.Operation, e.Status, e.Header.Get("X-API-Key"))
	}
	// Output:
	// 200 true
	// POST /pets createPet 201 ***
	// GET /pets/{petId} getPet 200 ***
}
