package mocks

import (
	"fmt"
	"testing"
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
	for _, e := range m.Journal().Entries(Filter{}) {
		if e.Status == 404 && (e.Operation != "captureOrder" && e.Operation != "POST /orders/{id}/refund") {
			t.Errorf("404 journaled as %q", e.Operation)
		}
		entries++
	}
	if entries != 5 {
		t.Errorf("%d journal entries, want 5", entries)
	}
}
