package graphql_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAdminInsertOnAGraphQLMock: POST on a type's collection stores
// records as a create mutation would (a string id assigned, fields checked
// against the type, duplicates refused), queries read them, and each sends
// customer.created; seeded records send nothing.
func TestAdminInsertOnAGraphQLMock(t *testing.T) {
	t.Parallel()
	sub := newSubscriber(t, func(http.Header, []byte) error { return nil })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: sub.url}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	srv := crmServer(t, "", graphql.WithStateful(true), graphql.WithWebhooks(w))
	if _, err := srv.Mock.Seed("Customer", []store.Record{{"id": 7.0, "email": "seed@example.com"}}); err != nil {
		t.Fatal(err)
	}
	admin := "http://" + srv.Addr + "/__firedrill/collections/Customer"
	insert := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(admin, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := insert(`{"email": "ada@example.com", "firstName": "Ada"}`)
	if code != http.StatusCreated || !strings.Contains(body, `"id":"`) {
		t.Fatalf("insert: %d %s; want 201 with a string id", code, body)
	}
	id := strings.Split(strings.Split(body, `"id":"`)[1], `"`)[0]
	if code, body = insert(`{"email": 3}`); code != http.StatusBadRequest || !strings.Contains(body, `"name":"email"`) {
		t.Errorf("a wrong type: %d %s; want 400 naming email", code, body)
	}
	if code, body = insert(`{"emial": "x@example.com"}`); code != http.StatusBadRequest || !strings.Contains(body, `"name":"emial"`) {
		t.Errorf("an unknown field: %d %s; want 400 naming it", code, body)
	}
	if code, _ = insert(`{"id": "7", "email": "again@example.com"}`); code != http.StatusConflict {
		t.Errorf("a duplicate id: %d, want 409", code)
	}
	_, _, read := post(t, srv.URL, `query($id: ID!) { customer(id: $id) { firstName } }`, map[string]any{"id": id})
	_, _, seeded := post(t, srv.URL, `{ customer(id: "7") { email } }`, nil)
	if !strings.Contains(string(read), `"Ada"`) || !strings.Contains(string(seeded), "seed@example.com") {
		t.Errorf("queries read %s and %s; want the inserted and the seeded customers", read, seeded)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := sub.deliveries()
	if len(got) != 1 || got[0].Type != "customer.created" || got[0].Data["id"] != id {
		t.Errorf("deliveries %+v, want one customer.created for the inserted record", got)
	}
	if _, err := srv.Mock.Seed("Custmer", nil); !errors.Is(err, store.ErrUnknownCollection) {
		t.Errorf("an unknown collection: %v", err)
	}
}
