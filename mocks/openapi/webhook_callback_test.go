package openapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// webhookBodies are the bodies the mock delivered, in order.
func deliveredBodies(t *testing.T, srv *Server) []map[string]any {
	t.Helper()
	var bodies []map[string]any
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{Method: "POST"}) {
		if e.Direction != "webhook" {
			continue
		}
		v := map[string]any{}
		if err := json.Unmarshal(e.Body, &v); err != nil {
			t.Fatalf("delivery %s is not JSON: %v", e.Body, err)
		}
		bodies = append(bodies, v)
	}
	return bodies
}

// checkDeclared fails when a delivery breaks the schema it was shaped by.
func checkDeclared(t *testing.T, srv *Server, schema *openapi3.Schema, body map[string]any) {
	t.Helper()
	if vs := srv.Mock.validator.ValidateValue(schema, any(body), true); len(vs) > 0 {
		t.Errorf("the delivery %v breaks the declared schema: %v", body, vs)
	}
}

func callbackSchema(t *testing.T, cb *openapi3.CallbackRef) *openapi3.Schema {
	t.Helper()
	for _, item := range cb.Value.Map() {
		if s := webhookBodySchema(item); s != nil {
			return s
		}
	}
	t.Fatal("the callback declares no JSON body")
	return nil
}

// TestWebhookShapedByCallback: an OpenAPI 3.0 contract declares what it
// sends as callbacks; the example shop's createOrder declares orderCreated
// with an OrderEvent body whose type is an enum. A created order is
// delivered as that OrderEvent, its type the enum's value for the change.
func TestWebhookShapedByCallback(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "../../examples/ordersync/contracts/shop.openapi.yaml")
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, c, toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}}, WithStateful(true))
	req, _ := http.NewRequest("POST", srv.URL+"/orders", strings.NewReader(`{"number":7,"customer":{"email":"ada@example.com"},"total_price":"9.90","currency":"EUR","line_items":[{"sku":"TEA-01","quantity":1,"price":"9.90"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop-Key", "shpat_test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var order map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&order)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create order: %d %v", resp.StatusCode, order)
	}
	drainWebhooks(t, w)
	bodies := deliveredBodies(t, srv)
	if len(bodies) != 1 {
		t.Fatalf("%d deliveries, want 1", len(bodies))
	}
	ev := bodies[0]
	data, _ := ev["data"].(map[string]any)
	if ev["type"] != "order.created" || data["id"] != order["id"] || data["total_price"] != "9.90" {
		t.Errorf("delivery not shaped by the orderCreated callback: %v", ev)
	}
	op := c.Doc.Paths.Value("/orders").Post
	checkDeclared(t, srv, callbackSchema(t, op.Callbacks["orderCreated"]), ev)
	if got := rc.order; len(got) != 1 || got[0] != "order.created" {
		t.Errorf("the receiver saw event types %v", got)
	}
}

// callbacksContract subscribes through POST /subscriptions, whose
// callbacks name what is sent for orders (and for invoices, which this
// contract does not serve); updateOrder declares its own, unnamed
// callback; the components declare the one for removals.
var callbacksContract = strings.Replace(ordersContract, "components:", `  /subscriptions:
    get:
      operationId: listSubscriptions
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Subscription"}}}}}
    post:
      operationId: subscribe
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Subscription"}}}}
      responses:
        "201": {description: subscribed, content: {application/json: {schema: {$ref: "#/components/schemas/Subscription"}}}}
      callbacks:
        orderCreated:
          "{$request.body#/callback_url}":
            post:
              requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/OrderNotice"}}}}
              responses: {"200": {description: ok}}
        invoiceUpdated:
          "{$request.body#/callback_url}":
            post:
              requestBody: {content: {application/json: {schema: {type: object, required: [invoice_id], properties: {invoice_id: {type: string}}}}}}
              responses: {"200": {description: ok}}
components:
  callbacks:
    orderRemoved:
      "{$request.body#/callback_url}":
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [topic, resource]
                  properties:
                    topic: {type: string, enum: [orders/removed]}
                    resource: {$ref: "#/components/schemas/Order"}
          responses: {"200": {description: ok}}
`, 1) + `    Subscription:
      type: object
      required: [callback_url]
      properties:
        id: {type: string, readOnly: true}
        callback_url: {type: string, format: uri}
    OrderNotice:
      type: object
      required: [event, data, sent_at]
      properties:
        event: {type: string, enum: [order.paid, order.created, invoice.created]}
        data: {$ref: "#/components/schemas/Order"}
        sent_at: {type: string, format: date-time}
`

// withUpdateCallback gives updateOrder a callback whose name says nothing
// of the change: being the operation's only one, it is what it sends.
func withUpdateCallback(doc string) string {
	return strings.Replace(doc, `      operationId: updateOrder
`, `      operationId: updateOrder
      callbacks:
        onChange:
          "{$request.header.X-Notify}":
            post:
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [order, revision]
                      properties:
                        order: {$ref: "#/components/schemas/Order"}
                        revision: {type: integer, minimum: 1}
              responses: {"200": {description: ok}}
`, 1)
}

// TestWebhookCallbacksBySubscription: a client subscribes through the
// contract's subscription operation and receives every change of an
// order shaped by the callback the contract declares for it: named on the
// subscription operation, on the changing operation, or in the components.
func TestWebhookCallbacksBySubscription(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "callbacks.yaml", []byte(withUpdateCallback(callbacksContract)))
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, c, toolkit.WebhookOptions{}, WithStateful(true))
	vendorSend(t, "POST", srv.URL+"/subscriptions", `{"callback_url":"`+rc.url+`"}`)
	a := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A","qty":1}`)
	vendorSend(t, "PATCH", srv.URL+"/orders/"+fmt.Sprint(a["id"]), `{"qty":3}`)
	vendorSend(t, "DELETE", srv.URL+"/orders/"+fmt.Sprint(a["id"]), "")
	drainWebhooks(t, w)
	bodies := deliveredBodies(t, srv)
	if len(bodies) != 3 {
		t.Fatalf("%d deliveries, want 3: %v", len(bodies), bodies)
	}
	created, updated, removed := bodies[0], bodies[1], bodies[2]
	schemas := c.Doc.Components.Schemas
	if data, _ := created["data"].(map[string]any); created["event"] != "order.created" || data["id"] != a["id"] {
		t.Errorf("created: %v", created)
	}
	checkDeclared(t, srv, schemas["OrderNotice"].Value, created)
	if order, _ := updated["order"].(map[string]any); order["id"] != a["id"] || order["qty"] != float64(3) {
		t.Errorf("updated: %v", updated)
	}
	checkDeclared(t, srv, callbackSchema(t, c.Doc.Paths.Value("/orders/{id}").Patch.Callbacks["onChange"]), updated)
	if res, _ := removed["resource"].(map[string]any); removed["topic"] != "orders/removed" || res["id"] != a["id"] {
		t.Errorf("removed: %v", removed)
	}
	checkDeclared(t, srv, callbackSchema(t, c.Doc.Components.Callbacks["orderRemoved"]), removed)
}

// TestWebhookCallbackNegative: callbacks named for another collection or
// another change, or an operation's callbacks when it has several and none
// names the change, do not shape a delivery.
func TestWebhookCallbackNegative(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "callbacks.yaml", []byte(callbacksContract))
	orders := store.Collection{Name: "orders", ListPath: "/orders", ItemPath: "/orders/{id}"}
	if sh := findWebhookShape(c.Doc, orders, toolkit.EventUpdate); sh != nil {
		t.Errorf("an order update took the %s callback", sh.name)
	}
	if sh := findWebhookShape(c.Doc, store.Collection{Name: "customers", ListPath: "/customers"}, toolkit.EventCreate); sh != nil {
		t.Errorf("a customer creation took the %s callback", sh.name)
	}
	if sh := findWebhookShape(c.Doc, orders, toolkit.EventCreate); sh == nil || sh.name != "orderCreated" || sh.event != "order.created" {
		t.Errorf("order creation: %+v", sh)
	}
	two := strings.Replace(withUpdateCallback(callbacksContract), "        onChange:", `        audit:
          "{$request.header.X-Audit}":
            post:
              requestBody: {content: {application/json: {schema: {type: object}}}}
              responses: {"200": {description: ok}}
        onChange:`, 1)
	c2 := parseContract(t, "two.yaml", []byte(two))
	if sh := findWebhookShape(c2.Doc, orders, toolkit.EventUpdate); sh != nil {
		t.Errorf("with two callbacks, neither named for the change, the update took %s", sh.name)
	}
}

// TestDeclaredEventType: the type a delivery carries is the value its
// schema allows for the change.
func TestDeclaredEventType(t *testing.T) {
	t.Parallel()
	nouns := collectionNouns("orders")
	for _, tc := range []struct {
		schema *openapi3.Schema
		kind   string
		want   string
		ok     bool
	}{
		{&openapi3.Schema{Const: "order.created"}, toolkit.EventCreate, "order.created", true},
		{&openapi3.Schema{Enum: []any{"ping"}}, toolkit.EventDelete, "ping", true},
		{&openapi3.Schema{Enum: []any{"invoice.created", "order.created", "order.updated"}}, toolkit.EventCreate, "order.created", true},
		{&openapi3.Schema{Enum: []any{"invoice.created", "order.updated"}}, toolkit.EventCreate, "", false},
		{&openapi3.Schema{Enum: []any{"updated", "created"}}, toolkit.EventCreate, "created", true},
		{&openapi3.Schema{Enum: []any{"order.created", "order.updated"}}, toolkit.EventDelete, "", false},
		{&openapi3.Schema{}, toolkit.EventCreate, "", false},
	} {
		got, ok := declaredEventType(tc.schema, nouns, tc.kind)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%+v %s: %q %v, want %q %v", tc.schema.Enum, tc.kind, got, ok, tc.want, tc.ok)
		}
	}
}

// TestCallbackToRequestURL: a request that names a URL for one of its
// operation's callbacks ({$request.body#/callback_url}) gets the callback
// there, shaped by its schema and signed with the callback secret; a
// request that names none, or a URL beyond loopback, gets nothing.
func TestCallbackToRequestURL(t *testing.T) {
	t.Parallel()
	const secret = "whsec_Y2FsbGJhY2stc2VjcmV0LWZvci10ZXN0cw=="
	c := loadContract(t, "../../examples/ordersync/contracts/shop.openapi.yaml")
	rc := newHookReceiver(t, 1, func(h http.Header, body []byte) error { return verifyStandard(secret, h, body) })
	var logs lockedBuffer
	w, srv := hookedServer(t, c, toolkit.WebhookOptions{CallbackSecret: secret, Backoff: 10 * time.Millisecond}, WithStateful(true), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	order := func(callback string) map[string]any {
		body := `{"customer":{"email":"ada@example.com"},"total_price":"9.90","currency":"EUR","line_items":[{"sku":"TEA-01","quantity":1,"price":"9.90"}]` + callback + `}`
		req, _ := http.NewRequest("POST", srv.URL+"/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shop-Key", "shpat_test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create order: %d %v", resp.StatusCode, out)
		}
		return out
	}
	order("") // names no URL
	for range 3 {
		order(`,"callback_url":"http://203.0.113.9/orders/created"`) // beyond loopback
	}
	called := order(`,"callback_url":"` + rc.url + `"`)
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("signatures did not verify with the callback secret: %v", rc.bad)
	}
	if rc.seen != 2 || len(rc.ids) != 1 {
		t.Fatalf("receiver saw %d attempts, accepted %d; want 2 attempts (one refused), 1 accepted", rc.seen, len(rc.ids))
	}
	bodies := deliveredBodies(t, srv)
	if len(bodies) != 2 { // the refused attempt and its retry, same body
		t.Fatalf("%d callback attempts journaled, want 2", len(bodies))
	}
	ev := bodies[1]
	if data, _ := ev["data"].(map[string]any); ev["type"] != "order.created" || data["id"] != called["id"] {
		t.Errorf("callback body: %v (order %v)", ev, called["id"])
	}
	checkDeclared(t, srv, callbackSchema(t, c.Doc.Paths.Value("/orders").Post.Callbacks["orderCreated"]), ev)
	if n := strings.Count(logs.String(), "callback URL skipped"); n != 1 {
		t.Errorf("a URL beyond loopback said %d times, want once:\n%s", n, logs.String())
	}
	if scheme, got := w.CallbackSigning(); scheme != toolkit.SchemeStandard || got != secret {
		t.Errorf("CallbackSigning = %s %q", scheme, got)
	}
	if subs := w.Subscribers(); len(subs) != 0 {
		t.Errorf("callbacks listed as subscribers: %v", subs)
	}
}

// TestCallbackOfStatelessMock: without stateful collections, an action's
// callback is still called, its URL built from the request's query and the
// answer's body, its data the answer.
func TestCallbackOfStatelessMock(t *testing.T) {
	t.Parallel()
	c := parseContract(t, "payments.yaml", []byte(`openapi: 3.0.3
info: {title: Payments, version: "1"}
paths:
  /payments:
    post:
      operationId: createPayment
      parameters: [{name: notify, in: query, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {amount: {type: integer}}}}}}
      responses:
        "202":
          description: accepted
          content:
            application/json:
              schema: {type: object, required: [id, amount], properties: {id: {type: string}, amount: {type: integer}}}
              example: {id: pay_42, amount: 100}
      callbacks:
        paymentSettled:
          "{$request.query.notify}?ref={$response.body#/id}&status={$statusCode}":
            post:
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [status, id]
                      properties:
                        status: {type: string, enum: [settled]}
                        id: {type: string}
              responses: {"200": {description: ok}}
`))
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, c, toolkit.WebhookOptions{CallbackScheme: toolkit.SchemeGitHub})
	vendorSend(t, "POST", srv.URL+"/payments?notify="+rc.url, `{"amount":100}`)
	vendorSend(t, "POST", srv.URL+"/payments", `{"amount":5}`) // no notify: no callback
	drainWebhooks(t, w)
	var calls []toolkit.Entry
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Direction == "webhook" {
			calls = append(calls, e)
		}
	}
	if len(calls) != 1 {
		t.Fatalf("%d callbacks, want 1", len(calls))
	}
	got := calls[0]
	if got.Path != "/hooks" || got.Query != "ref=pay_42&status=202" || got.Status != http.StatusNoContent {
		t.Errorf("callback went to %s?%s (%d)", got.Path, got.Query, got.Status)
	}
	_, secret := w.CallbackSigning()
	if err := verifyGitHub(secret, got.Header, got.Body); err != nil {
		t.Errorf("GitHub-scheme signature: %v", err)
	}
	var body map[string]any
	_ = json.Unmarshal(got.Body, &body)
	if body["status"] != "settled" || body["id"] != "pay_42" {
		t.Errorf("callback body %v", body)
	}
	if q := w.Queue(); len(q.Subscribers) != 1 || q.Subscribers[0].URL != toolkit.CallbacksURL || q.Delivered != 1 {
		t.Errorf("queue: %+v", q)
	}
}

// TestCallbackExpressions evaluates the runtime expressions OpenAPI
// defines against one exchange.
func TestCallbackExpressions(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8080/shops/s1/orders?cb=http%3A%2F%2F127.0.0.1%3A9%2Fx", nil)
	req.Host = "127.0.0.1:8080"
	req.Header.Set("X-Notify", "http://127.0.0.1:9/n")
	a := &answered{
		x:      &exchange{Exchange: toolkit.Exchange{Request: req, Body: []byte(`{"hooks":{"a/b":"http://127.0.0.1:9/ab","list":["http://127.0.0.1:9/0"]},"n":7}`), PathParams: map[string]string{"shop": "s1"}}},
		status: 201, header: http.Header{"Location": {"/orders/9"}}, body: []byte(`{"id":"o_9","total":12.5}`),
	}
	for key, want := range map[string]string{
		"$method":                       "POST",
		"$url":                          "http://127.0.0.1:8080/shops/s1/orders?cb=http%3A%2F%2F127.0.0.1%3A9%2Fx",
		"{$request.query.cb}":           "http://127.0.0.1:9/x",
		"{$request.header.x-notify}":    "http://127.0.0.1:9/n",
		"{$request.body#/hooks/a~1b}":   "http://127.0.0.1:9/ab",
		"{$request.body#/hooks/list/0}": "http://127.0.0.1:9/0",
		"http://h/{$request.path.shop}/{$response.body#/id}?t={$response.body#/total}&n={$request.body#/n}": "http://h/s1/o_9?t=12.5&n=7",
		"http://h{$response.header.Location}?s={$statusCode}":                                               "http://h/orders/9?s=201",
	} {
		if got, ok := a.callbackURL(key); !ok || got != want {
			t.Errorf("%s = %q %v, want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"{$request.body#/missing}", "{$request.query.none}", "{$request.header.X-None}", "{$request.path.id}", "{$response.query.x}", "{$other.body}", "http://h/{$request.body#/hooks}x{$request.body#/nope}"} {
		if got, ok := a.callbackURL(key); ok {
			t.Errorf("%s resolved to %q, want unresolved", key, got)
		}
	}
}

// lockedBuffer is a log sink the mock's goroutines write while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FuzzCallbackURL: whatever a contract writes as a callback's key and
// whatever a client sends, resolving it never panics, and what resolves
// holds no unresolved expression.
func FuzzCallbackURL(f *testing.F) {
	for _, seed := range [][2]string{
		{"{$request.body#/callback_url}", `{"callback_url":"http://127.0.0.1:9/x"}`},
		{"http://h/{$request.body#/a/0/b}?s={$statusCode}", `{"a":[{"b":1}]}`},
		{"{$request.body#/~2}", `[1,2]`},
		{"$request.body", `"plain"`},
		{"{$response.body#/}", `{}`},
		{"{{$request.query.x}}", `null`},
		{"{$request.body#", `{`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, body string) {
		req, _ := http.NewRequest("POST", "http://127.0.0.1:1/p?x=1", nil)
		a := &answered{x: &exchange{Exchange: toolkit.Exchange{Request: req, Body: []byte(body), PathParams: map[string]string{"id": "7"}}},
			status: 201, header: http.Header{"Location": {"/l"}}, body: []byte(body)}
		if got, ok := a.callbackURL(key); ok && expression.MatchString(got) && !strings.Contains(body, "{$") && !strings.Contains(key, "{{") {
			t.Errorf("%q resolved to %q, which still holds an expression", key, got)
		}
	})
}
