package graphql_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAdminUpdateOnAGraphQLMock: PATCH on a type's record merges the
// patch as an update mutation would (fields checked against the type,
// other fields kept) and sends customer.updated; webhooks=false on POST
// and PATCH sends nothing.
func TestAdminUpdateOnAGraphQLMock(t *testing.T) {
	t.Parallel()
	sub := newSubscriber(t, func(http.Header, []byte) error { return nil })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: sub.url}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	srv := crmServer(t, "", graphql.WithStateful(true), graphql.WithWebhooks(w))
	if _, err := srv.Mock.Seed("Customer", []store.Record{{"id": "c-1", "email": "ada@example.com", "firstName": "Ada"}}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+srv.Addr+"/__firedrill/collections/"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call(http.MethodPatch, "Customer/c-1", `{"firstName": "Augusta"}`); code != http.StatusOK || !strings.Contains(body, `"firstName":"Augusta"`) || !strings.Contains(body, `"email":"ada@example.com"`) {
		t.Fatalf("update: %d %s; want 200 with firstName changed and email kept", code, body)
	}
	if code, body := call(http.MethodPost, "Customer?webhooks=false", `{"id": "late-1", "email": "late@example.com"}`); code != http.StatusCreated {
		t.Fatalf("quiet insert: %d %s", code, body)
	}
	if code, body := call(http.MethodPatch, "Customer/late-1?webhooks=false", `{"firstName": "Lee"}`); code != http.StatusOK {
		t.Fatalf("quiet update: %d %s", code, body)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{http.MethodPatch, "Customer/nope", `{"firstName": "X"}`, http.StatusNotFound, "not found"},
		{http.MethodPatch, "Customer/c-1", `{"email": 3}`, http.StatusBadRequest, `"name":"email"`},
		{http.MethodPatch, "Customer/c-1", `{"emial": "x"}`, http.StatusBadRequest, `declares no field \"emial\"`},
		{http.MethodPatch, "Customer/c-1?webhooks=no", `{}`, http.StatusBadRequest, `"name":"webhooks"`},
		{http.MethodGet, "Customer/c-1", ``, http.StatusMethodNotAllowed, "PATCH"},
	} {
		if code, body := call(tc.method, tc.path, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %s; want %d with %s", tc.method, tc.path, tc.body, code, body, tc.code, tc.want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := sub.deliveries()
	if len(got) != 1 || got[0].Type != "customer.updated" || got[0].Data["firstName"] != "Augusta" {
		t.Errorf("deliveries %+v, want one customer.updated for c-1", got)
	}
}
