package openapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

const ordersContract = `openapi: 3.0.3
info: {title: Orders, version: "1"}
paths:
  /orders:
    get:
      operationId: listOrders
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Order"}}}}}
    post:
      operationId: createOrder
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
  /orders/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getOrder
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
    patch:
      operationId: updateOrder
      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}
    delete:
      operationId: deleteOrder
      responses:
        "204": {description: gone}
components:
  schemas:
    Order:
      type: object
      properties:
        id: {type: string, readOnly: true}
        sku: {type: string}
        qty: {type: integer}
`

// Independent verifiers, written from each vendor's documentation and
// checked against the vectors they publish (TestWebhookVerifiersMatchPublishedVectors).

func verifyStandard(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, _ := strings.Cut(sig, ","); v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", h.Get("webhook-signature"))
}

func verifyStripe(secret string, h http.Header, body []byte) error {
	var ts, v1 string
	for _, kv := range strings.Split(h.Get("Stripe-Signature"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	if ts == "" || !hmac.Equal([]byte(v1), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		return fmt.Errorf("Stripe-Signature %q does not verify", h.Get("Stripe-Signature"))
	}
	return nil
}

func verifyGitHub(secret string, h http.Header, body []byte) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if got := h.Get("X-Hub-Signature-256"); !hmac.Equal([]byte(got), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
		return fmt.Errorf("X-Hub-Signature-256 %q does not verify", got)
	}
	return nil
}

func verifyHMAC(secret string, h http.Header, body []byte) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if got := h.Get("X-Webhook-Signature"); got != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		return fmt.Errorf("X-Webhook-Signature %q does not verify", got)
	}
	return nil
}

// hookReceiver is a webhook endpoint on loopback that verifies signatures,
// fails the first failFirst deliveries and counts the accepted ones by id.
type hookReceiver struct {
	mu        sync.Mutex
	verify    func(http.Header, []byte) error
	failFirst int
	seen      int
	bad       []string
	accepted  map[string]int
	order     []string // event types of accepted deliveries, in arrival order
	ids       []string // ids of accepted deliveries, in arrival order
	url       string
}

func newHookReceiver(t *testing.T, failFirst int, verify func(http.Header, []byte) error) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{verify: verify, failFirst: failFirst, accepted: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.seen++
		if err := rc.verify(r.Header, body); err != nil {
			rc.bad = append(rc.bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if rc.seen <= rc.failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &ev)
		id := r.Header.Get("webhook-id") + r.Header.Get("X-GitHub-Delivery")
		if id == "" {
			id = ev.ID
		}
		rc.accepted[id]++
		rc.ids = append(rc.ids, id)
		rc.order = append(rc.order, ev.Type)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hooks"
	return rc
}

func ordersServer(t *testing.T, w *toolkit.Webhooks) *Server {
	t.Helper()
	t.Cleanup(w.Close)
	srv, err := NewServer(parseContract(t, "orders.yaml", []byte(ordersContract)), WithStateful(true), WithWebhooks(w))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// hookedServer serves c with webhooks built from o (closed at the end of
// the test), and the options given.
func hookedServer(t *testing.T, c *contracts.OpenAPI, o toolkit.WebhookOptions, opts ...Option) (*toolkit.Webhooks, *Server) {
	t.Helper()
	w, err := toolkit.NewWebhooks(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	srv, err := NewServer(c, append(opts, WithWebhooks(w))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return w, srv
}

func vendorSend(t *testing.T, method, url, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	out := map[string]any{}
	_ = json.Unmarshal(data, &out)
	return out
}

func drainWebhooks(t *testing.T, w *toolkit.Webhooks) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookRetriedExactlyOnceInOrder is the proof of issue 3: a receiver
// that fails three times and then succeeds receives every event exactly
// once, in order.
func TestWebhookRetriedExactlyOnceInOrder(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	rc := newHookReceiver(t, 3, func(h http.Header, b []byte) error { return verifyStandard(secret, h, b) })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url, Secret: secret}}, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := ordersServer(t, w)
	a := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A","qty":1}`)
	id := fmt.Sprint(a["id"])
	vendorSend(t, "PATCH", srv.URL+"/orders/"+id, `{"qty":2}`)
	vendorSend(t, "PATCH", srv.URL+"/orders/"+id, `{"qty":3}`)
	vendorSend(t, "DELETE", srv.URL+"/orders/"+id, "")
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := []string{"orders.created", "orders.updated", "orders.updated", "orders.deleted"}
	if strings.Join(rc.order, " ") != strings.Join(want, " ") {
		t.Fatalf("received %v, want %v in that order", rc.order, want)
	}
	for id, n := range rc.accepted {
		if n != 1 {
			t.Errorf("delivery %s accepted %d times", id, n)
		}
	}
	if len(rc.accepted) != 4 || len(rc.bad) != 0 || rc.seen != 7 {
		t.Errorf("%d accepted, %d bad signatures (%v), %d attempts: want 4, 0, 7", len(rc.accepted), len(rc.bad), rc.bad, rc.seen)
	}
	var attempts, failed int
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{Method: "POST"}) {
		if e.Direction != "webhook" {
			continue
		}
		attempts++
		if e.Error != "" {
			failed++
			if e.Status != 503 {
				t.Errorf("failed attempt journaled with status %d", e.Status)
			}
		}
	}
	if attempts != 7 || failed != 3 {
		t.Errorf("journal: %d attempts, %d failed; want 7 and 3", attempts, failed)
	}
	if q := w.Queue(); q.Delivered != 4 || q.Pending != 0 || q.Failed != 0 {
		t.Errorf("queue %+v", q)
	}
}

func TestWebhookSchemesVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheme toolkit.WebhookScheme
		secret string
		verify func(string, http.Header, []byte) error
	}{
		{toolkit.SchemeStandard, "", verifyStandard},
		{toolkit.SchemeStripe, "whsec_stripe_test_secret", verifyStripe},
		{toolkit.SchemeGitHub, "gh-secret", verifyGitHub},
		{toolkit.SchemeHMAC, "", verifyHMAC},
	} {
		t.Run(string(tc.scheme), func(t *testing.T) {
			t.Parallel()
			var secret string
			rc := newHookReceiver(t, 0, func(h http.Header, b []byte) error { return tc.verify(secret, h, b) })
			w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url, Secret: tc.secret, Scheme: tc.scheme}}})
			if err != nil {
				t.Fatal(err)
			}
			secret = w.Subscribers()[0].Secret // generated for the standard scheme
			srv := ordersServer(t, w)
			vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A"}`)
			drainWebhooks(t, w)
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.accepted) != 1 || len(rc.bad) != 0 {
				t.Fatalf("accepted %d, refused %v", len(rc.accepted), rc.bad)
			}
			// Negative control: the same delivery with another secret does not verify.
			e := srv.Mock.Journal().Entries(toolkit.Filter{Method: "POST", Operation: "orders.created"})
			if len(e) != 1 {
				t.Fatalf("%d journaled deliveries", len(e))
			}
			if err := tc.verify(secret+"x", e[0].Header, e[0].Body); err == nil {
				t.Error("a delivery verifies with the wrong secret")
			}
			if err := tc.verify(secret, e[0].Header, append(e[0].Body, ' ')); err == nil {
				t.Error("a tampered delivery verifies")
			}
		})
	}
}

func TestWebhookPauseResumeDrainAdmin(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url, Events: []string{toolkit.EventCreate}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := ordersServer(t, w)
	admin := httptest.NewServer(w.AdminHandler())
	t.Cleanup(admin.Close)
	post := func(path string) (int, toolkit.WebhookQueue) {
		resp, err := http.Post(admin.URL+toolkit.WebhooksPath+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var q toolkit.WebhookQueue
		_ = json.NewDecoder(resp.Body).Decode(&q)
		return resp.StatusCode, q
	}
	if s, q := post("/pause"); s != 200 || !q.Paused {
		t.Fatalf("pause: %d %+v", s, q)
	}
	a := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A"}`)
	vendorSend(t, "DELETE", srv.URL+"/orders/"+fmt.Sprint(a["id"]), "") // not subscribed
	time.Sleep(50 * time.Millisecond)
	resp, _ := vendorGet(t, admin.URL+toolkit.WebhooksPath)
	var q toolkit.WebhookQueue
	_ = json.NewDecoder(resp.Body).Decode(&q)
	if rc.seenCount() != 0 || w.Queue().Pending != 1 || w.Queue().Subscribers[0].Next[0] != "orders.created" {
		t.Fatalf("paused: %d delivered, queue %+v", rc.seenCount(), w.Queue())
	}
	if s, _ := post("/drain"); s != http.StatusConflict {
		t.Errorf("drain while paused: %d, want 409", s)
	}
	if s, _ := post("/drain?timeout=forever"); s != http.StatusBadRequest {
		t.Errorf("bad timeout: %d", s)
	}
	post("/resume")
	if s, q := post("/drain?timeout=5s"); s != 200 || q.Pending != 0 || q.Delivered != 1 {
		t.Fatalf("drain: %d %+v", s, q)
	}
	if rc.seenCount() != 1 {
		t.Errorf("%d deliveries, want 1 (deletes are not subscribed)", rc.seenCount())
	}
}

func (rc *hookReceiver) seenCount() int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.seen }

func TestWebhookGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t, 1000, func(http.Header, []byte) error { return nil })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}, MaxAttempts: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := ordersServer(t, w)
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A"}`)
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"B"}`)
	drainWebhooks(t, w)
	if q := w.Queue(); q.Failed != 2 || q.Delivered != 0 || rc.seenCount() != 6 {
		t.Errorf("queue %+v after %d attempts: want 2 given up after 3 attempts each", q, rc.seenCount())
	}
}

func TestWebhookClose(t *testing.T) {
	t.Parallel()
	var nilW *toolkit.Webhooks
	nilW.Close()
	rc := newHookReceiver(t, 1000, func(http.Header, []byte) error { return nil })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}, Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := ordersServer(t, w)
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A"}`)
	for rc.seenCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { w.Close(); w.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a delivery waiting an hour to retry")
	}
	if err := w.Drain(context.Background()); err == nil {
		t.Error("drain after close with events queued reported success")
	}
}

// TestWebhookShapedByContract: an OpenAPI 3.1 contract that declares its
// webhooks gets deliveries in the declared shape, valid against it; a kind
// of change it does not declare falls back to the record with its type.
func TestWebhookShapedByContract(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(ordersContract, "openapi: 3.0.3", "openapi: 3.1.0", 1) + `webhooks:
  order.created:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [id, created, type, environment, data]
              properties:
                id: {type: string}
                created: {type: integer}
                type: {type: string}
                environment: {type: string, enum: [test, live]}
                data: {$ref: "#/components/schemas/Order"}
      responses: {"200": {description: ok}}
`
	c := parseContract(t, "orders31.yaml", []byte(doc))
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, c, toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}}, WithStateful(true))
	a := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"A","qty":2}`)
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"B","qty":1}`)
	vendorSend(t, "DELETE", srv.URL+"/orders/"+fmt.Sprint(a["id"]), "")
	drainWebhooks(t, w)
	entries := srv.Mock.Journal().Entries(toolkit.Filter{Method: "POST"})
	var bodies []map[string]any
	for _, e := range entries {
		if e.Direction == "webhook" {
			var v map[string]any
			if err := json.Unmarshal(e.Body, &v); err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, v)
		}
	}
	if len(bodies) != 3 {
		t.Fatalf("%d deliveries, want 3", len(bodies))
	}
	// Deliveries keep their order per resource only: find each by its
	// record and type.
	var created, deleted map[string]any
	for _, b := range bodies {
		data, _ := b["data"].(map[string]any)
		switch {
		case data["id"] == a["id"] && b["type"] == "order.created":
			created = b
		case data["id"] == a["id"]:
			deleted = b
		}
	}
	if created == nil || deleted == nil {
		t.Fatalf("deliveries %v: want the created and the deleted event of %v", bodies, a["id"])
	}
	// Each event has an id of its own and the time of its change, as a
	// receiver that deduplicates by event id needs.
	ids := map[any]bool{}
	for _, b := range bodies {
		ids[b["id"]] = true
	}
	if len(ids) != len(bodies) || ids[""] || ids[nil] {
		t.Errorf("event ids %v: want one of its own per event", ids)
	}
	if at, _ := created["created"].(float64); time.Since(time.Unix(int64(at), 0)).Abs() > time.Minute {
		t.Errorf("event created %v, want about now", created["created"])
	}
	data, _ := created["data"].(map[string]any)
	if created["type"] != "order.created" || data["sku"] != "A" || data["id"] != a["id"] {
		t.Errorf("declared shape: %v", created)
	}
	if env := created["environment"]; env != "test" && env != "live" {
		t.Errorf("required field generated outside its enum: %v", env)
	}
	schema := c.Doc.Webhooks["order.created"].Post.RequestBody.Value.Content["application/json"].Schema.Value
	if vs := srv.Mock.validator.ValidateValue(schema, any(created), true); len(vs) > 0 {
		t.Errorf("the delivery breaks the declared schema: %v", vs)
	}
	if deleted["type"] != "orders.deleted" || deleted["data"].(map[string]any)["id"] != a["id"] {
		t.Errorf("undeclared change: %v", deleted)
	}
	for _, coll := range srv.Mock.Store().Collections() {
		if def, _ := srv.Mock.Store().Collection(coll); isSubscriptionCollection(def) {
			t.Errorf("collection %s taken for webhook subscriptions", coll)
		}
	}
	st := srv.Mock.Store()
	orders, _ := st.Collection("orders")
	if findWebhookShape(c.Doc, orders, toolkit.EventUpdate) != nil || findWebhookShape(c.Doc, store.Collection{Name: "invoices"}, toolkit.EventCreate) != nil {
		t.Error("a webhook matched a change it does not name")
	}
}

// TestWebhookSubscribeThroughContract: a contract with a subscription
// endpoint (Stripe's webhook_endpoints) subscribes the URL a client posts
// there, for the events it names; deleting the endpoint unsubscribes it.
func TestWebhookSubscribeThroughContract(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(ordersContract, "components:", `  /webhook_endpoints:
    post:
      operationId: createWebhookEndpoint
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Endpoint"}}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Endpoint"}}}}
  /webhook_endpoints/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getWebhookEndpoint
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Endpoint"}}}}
    delete:
      operationId: deleteWebhookEndpoint
      responses: {"204": {description: gone}}
components:`, 1) + `    Endpoint:
      type: object
      properties:
        id: {type: string, readOnly: true}
        url: {type: string}
        enabled_events: {type: array, items: {type: string}}
`
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, parseContract(t, "subscribe.yaml", []byte(doc)), toolkit.WebhookOptions{}, WithStateful(true))
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"before"}`) // nobody subscribed yet
	ep := vendorSend(t, "POST", srv.URL+"/webhook_endpoints", `{"url":"`+rc.url+`","enabled_events":["order.created"]}`)
	vendorSend(t, "POST", srv.URL+"/webhook_endpoints", `{"url":"http://example.com/hooks"}`) // beyond loopback: ignored
	a := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"during"}`)
	vendorSend(t, "DELETE", srv.URL+"/orders/"+fmt.Sprint(a["id"]), "") // not asked for
	drainWebhooks(t, w)
	vendorSend(t, "DELETE", srv.URL+"/webhook_endpoints/"+fmt.Sprint(ep["id"]), "")
	vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"after"}`)
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if strings.Join(rc.order, " ") != "orders.created" || rc.seen != 1 {
		t.Fatalf("received %v in %d attempts, want the one order created while subscribed", rc.order, rc.seen)
	}
	q := w.Queue()
	if len(q.Subscribers) != 1 || !q.Subscribers[0].Removed || strings.Join(q.Subscribers[0].Events, ",") != "create" {
		t.Errorf("queue %+v", q)
	}
}

// TestWebhookOrderPerResourceUnderFailures: many resources changed from
// concurrent clients while the receiver fails every third attempt: each
// event arrives exactly once, and each resource's events in order.
func TestWebhookOrderPerResourceUnderFailures(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	attempts := 0
	got := map[string][]float64{} // order id → qty values, in arrival order
	ids := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev toolkit.WebhookEvent
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts%3 == 0 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		ids[r.Header.Get("webhook-id")]++
		id := fmt.Sprint(ev.Data["id"])
		qty, _ := ev.Data["qty"].(float64)
		got[id] = append(got[id], qty)
	}))
	t.Cleanup(recv.Close)
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: recv.URL, Events: []string{toolkit.EventCreate, toolkit.EventUpdate}}}, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := ordersServer(t, w)
	const orders, updates = 12, 5
	var wg sync.WaitGroup
	for range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := vendorSend(t, "POST", srv.URL+"/orders", `{"sku":"S","qty":0}`)
			for q := 1; q <= updates; q++ {
				vendorSend(t, "PATCH", srv.URL+"/orders/"+fmt.Sprint(o["id"]), fmt.Sprintf(`{"qty":%d}`, q))
			}
		}()
	}
	wg.Wait()
	drainWebhooks(t, w)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != orders || len(ids) != orders*(updates+1) {
		t.Fatalf("%d orders, %d distinct deliveries; want %d and %d", len(got), len(ids), orders, orders*(updates+1))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("delivery %s accepted %d times", id, n)
		}
	}
	for id, qs := range got {
		for i, q := range qs {
			if q != float64(i) {
				t.Fatalf("order %s: quantities arrived as %v, want 0..%d in order", id, qs, updates)
			}
		}
	}
}

// TestWebhookBillingSubscriptionsAreNotSubscribers: a collection named
// subscriptions whose records hold no URL (PayPal's billing subscriptions)
// is data like any other: its changes are delivered, never subscribed.
func TestWebhookBillingSubscriptionsAreNotSubscribers(t *testing.T) {
	t.Parallel()
	doc := strings.ReplaceAll(strings.ReplaceAll(ordersContract, "/orders", "/subscriptions"), "Order", "Subscription")
	doc = strings.ReplaceAll(doc, "sku: {type: string}", "plan_id: {type: string}")
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, parseContract(t, "billing.yaml", []byte(doc)), toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}}, WithStateful(true))
	vendorSend(t, "POST", srv.URL+"/subscriptions", `{"plan_id":"P-1"}`)
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if strings.Join(rc.order, " ") != "subscriptions.created" {
		t.Errorf("received %v, want the subscription's creation", rc.order)
	}
}
