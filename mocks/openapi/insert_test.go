package openapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAdminInsertIsACreate: POST on a collection stores records as a
// create through the API would (id assigned, schema checked, duplicates
// refused), answers 201 with what it stored, sends the create's webhook,
// and is no traffic of the integration's: the journal does not hold it.
func TestAdminInsertIsACreate(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, parseContract(t, "orders.yaml", []byte(ordersContract)),
		toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url, Events: []string{toolkit.EventCreate}}}}, WithStateful(true))
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post("http://"+srv.Addr+"/__firedrill/collections/orders", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(`{"sku": "A-1", "qty": 2}`)
	var one map[string]any
	_ = json.Unmarshal([]byte(body), &one)
	if code != http.StatusCreated || one["id"] == nil || one["sku"] != "A-1" {
		t.Fatalf("insert one: %d %s; want 201 and the stored record with its id", code, body)
	}
	code, body = post(`[{"id": "o-2", "sku": "B"}, {"sku": "C"}]`)
	var many []map[string]any
	_ = json.Unmarshal([]byte(body), &many)
	if code != http.StatusCreated || len(many) != 2 || many[0]["id"] != "o-2" || many[1]["id"] == nil {
		t.Fatalf("insert two: %d %s; want 201 and both records", code, body)
	}
	if code, body = post(`{"sku": "D", "qty": "two"}`); code != http.StatusBadRequest || !strings.Contains(body, `"name":"qty"`) {
		t.Errorf("a record the schema refuses: %d %s; want 400 naming qty", code, body)
	}
	if code, body = post(`[{"sku": "E"}, {"id": "o-2"}]`); code != http.StatusConflict || !strings.Contains(body, `"pointer":"/1/id"`) {
		t.Errorf("a duplicate id: %d %s; want 409 pointing at the second record's id", code, body)
	}
	if code, _ = post(`"text"`); code != http.StatusBadRequest {
		t.Errorf("a body that is no object: %d, want 400", code)
	}
	if n := srv.Mock.Store().Len("orders"); n != 3 {
		t.Errorf("the store holds %d orders, want 3 (refused batches store nothing)", n)
	}
	drainWebhooks(t, w)
	rc.mu.Lock()
	order := strings.Join(rc.order, ",")
	rc.mu.Unlock()
	if order != "orders.created,orders.created,orders.created" {
		t.Errorf("webhooks: %q, want one orders.created per inserted record", order)
	}
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Direction == "inbound" {
			t.Errorf("the journal holds an admin call: %s %s", e.Method, e.Path)
		}
	}
}

// TestSeedSendsNoWebhook: seeded records existed before the mock; Seed
// checks them as Insert does and names each refused record and field.
func TestSeedSendsNoWebhook(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, parseContract(t, "orders.yaml", []byte(ordersContract)),
		toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}}, WithStateful(true))
	m := srv.Mock
	if _, err := m.Seed("orders", []store.Record{{"id": "o-1", "sku": "A"}, {"sku": "B"}}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Seed("orders", []store.Record{{"sku": "ok"}, {"qty": 1.5}, {"sku": 3.0}})
	got := store.RecordErrors(err)
	if len(got) != 2 || got[0].Index != 1 || got[0].Field != "qty" || got[1].Index != 2 || got[1].Field != "sku" || !errors.Is(err, store.ErrBadRequest) {
		t.Fatalf("refused records: %v; want records 1 (qty) and 2 (sku)", err)
	}
	if _, err := m.Seed("order", nil); !errors.Is(err, store.ErrUnknownCollection) || !strings.Contains(err.Error(), "orders") {
		t.Errorf("an unknown collection: %v; want ErrUnknownCollection listing orders", err)
	}
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen != 0 || m.Store().Len("orders") != 2 {
		t.Errorf("seeds sent %d webhooks and left %d orders; want none and 2", rc.seen, m.Store().Len("orders"))
	}
}
