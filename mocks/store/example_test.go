package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
)

// A mock in stateful mode: infer the collections of a contract, then serve
// each request from the store.
func Example() {
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/shop.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	colls := store.Infer(doc)
	for _, c := range colls {
		fmt.Printf("%s: list %q item %q id %q\n", c.Name, c.ListPath, c.ItemPath, c.IDField)
	}

	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	s, err := store.NewWithOptions([]store.Option{store.WithClock(clock)}, colls...)
	if err != nil {
		fmt.Println(err)
		return
	}

	// POST /orders
	created, _ := s.Create("orders", nil, store.Record{"total": 12.5, "status": "open"})
	show(created)

	// PATCH /orders/1 with a JSON merge patch: null deletes.
	patched, _ := s.Patch("orders", nil, "1", map[string]any{"status": "paid", "total": nil})
	show(patched)

	// GET /orders/2
	if _, err := s.Get("orders", nil, "2"); errors.Is(err, store.ErrNotFound) {
		fmt.Println("404:", err)
	}

	// GET /orders?limit=1 answers in the contract's list shape.
	orders, _ := s.Collection("orders")
	s.Create("orders", nil, store.Record{"total": 3.0})
	req, _ := orders.List.PageRequest(url.Values{"limit": {"1"}})
	items, page, _ := s.List("orders", nil, req)
	page.URL = "http://127.0.0.1:8080/v2/orders"
	show(orders.List.Render(items, page, nil))

	// Nested collections are keyed by the parent's path values.
	addresses, _ := s.Collection("customers.addresses")
	parent := addresses.ParentValues(addresses.ItemPath, map[string]string{"customer_id": "c1", "address_id": "x"})
	fmt.Println(addresses.ParentParams, parent)

	// Output:
	// catalog.products: list "/v1/catalog/products" item "" id "id"
	// customers.addresses: list "/customers/{cid}/addresses" item "/customers/{customer_id}/addresses/{address_id}" id "id"
	// events: list "/events" item "/events/{event}" id "id"
	// gadgets: list "" item "/gadgets/{gid}" id "gadgetId"
	// orders: list "/orders" item "/orders/{id}" id "id"
	// widgets: list "/widgets" item "/widgets/{widget_id}" id "widget_id"
	// {"created_at":"2026-01-02T03:04:05Z","id":1,"status":"open","total":12.5,"updated_at":"2026-01-02T03:04:05Z"}
	// {"created_at":"2026-01-02T03:04:05Z","id":1,"status":"paid","updated_at":"2026-01-02T03:04:05Z"}
	// 404: store: orders "2": not found
	// {"items":[{"created_at":"2026-01-02T03:04:05Z","id":1,"status":"paid","updated_at":"2026-01-02T03:04:05Z"}],"next":"http://127.0.0.1:8080/v2/orders?limit=1&offset=1","total":2}
	// [cid] [c1]
}

func show(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// The admin API seeds collections and the consistency checks read them back,
// across parents, in insertion order.
func ExampleStore_Seed() {
	addresses := store.Collection{
		Name:         "customers.addresses",
		ListPath:     "/customers/{customer_id}/addresses",
		ItemPath:     "/customers/{customer_id}/addresses/{id}",
		IDParam:      "id",
		IDField:      "id",
		ParentParams: []string{"customer_id"},
	}
	s := store.New(addresses)
	err := s.Seed("customers.addresses", []store.Record{
		{"id": "a1", "customer_id": "c1", "city": "Lyon"},
		{"id": "a1", "customer_id": "c2", "city": "Oslo"}, // same id, other parent
	})
	fmt.Println("seed:", err)

	// PUT /customers/c1/addresses/a2 creates, a second PUT replaces.
	_, created, _ := s.Upsert("customers.addresses", []string{"c1"}, "a2", store.Record{"city": "Rome"})
	fmt.Println("created:", created)

	entries, _ := s.Entries("customers.addresses")
	for _, e := range entries {
		fmt.Println(e.Parent, e.ID, e.Record["city"])
	}
	fmt.Println(s.Len("customers.addresses"), "records")
	// Output:
	// seed: <nil>
	// created: true
	// [c1] a1 Lyon
	// [c2] a1 Oslo
	// [c1] a2 Rome
	// 3 records
}
