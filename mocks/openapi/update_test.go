package openapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestAdminUpdateAndQuietWrites: PATCH on a record merges the patch as an
// update through the API would (other fields kept, stamps written, the
// update's webhook sent); webhooks=false on POST and PATCH stores the
// change without its webhook, and an insert keeps the stamp value the
// record holds, so a late row carries its older updated_at.
func TestAdminUpdateAndQuietWrites(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t, 0, func(http.Header, []byte) error { return nil })
	w, srv := hookedServer(t, parseContract(t, "orders.yaml", []byte(ordersContract)),
		toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url}}}, WithStateful(true),
		WithStamps(map[string]map[string]string{"orders": {"updated_at": "time"}}))
	call := func(method, path, body string) (int, map[string]any, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+srv.Addr+"/__firedrill/collections/"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out, string(b)
	}
	const old = "2020-01-02T03:04:05Z"
	code, rec, body := call(http.MethodPost, "orders?webhooks=false", `{"id": "late-1", "sku": "L", "qty": 1, "updated_at": "`+old+`"}`)
	if code != http.StatusCreated || rec["updated_at"] != old {
		t.Fatalf("quiet insert: %d %s; want 201 keeping updated_at %s", code, body, old)
	}
	code, rec, body = call(http.MethodPatch, "orders/late-1", `{"qty": 5}`)
	if code != http.StatusOK || rec["qty"] != 5.0 || rec["sku"] != "L" || rec["updated_at"] == old || rec["updated_at"] == nil {
		t.Fatalf("update: %d %s; want 200, qty 5, sku kept, updated_at stamped anew", code, body)
	}
	if code, rec, body = call(http.MethodPatch, "orders/late-1?webhooks=false", `{"sku": null}`); code != http.StatusOK || rec["sku"] != nil || rec["qty"] != 5.0 {
		t.Errorf("quiet update removing sku: %d %s", code, body)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{http.MethodPatch, "orders/nope", `{"qty": 1}`, http.StatusNotFound, `orders \"nope\": not found`},
		{http.MethodPatch, "order/late-1", `{"qty": 1}`, http.StatusNotFound, `collection \"order\"`},
		{http.MethodPatch, "orders/late-1", `{"qty": "two"}`, http.StatusBadRequest, `"name":"qty"`},
		{http.MethodPatch, "orders/late-1", `[1]`, http.StatusBadRequest, "want a JSON object (a merge patch)"},
		{http.MethodPatch, "orders/late-1?webhooks=maybe", `{}`, http.StatusBadRequest, `\"maybe\" is not true or false`},
		{http.MethodPatch, "orders/late-1?hooks=false", `{}`, http.StatusBadRequest, `"name":"hooks"`},
		{http.MethodPost, "orders?webhook=false", `{"sku": "X"}`, http.StatusBadRequest, `"name":"webhook"`},
		{http.MethodGet, "orders/late-1", ``, http.StatusMethodNotAllowed, ``},
	} {
		if code, _, body := call(tc.method, tc.path, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %s; want %d with %s", tc.method, tc.path, tc.body, code, body, tc.code, tc.want)
		}
	}
	if n := srv.Mock.Store().Len("orders"); n != 1 {
		t.Errorf("the store holds %d orders, want 1", n)
	}
	drainWebhooks(t, w)
	rc.mu.Lock()
	order := strings.Join(rc.order, ",")
	rc.mu.Unlock()
	if order != "orders.updated" {
		t.Errorf("webhooks: %q, want the one update sent with webhooks on", order)
	}
}
