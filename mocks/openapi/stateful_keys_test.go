package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stockServer serves testdata/stock.yaml statefully on loopback.
func stockServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	c := loadContract(t, filepath.Join("testdata", "stock.yaml"))
	srv, err := NewServer(c, append([]Option{WithStateful(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// Without a declared key, a stock row is keyed by its sku alone: the same
// sku in a second warehouse is a conflict. This is what WithKeys changes.
func TestStockKeyedBySkuAloneConflicts(t *testing.T) {
	srv := stockServer(t)
	if st, _ := sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"A","warehouse":"w1","quantity":3}`); st != http.StatusCreated {
		t.Fatalf("first row: %d, want 201", st)
	}
	if st, _ := sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"A","warehouse":"w2","quantity":5}`); st != http.StatusConflict {
		t.Fatalf("same sku elsewhere without keys: %d, want 409", st)
	}
}

func TestKeysOfSeveralFields(t *testing.T) {
	srv := stockServer(t, WithKeys(map[string][]string{"stock": {"sku", "warehouse"}}))
	for _, body := range []string{`{"sku":"A","warehouse":"w1","quantity":3}`, `{"sku":"A","warehouse":"w2","quantity":5}`} {
		if st, out := sendChecked(t, srv, http.MethodPost, "/stock", body); st != http.StatusCreated {
			t.Fatalf("POST %s: %d %v, want 201", body, st, out)
		}
	}
	if st, _ := sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"A","warehouse":"w1","quantity":9}`); st != http.StatusConflict {
		t.Fatalf("the same sku and warehouse again: %d, want 409", st)
	}
	if n := srv.Mock.Store().Len("stock"); n != 2 {
		t.Fatalf("store holds %d rows, want 2", n)
	}
	if st, out := sendChecked(t, srv, http.MethodGet, "/stock/A?warehouse=w2", ""); st != http.StatusOK || out["quantity"] != float64(5) || out["warehouse"] != "w2" {
		t.Fatalf("GET A in w2: %d %v, want 200 with quantity 5", st, out)
	}
	// A PUT finds its row by the body's warehouse and cannot move it.
	if st, out := sendChecked(t, srv, http.MethodPut, "/stock/A", `{"sku":"A","warehouse":"w1","quantity":7}`); st != http.StatusOK || out["quantity"] != float64(7) {
		t.Fatalf("PUT A in w1: %d %v, want 200 with quantity 7", st, out)
	}
	if _, out := sendChecked(t, srv, http.MethodGet, "/stock/A?warehouse=w2", ""); out["quantity"] != float64(5) {
		t.Fatalf("A in w2 after the PUT to w1: %v, want quantity 5 still", out)
	}
	if st, _ := sendChecked(t, srv, http.MethodGet, "/stock/A?warehouse=w3", ""); st != http.StatusNotFound {
		t.Fatalf("A in w3: %d, want 404", st)
	}
	if st, _ := sendChecked(t, srv, http.MethodDelete, "/stock/A?warehouse=w1", ""); st != http.StatusNoContent {
		t.Fatalf("DELETE A in w1: %d, want 204", st)
	}
	if n := srv.Mock.Store().Len("stock"); n != 1 {
		t.Fatalf("store holds %d rows after the delete, want 1", n)
	}
	// A row without its whole key cannot be placed.
	if st, _ := sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"B","quantity":1}`); st != http.StatusBadRequest {
		t.Fatalf("a row without its warehouse: %d, want 400", st)
	}
}

func TestKeysNameACollectionOfTheContract(t *testing.T) {
	c := loadContract(t, filepath.Join("testdata", "stock.yaml"))
	_, err := NewServer(c, WithStateful(true), WithKeys(map[string][]string{"stocks": {"sku", "warehouse"}}))
	if err == nil || !strings.Contains(err.Error(), `no collection "stocks"`) {
		t.Fatalf("keys of an unknown collection: %v, want an error naming it", err)
	}
}

// listSkus lists the stock rows a query keeps, as "sku@warehouse" joined
// by spaces in the list's order.
func listSkus(t *testing.T, srv *Server, query string) string {
	t.Helper()
	resp, err := http.Get(srv.URL + "/stock?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rows []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list ?%s: %d %v", query, resp.StatusCode, err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v@%v", r["sku"], r["warehouse"]))
	}
	return strings.Join(out, " ")
}

// TestStampsAndFilters: declared stamps are written on every write, and
// the declared filters on them answer what changed after a point: the
// time an integration last synced, or the version it last saw.
func TestStampsAndFilters(t *testing.T) {
	srv := stockServer(t,
		WithStamps(map[string]map[string]string{"stock": {"updated_at": "time", "version": "counter"}}),
		WithFilters(map[string]map[string]string{"stock": {"updated_min": "updated_at >", "sync_token": "version >"}}))
	var stamps []map[string]any
	for _, sku := range []string{"A", "B", "C"} {
		st, out := sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"`+sku+`","warehouse":"w1","quantity":1}`)
		if st != http.StatusCreated {
			t.Fatalf("POST %s: %d", sku, st)
		}
		stamps = append(stamps, out)
		time.Sleep(2 * time.Millisecond) // the stamps of two writes differ
	}
	if stamps[0]["version"] != float64(1) || stamps[2]["version"] != float64(3) {
		t.Fatalf("versions on create: %v, %v, want 1 and 3", stamps[0]["version"], stamps[2]["version"])
	}
	st, b := sendChecked(t, srv, http.MethodPut, "/stock/B", `{"sku":"B","warehouse":"w1","quantity":2}`)
	if st != http.StatusOK || b["version"].(float64) <= stamps[2]["version"].(float64) || b["updated_at"] == stamps[1]["updated_at"] {
		t.Fatalf("PUT B: %d %v, want a version above C's %v and a new updated_at", st, b, stamps[2]["version"])
	}
	if got := listSkus(t, srv, "updated_min="+url.QueryEscape(stamps[2]["updated_at"].(string))); got != "B@w1" {
		t.Errorf("changed after C's creation: %q, want B@w1 (updated since)", got)
	}
	if got := listSkus(t, srv, "updated_min="+url.QueryEscape(stamps[0]["updated_at"].(string))); got != "B@w1 C@w1" {
		t.Errorf("changed after A's creation: %q, want B@w1 C@w1", got)
	}
	if got := listSkus(t, srv, fmt.Sprintf("sync_token=%v", stamps[2]["version"])); got != "B@w1" {
		t.Errorf("changed after C's version: %q, want B@w1", got)
	}
}

// Without the declaration the parameters are not filters: the list
// answers every row (and the journal says what it ignored).
func TestFiltersUndeclaredAreIgnored(t *testing.T) {
	srv := stockServer(t)
	for _, sku := range []string{"A", "B"} {
		sendChecked(t, srv, http.MethodPost, "/stock", `{"sku":"`+sku+`","warehouse":"w1","quantity":1}`)
	}
	if got := listSkus(t, srv, "sync_token=1&updated_min=2999-01-01T00:00:00Z"); got != "A@w1 B@w1" {
		t.Errorf("undeclared filters: %q, want every row", got)
	}
}
