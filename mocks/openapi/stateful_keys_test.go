package openapi

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
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
