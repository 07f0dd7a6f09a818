package openapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// actionsContract has an order collection with two actions: capture answers
// with the order, refund with a refund of its own.
const actionsContract = `openapi: 3.0.3
info: {title: payments, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
      responses: {"201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}}
  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{$ref: "#/components/parameters/id"}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}}
  /orders/{id}/capture:
    post:
      operationId: captureOrder
      parameters: [{$ref: "#/components/parameters/id"}]
      responses: {"201": {description: captured, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}}
  /orders/{id}/refund:
    post:
      parameters: [{$ref: "#/components/parameters/id"}]
      responses:
        "200":
          description: refunded
          content: {application/json: {schema: {type: object, required: [refund_id, status], properties: {refund_id: {type: string}, status: {type: string, enum: [PENDING, COMPLETED]}}}}}
components:
  parameters:
    id: {name: id, in: path, required: true, schema: {type: string, pattern: "^[A-Z0-9]+$"}}
  schemas:
    Order:
      type: object
      required: [id, status]
      properties:
        id: {type: string, readOnly: true}
        status: {type: string, enum: [CREATED, COMPLETED]}
        note: {type: string}
`

// TestStatefulActions: an action on a record the store does not hold is a
// 404, as on the vendor; an action whose answer is the record answers with
// it (same id, what was stored); another action's answer comes from the
// contract once the record is known to exist.
func TestStatefulActions(t *testing.T) {
	t.Parallel()
	m, err := NewHandler(parseContract(t, "payments.yaml", []byte(actionsContract)), WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	jsonCT := []string{"Content-Type", "application/json"}
	resp := call(t, m, "POST", "/orders", `{"status":"CREATED","note":"gift wrap"}`, jsonCT...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, readBody(t, resp))
	}
	id := fmt.Sprint(jsonOf(t, resp)["id"])

	resp = call(t, m, "POST", "/orders/"+id+"/capture", "")
	got := jsonOf(t, resp)
	if resp.StatusCode != 201 || got["id"] != id || got["note"] != "gift wrap" {
		t.Errorf("capture of order %s: %d %v, want 201 with the order", id, resp.StatusCode, got)
	}
	validAnswer(t, m, "POST", "/orders/"+id+"/capture", resp)

	resp = call(t, m, "POST", "/orders/"+id+"/refund", "")
	if got := jsonOf(t, resp); resp.StatusCode != 200 || got["refund_id"] == nil {
		t.Errorf("refund of order %s: %d %v, want the contract's refund", id, resp.StatusCode, got)
	}
	for _, action := range []string{"capture", "refund"} {
		resp := call(t, m, "POST", "/orders/NOSUCHORDER/"+action, "")
		if resp.StatusCode != 404 {
			t.Errorf("%s of an order never created: %d, want 404", action, resp.StatusCode)
		}
	}
	var entries int
	for _, e := range m.Journal().Entries(toolkit.Filter{}) {
		if e.Status == 404 && (e.Operation != "captureOrder" && e.Operation != "POST /orders/{id}/refund") {
			t.Errorf("404 journaled as %q", e.Operation)
		}
		entries++
	}
	if entries != 5 {
		t.Errorf("%d journal entries, want 5", entries)
	}
}

// TestStatefulNewRecordHasEmptyLists: a list object a new record does not
// hold (Stripe's customer.sources) is answered empty, not filled with
// generated items from nobody's account; the answer still validates.
func TestStatefulNewRecordHasEmptyLists(t *testing.T) {
	t.Parallel()
	const spec = `openapi: 3.0.3
info: {title: billing, version: "1"}
paths:
  /customers:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {email: {type: string}}}}}}
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}
  /customers/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}
components:
  schemas:
    Customer:
      type: object
      required: [id, object, sources]
      properties:
        id: {type: string}
        object: {type: string, enum: [customer]}
        email: {type: string}
        sources:
          type: object
          required: [object, data, has_more, url, total_count]
          properties:
            object: {type: string, enum: [list]}
            data: {type: array, items: {type: object, required: [id], properties: {id: {type: string}, last4: {type: string}}}}
            has_more: {type: boolean}
            total_count: {type: integer}
            url: {type: string}
`
	m, err := NewHandler(parseContract(t, "billing.yaml", []byte(spec)), WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	resp := call(t, m, "POST", "/customers", `{"email":"ada@example.com"}`, "Content-Type", "application/json")
	validAnswer(t, m, "POST", "/customers", resp)
	got := jsonOf(t, resp)
	sources, _ := got["sources"].(map[string]any)
	if data, ok := sources["data"].([]any); !ok || len(data) != 0 || sources["has_more"] != false || sources["total_count"] != float64(0) || sources["object"] != "list" {
		t.Fatalf("a new customer's sources: %v, want an empty list", sources)
	}
	id := fmt.Sprint(got["id"])
	resp = call(t, m, "GET", "/customers/"+id, "")
	validAnswer(t, m, "GET", "/customers/"+id, resp)
	if sources, _ := jsonOf(t, resp)["sources"].(map[string]any); len(sources["data"].([]any)) != 0 {
		t.Fatalf("read back, the customer's sources: %v", sources)
	}
}

// referencesContract has customers and invoices naming them, Stripe's way
// (an expandable "customer": the id or the object).
const referencesContract = `openapi: 3.0.3
info: {title: billing, version: "1"}
paths:
  /customers:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {email: {type: string}}}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}
  /customers/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}
  /invoices:
    post:
      requestBody: {content: {application/json: {schema: {type: object, required: [customer], properties: {customer: {type: string}, amount: {type: integer}}}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Invoice"}}}}}
  /invoices/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Invoice"}}}}}
    patch:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/merge-patch+json: {schema: {type: object, properties: {customer: {type: string}}}}}}
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Invoice"}}}}}
components:
  schemas:
    Customer: {type: object, required: [id], properties: {id: {type: string}, email: {type: string}}}
    Invoice:
      type: object
      required: [id, customer]
      properties:
        id: {type: string}
        amount: {type: integer}
        customer: {anyOf: [{type: string}, {$ref: "#/components/schemas/Customer"}]}
`

// TestStatefulReferences: with references checked, an invoice naming a
// customer the mock never created is refused with 400 naming the property
// (an integration that invoices before it syncs the customer fails the
// drill), and goes through once the customer exists; a patch is checked
// too. Without the option the same invoice is accepted, as before.
func TestStatefulReferences(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "billing.yaml", []byte(referencesContract))
	m, err := NewHandler(c, WithStateful(true), WithReferences(true))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.state.byOp["POST /invoices"].coll.References; got["customer"] != "customers" || len(got) != 1 {
		t.Fatalf("invoices reference %v, want customer → customers", got)
	}
	jsonCT := []string{"Content-Type", "application/json"}
	resp := call(t, m, "POST", "/invoices", `{"customer":"cus_never","amount":1250}`, jsonCT...)
	if p := decodeProblem(t, resp); resp.StatusCode != 400 || !strings.Contains(p.Detail, `customer "cus_never": no such record in customers`) {
		t.Fatalf("invoice for an unknown customer: %d %+v, want 400 naming it", resp.StatusCode, p)
	}
	cust := jsonOf(t, call(t, m, "POST", "/customers", `{"email":"ada@example.com"}`, jsonCT...))
	resp = call(t, m, "POST", "/invoices", fmt.Sprintf(`{"customer":%q,"amount":1250}`, cust["id"]), jsonCT...)
	if resp.StatusCode != 201 {
		t.Fatalf("invoice for a known customer: %d %s", resp.StatusCode, readBody(t, resp))
	}
	inv := fmt.Sprint(jsonOf(t, resp)["id"])
	resp = call(t, m, "PATCH", "/invoices/"+inv, `{"customer":"cus_gone"}`, "Content-Type", "application/merge-patch+json")
	if resp.StatusCode != 400 {
		t.Errorf("patch to an unknown customer: %d, want 400", resp.StatusCode)
	}

	loose, err := NewHandler(c, WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	if resp := call(t, loose, "POST", "/invoices", `{"customer":"cus_never"}`, jsonCT...); resp.StatusCode != 201 {
		t.Errorf("without references checked: %d, want 201", resp.StatusCode)
	}
	if _, err := NewHandler(c, WithReferences(true)); err == nil {
		t.Error("references without stateful collections are accepted")
	}
}
