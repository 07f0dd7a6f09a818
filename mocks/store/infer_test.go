package store_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/store"
)

// summary is what the inference tests compare: the collection without its
// schemas, which are checked separately.
func summary(c store.Collection) store.Collection {
	c.ItemSchema, c.IDSchema, c.IDParamSchema, c.List.Schema = nil, nil, nil, nil
	return c
}

func inferByName(tb testing.TB, doc *openapi3.T) map[string]store.Collection {
	tb.Helper()
	out := map[string]store.Collection{}
	for _, c := range store.Infer(doc) {
		if _, dup := out[c.Name]; dup {
			tb.Fatalf("collection %q inferred twice", c.Name)
		}
		out[c.Name] = c
	}
	return out
}

func TestInferFixture(t *testing.T) {
	t.Parallel()
	got := inferByName(t, loadDoc(t, "testdata/shop.yaml"))
	want := map[string]store.Collection{
		"orders": {
			Name: "orders", ListPath: "/orders", ItemPath: "/orders/{id}", IDParam: "id", IDField: "id",
			CreateOp: "createOrder", ListOp: "listOrders", GetOp: "getOrder", PutOp: "replaceOrder", PatchOp: "patchOrder", DeleteOp: "deleteOrder",
			List: store.ListShape{Wrapped: true, ItemsField: "items", Style: store.StyleOffset, LimitParam: "limit", OffsetParam: "offset",
				FirstPage: 1, DefaultLimit: 20, MinLimit: 1, MaxLimit: 50, TotalField: "total", NextURLField: "next"},
		},
		"customers.addresses": {
			Name: "customers.addresses", ListPath: "/customers/{cid}/addresses", ItemPath: "/customers/{customer_id}/addresses/{address_id}",
			IDParam: "address_id", IDField: "id", ParentParams: []string{"cid"},
			CreateOp: "POST /customers/{cid}/addresses", ListOp: "GET /customers/{cid}/addresses",
			GetOp: "GET /customers/{customer_id}/addresses/{address_id}", DeleteOp: "DELETE /customers/{customer_id}/addresses/{address_id}",
			List: store.ListShape{FirstPage: 1},
		},
		"catalog.products": {
			Name: "catalog.products", ListPath: "/v1/catalog/products", IDField: "id", ListOp: "GET /v1/catalog/products",
			List: store.ListShape{Wrapped: true, ItemsField: "data", Style: store.StylePage, PageParam: "page", LimitParam: "per_page",
				FirstPage: 1, DefaultLimit: 10, MinLimit: 1, MaxLimit: 100,
				PageField: "meta.page", PageSizeField: "meta.per_page", TotalPagesField: "meta.total_pages", TotalField: "meta.total_count"},
		},
		"events": {
			Name: "events", ListPath: "/events", ItemPath: "/events/{event}", IDParam: "event", IDField: "id",
			ListOp: "GET /events", GetOp: "GET /events/{event}",
			List: store.ListShape{Wrapped: true, ItemsField: "data", Style: store.StyleCursor, LimitParam: "limit",
				CursorParam: "starting_after", BeforeParam: "ending_before", RawCursor: true, FirstPage: 1,
				DefaultLimit: 10, MinLimit: 1, HasMoreField: "has_more", URLField: "url"},
		},
		"widgets": {
			Name: "widgets", ListPath: "/widgets", ItemPath: "/widgets/{widget_id}", IDParam: "widget_id", IDField: "widget_id",
			ListOp: "GET /widgets", GetOp: "GET /widgets/{widget_id}",
			List: store.ListShape{Wrapped: true, ItemsField: "results", Style: store.StyleCursor, LimitParam: "page_size",
				CursorParam: "page_token", FirstPage: 1, DefaultLimit: 10, MinLimit: 1, NextCursorField: "next_page_token"},
		},
		"gadgets": {
			Name: "gadgets", ItemPath: "/gadgets/{gid}", IDParam: "gid", IDField: "gadgetId",
			GetOp: "GET /gadgets/{gid}", PutOp: "PUT /gadgets/{gid}",
		},
	}
	got2 := map[string]store.Collection{}
	for k, v := range got {
		got2[k] = summary(v)
	}
	if d := cmp.Diff(want, got2, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("inferred collections (-want +got):\n%s", d)
	}
	// The singleton /status and the action /orders/{id}/cancel are no collections.
	for _, name := range []string{"status", "orders.cancel"} {
		if _, ok := got[name]; ok {
			t.Errorf("%q inferred as a collection", name)
		}
	}
	if got["orders"].ItemSchema == nil || got["orders"].ItemSchema.Properties["total"] == nil {
		t.Error("orders: item schema not the Order schema")
	}
	if s := got["customers.addresses"].IDSchema; s == nil || s.Format != "uuid" {
		t.Errorf("addresses: id schema %v, want the uuid property", s)
	}
	if s := got["catalog.products"].ItemSchema; s == nil || s.Properties["name"] == nil {
		t.Error("catalog.products: item schema not taken from the list's items")
	}
}

func TestInferEdges(t *testing.T) {
	t.Parallel()
	if got := store.Infer(nil); got != nil {
		t.Fatalf("Infer(nil) = %v", got)
	}
	if got := store.Infer(&openapi3.T{}); got != nil {
		t.Fatalf("Infer(no paths) = %v", got)
	}
	obj := &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{"name": openapi3.NewStringSchema().NewRef()}}}
	get := func() *openapi3.Operation {
		op := openapi3.NewOperation()
		op.AddResponse(200, openapi3.NewResponse().WithJSONSchemaRef(obj))
		return op
	}
	paths := openapi3.NewPaths()
	// Two templates whose literal segments agree: names stay unique.
	paths.Set("/api/v2/things/{a}", &openapi3.PathItem{Get: get()})
	paths.Set("/things/{b}/x/{c}", &openapi3.PathItem{Get: get()})
	paths.Set("/2010-04-01/things.json/{d}", &openapi3.PathItem{Get: get()})
	var names []string
	for _, c := range store.Infer(&openapi3.T{Paths: paths}) {
		names = append(names, c.Name+" "+c.ItemPath+" "+c.IDField)
	}
	want := []string{"things /2010-04-01/things.json/{d} d", "things-2 /api/v2/things/{a} a", "things.x /things/{b}/x/{c} c"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestParentValues(t *testing.T) {
	t.Parallel()
	c := store.Collection{ListPath: "/a/{x}/b/{y}/c", ItemPath: "/a/{xx}/b/{yy}/c/{id}"}
	params := map[string]string{"x": "1", "y": "2", "xx": "3", "yy": "4", "id": "9"}
	if d := cmp.Diff([]string{"1", "2"}, c.ParentValues(c.ListPath, params)); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]string{"3", "4"}, c.ParentValues(c.ItemPath, params)); d != "" {
		t.Error(d)
	}
	if got := (store.Collection{ListPath: "/a", ItemPath: "/a/{id}"}).ParentValues("/a/{id}", params); got != nil {
		t.Errorf("top level parent = %v", got)
	}
}

// corpusCollections infers the collections of one real contract.
func corpusCollections(t *testing.T, file string) map[string]store.Collection {
	t.Helper()
	return inferByName(t, loadDoc(t, corpustest.File(t, "openapi", file)))
}

func TestInferCorpus(t *testing.T) {
	t.Parallel()
	t.Run("paypal catalog products: wrapper and page/page_size", func(t *testing.T) {
		t.Parallel()
		c := corpusCollections(t, "paypal__catalogs_products_v1.json")["catalogs.products"]
		want := store.Collection{Name: "catalogs.products", ListPath: "/v1/catalogs/products", ItemPath: "/v1/catalogs/products/{product_id}",
			IDParam: "product_id", IDField: "id", CreateOp: "products.create", ListOp: "products.list", GetOp: "products.get", PatchOp: "products.patch",
			List: store.ListShape{Wrapped: true, ItemsField: "products", Style: store.StylePage, PageParam: "page", LimitParam: "page_size",
				FirstPage: 1, DefaultLimit: 10, MinLimit: 1, MaxLimit: 20, TotalField: "total_items", TotalPagesField: "total_pages"}}
		if d := cmp.Diff(want, summary(c), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("stripe: data, has_more and starting_after", func(t *testing.T) {
		t.Parallel()
		all := corpusCollections(t, "stripe__spec2.2020-04-23.json")
		c := all["customers"]
		want := store.Collection{Name: "customers", ListPath: "/v1/customers", ItemPath: "/v1/customers/{customer}", IDParam: "customer", IDField: "id",
			CreateOp: "PostCustomers", ListOp: "GetCustomers", GetOp: "GetCustomersCustomer", UpdateOp: "PostCustomersCustomer", DeleteOp: "DeleteCustomersCustomer",
			List: store.ListShape{Wrapped: true, ItemsField: "data", Style: store.StyleCursor, LimitParam: "limit", CursorParam: "starting_after",
				BeforeParam: "ending_before", RawCursor: true, FirstPage: 1, DefaultLimit: 10, MinLimit: 1, HasMoreField: "has_more", URLField: "url",
				Filters: []store.Filter{
					{Param: "created", Paths: [][]string{{"created"}}, Kind: store.FilterEqual, Ranged: true},
					{Param: "email", Paths: [][]string{{"email"}}, Kind: store.FilterEqual},
				}}}
		if d := cmp.Diff(want, summary(c), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("customers (-want +got):\n%s", d)
		}
		// An invoice item's created is its own date ("Time at which the
		// object was created."), not the creation of the plan inside it.
		for _, f := range all["invoiceitems"].List.Filters {
			if f.Param == "created" && (f.Property() != "date" || !f.Ranged) {
				t.Errorf("invoice items: created filters by %s (ranged %v), want the item's date", f.Property(), f.Ranged)
			}
		}
		if r := all["charges.refunds"]; r.ItemPath != "/v1/charges/{charge}/refunds/{refund}" || len(r.ParentParams) != 1 || r.ParentParams[0] != "charge" || r.Parent != "charges" {
			t.Errorf("charges.refunds: %v parents %v", r, r.ParentParams)
		}
		// Singletons and records that hold arrays are not lists.
		for _, name := range []string{"balance", "charges.dispute", "credit_notes.preview", "account"} {
			if _, ok := all[name]; ok {
				t.Errorf("%q inferred as a collection", name)
			}
		}
		if len(all) < 80 {
			t.Errorf("only %d collections in Stripe's contract; expected over 80", len(all))
		}
	})
	t.Run("twilio: meta, zero-based Page and PageSize, nested Sid", func(t *testing.T) {
		t.Parallel()
		all := corpusCollections(t, "twilio__twilio_conversations_v1.json")
		c := all["Conversations.Messages"]
		want := store.Collection{Name: "Conversations.Messages", ListPath: "/v1/Conversations/{ConversationSid}/Messages",
			ItemPath: "/v1/Conversations/{ConversationSid}/Messages/{Sid}", IDParam: "Sid", IDField: "sid", ParentParams: []string{"ConversationSid"},
			CreateOp: "CreateConversationMessage", ListOp: "ListConversationMessage", GetOp: "FetchConversationMessage",
			UpdateOp: "UpdateConversationMessage", DeleteOp: "DeleteConversationMessage", Parent: "Conversations",
			List: store.ListShape{Wrapped: true, ItemsField: "messages", Style: store.StylePage, PageParam: "Page", LimitParam: "PageSize",
				FirstPage: 0, DefaultLimit: 10, MinLimit: 1, MaxLimit: 100, NextURLField: "meta.next_page_url", PrevURLField: "meta.previous_page_url",
				FirstURLField: "meta.first_page_url", URLField: "meta.url", PageField: "meta.page", PageSizeField: "meta.page_size",
				KeyField: "meta.key"}}
		if d := cmp.Diff(want, summary(c), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		if s := c.IDSchema; s == nil || s.Pattern == "" {
			t.Errorf("message sid schema %v: want its pattern", s)
		}
	})
	t.Run("hubspot business units: a list under a user", func(t *testing.T) {
		t.Parallel()
		all := corpusCollections(t, "hubspot__business-units-v3.openapi.yaml")
		c := all["business-units.user"]
		want := store.Collection{Name: "business-units.user", ListPath: "/business-units/v3/business-units/user/{userId}", IDField: "id",
			ParentParams: []string{"userId"}, ListOp: "get-/business-units/v3/business-units/user/{userId}",
			List: store.ListShape{Wrapped: true, ItemsField: "results", FirstPage: 1,
				Filters: []store.Filter{{Param: "name", Paths: [][]string{{"name"}}, Kind: store.FilterEqual}}}}
		if d := cmp.Diff(want, summary(c), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		if len(all) != 1 {
			t.Errorf("%d collections, want 1", len(all))
		}
		if r := corpusCollections(t, "twilio__twilio_conversations_v1.json")["Services.Conversations.Messages.Receipts"]; r.Parent != "Services.Conversations.Messages" {
			t.Errorf("receipts nest under %q, want Services.Conversations.Messages", r.Parent)
		}
	})
	t.Run("adyen: an offset that numbers pages, a required filter that is no id, a status by its values", func(t *testing.T) {
		t.Parallel()
		all := corpusCollections(t, "adyen__BalancePlatformService-v2.json")
		var c store.Collection
		for _, x := range all {
			if x.ListOp == "get-balanceAccounts-balanceAccountId-payoutSchedules-id-executions" {
				c = x
			}
		}
		if c.List.Style != store.StylePage || c.List.PageParam != "offset" || c.List.OffsetParam != "" || c.List.FirstPage != 1 || c.List.LimitParam != "limit" {
			t.Fatalf("executions page by %q (offset %q) from %d: %+v", c.List.PageParam, c.List.OffsetParam, c.List.FirstPage, summary(c).List)
		}
		req, err := c.List.PageRequest(url.Values{"offset": {"2"}, "limit": {"10"}})
		if err != nil || req != (store.PageRequest{Offset: 10, Limit: 10}) {
			t.Fatalf("offset=2&limit=10 asks %+v, %v; want the records from the 11th", req, err)
		}
		// A filter every listed record shares is not their id.
		if a := all["scaAssociations"]; a.ListOp != "get-scaAssociations" || a.IDField == "entityId" || a.IDField == "entityType" {
			t.Errorf("SCA associations (list %q) are identified by %q, a filter their list requires", a.ListOp, a.IDField)
		}
		// status on transfer limits is the limit's own limitStatus (the
		// same LimitStatus values), not the SCA status one level down.
		for _, name := range []string{"balanceAccounts.transferLimits", "balancePlatforms.transferLimits"} {
			var got []string
			for _, f := range all[name].List.Filters {
				got = append(got, f.Param+"="+f.Property())
			}
			if !slices.Contains(got, "status=limitStatus") {
				t.Errorf("%s filters %v, want status=limitStatus", name, got)
			}
		}
		// Card orders are created at their beginDate ("The date when the
		// card order is created."), not at endDate, whose description
		// only mentions the creation.
		var got []string
		for _, f := range all["cardorders"].List.Filters {
			got = append(got, f.Param+"="+f.Property())
		}
		if !slices.Contains(got, "createdSince=beginDate") || !slices.Contains(got, "createdUntil=beginDate") {
			t.Errorf("card orders filter %v, want createdSince and createdUntil on beginDate", got)
		}
		// Offsets that count records stay offsets.
		if b := all["accountHolders.balanceAccounts"]; b.List.Style != store.StyleOffset || b.List.OffsetParam != "offset" {
			t.Errorf("account holders' balance accounts page by %q %q, want offset", b.List.Style, b.List.OffsetParam)
		}
	})
	t.Run("postmark: count and offset, capitalised fields", func(t *testing.T) {
		t.Parallel()
		c := corpusCollections(t, "postmark__account-0.9.0.swagger.yaml")["servers"]
		if c.IDField != "ID" || c.List.Style != store.StyleOffset || c.List.LimitParam != "count" || c.List.OffsetParam != "offset" ||
			c.List.ItemsField != "Servers" || c.List.TotalField != "TotalCount" {
			t.Fatalf("servers: %+v", summary(c))
		}
	})
}

// FuzzInfer: any set of path templates infers without a panic, with unique
// names and item paths that end in their id parameter, and the store
// accepts a record in every collection.
func FuzzInfer(f *testing.F) {
	f.Add("/orders", "/orders/{id}", "/customers/{cid}/addresses/{id}")
	f.Add("/v1/{a}", "/{b}/{c}", "/")
	f.Add("//x//{}", "/x/{y", "/api/v2/2020-01-01/z.json")
	item := &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"id": openapi3.NewIntegerSchema().NewRef(), "name": openapi3.NewStringSchema().NewRef()}}}
	list := &openapi3.SchemaRef{Value: openapi3.NewArraySchema().WithItems(item.Value)}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		paths := openapi3.NewPaths()
		for i, p := range []string{a, b, c} {
			op := openapi3.NewOperation()
			body := item
			if i%2 == 0 {
				body = list
			}
			op.AddResponse(200, openapi3.NewResponse().WithJSONSchemaRef(body))
			post := openapi3.NewOperation()
			post.AddResponse(201, openapi3.NewResponse().WithJSONSchemaRef(item))
			paths.Set(p, &openapi3.PathItem{Get: op, Post: post})
		}
		colls := store.Infer(&openapi3.T{Paths: paths})
		names := map[string]bool{}
		s := store.New(colls...)
		for _, col := range colls {
			if col.Name == "" || names[col.Name] {
				t.Fatalf("empty or repeated name %q in %v", col.Name, colls)
			}
			names[col.Name] = true
			if col.ItemPath != "" && !strings.HasSuffix(strings.TrimRight(col.ItemPath, "/"), "{"+col.IDParam+"}") {
				t.Fatalf("item path %q, id parameter %q", col.ItemPath, col.IDParam)
			}
			if _, err := s.Create(col.Name, make([]string, len(col.ParentParams)), store.Record{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// JSON:API: page[number] and page[size], links.next is a URL, meta.total a
// count, filter[text] selects by the text property.
func TestInferJSONAPI(t *testing.T) {
	t.Parallel()
	str := openapi3.NewStringSchema()
	note := openapi3.NewObjectSchema().WithProperty("id", str).WithProperty("text", str)
	wrapper := openapi3.NewObjectSchema().
		WithProperty("data", openapi3.NewArraySchema().WithItems(note)).
		WithPropertyRef("links", openapi3.NewObjectSchema().WithProperty("next", str).WithProperty("self", str).NewRef()).
		WithPropertyRef("meta", openapi3.NewObjectSchema().WithProperty("total", openapi3.NewIntegerSchema()).NewRef())
	get := openapi3.NewOperation()
	get.AddResponse(200, openapi3.NewResponse().WithJSONSchema(wrapper))
	for _, name := range []string{"page[number]", "page[size]", "filter[text]"} {
		get.AddParameter(openapi3.NewQueryParameter(name).WithSchema(openapi3.NewIntegerSchema()))
	}
	paths := openapi3.NewPaths()
	paths.Set("/notes", &openapi3.PathItem{Get: get})
	colls := store.Infer(&openapi3.T{Paths: paths})
	if len(colls) != 1 {
		t.Fatalf("collections: %v", colls)
	}
	want := store.ListShape{Wrapped: true, ItemsField: "data", Style: store.StylePage, PageParam: "page[number]", LimitParam: "page[size]",
		FirstPage: 1, DefaultLimit: 10, MinLimit: 1, NextURLField: "links.next", URLField: "links.self", TotalField: "meta.total",
		Filters: []store.Filter{{Param: "filter[text]", Paths: [][]string{{"text"}}, Kind: store.FilterEqual}}}
	got := colls[0].List
	got.Schema = nil
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// A record that holds an "items" array is still a record when its path sits
// under a list path; the same answer under no list path is a list.
func TestInferRecordWithItems(t *testing.T) {
	t.Parallel()
	str := openapi3.NewStringSchema()
	order := openapi3.NewObjectSchema().WithProperty("status", str).
		WithProperty("items", openapi3.NewArraySchema().WithItems(openapi3.NewObjectSchema().WithProperty("sku", str)))
	getOrder := openapi3.NewOperation()
	getOrder.AddResponse(200, openapi3.NewResponse().WithJSONSchema(order))
	listOrders := openapi3.NewOperation()
	listOrders.AddResponse(200, openapi3.NewResponse().WithJSONSchema(openapi3.NewArraySchema().WithItems(order)))
	paths := openapi3.NewPaths()
	paths.Set("/orders", &openapi3.PathItem{Get: listOrders})
	paths.Set("/orders/{order}", &openapi3.PathItem{Get: getOrder})
	paths.Set("/carts/{user}", &openapi3.PathItem{Get: getOrder})
	var got []string
	for _, c := range store.Infer(&openapi3.T{Paths: paths}) {
		got = append(got, fmt.Sprintf("%s list=%s item=%s", c.Name, c.ListPath, c.ItemPath))
	}
	want := []string{"carts list=/carts/{user} item=", "orders list=/orders item=/orders/{order}"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// TestInferReferences: a property named for another collection's record
// (singular, with or without an id suffix) that holds an id is a
// reference; a property of that name holding something else (a domain
// name, a date) is not, nor is the record's own id.
func TestInferReferences(t *testing.T) {
	t.Parallel()
	const spec = `openapi: 3.0.3
info: {title: refs, version: "1"}
paths:
  /customers: {post: {responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}}}
  /customers/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
  /tax_rates: {post: {responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}}}}}
  /domains: {post: {responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {ID: {type: integer}}}}}}}}}
  /invoices: {post: {responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Invoice"}}}}}}}
  /invoices/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Invoice"}}}}}}}
  /tax_rates/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
  /domains/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: integer}}], responses: {"200": {description: ok}}}}
components:
  schemas:
    Customer: {type: object, properties: {id: {type: string}, email: {type: string}}}
    Invoice:
      type: object
      properties:
        id: {type: string}
        customer: {anyOf: [{type: string}, {$ref: "#/components/schemas/Customer"}]}
        tax_rate_id: {type: string}
        domain: {type: string, description: "the sending domain's name"}
        invoice: {type: string, description: "The ID of the invoice this one replaces."}
        created: {type: string, format: date-time}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	colls := inferByName(t, doc)
	for _, name := range []string{"customers", "tax_rates", "domains", "invoices"} {
		if _, ok := colls[name]; !ok {
			t.Fatalf("no collection %q inferred: %v", name, colls)
		}
	}
	got := colls["invoices"].References
	want := map[string]string{"customer": "customers", "tax_rate_id": "tax_rates"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("invoices references (-want +got):\n%s", d)
	}
}
