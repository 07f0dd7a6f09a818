package store_test

import (
	"errors"
	"testing"

	"github.com/firedrill/firedrill/mocks/store"
)

// TestKeyOfSeveralFields: a collection keyed by sku and warehouse holds a
// row per pair; Upsert creates a row from the key's values, and a write
// cannot move a row to another key.
func TestKeyOfSeveralFields(t *testing.T) {
	t.Parallel()
	s := store.New(store.Collection{Name: "stock", IDField: "sku", Key: []string{"sku", "warehouse"}})
	for _, w := range []string{"w1", "w2"} {
		if _, err := s.Create("stock", nil, store.Record{"sku": "A", "warehouse": w, "quantity": 1.0}); err != nil {
			t.Fatalf("create A in %s: %v", w, err)
		}
	}
	if _, err := s.Create("stock", nil, store.Record{"sku": "A", "warehouse": "w1"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("A in w1 again: %v, want ErrConflict", err)
	}
	if _, err := s.Create("stock", nil, store.Record{"sku": "B"}); !errors.Is(err, store.ErrBadRequest) {
		t.Fatalf("a row without its warehouse: %v, want ErrBadRequest", err)
	}
	rec, created, err := s.Upsert("stock", nil, store.KeyID("A", "w3"), store.Record{"quantity": 4.0})
	if err != nil || !created || rec["sku"] != "A" || rec["warehouse"] != "w3" {
		t.Fatalf("upsert A in w3: %v %v %v, want a created row keyed A, w3", rec, created, err)
	}
	if _, _, err := s.Upsert("stock", nil, "A", store.Record{}); !errors.Is(err, store.ErrBadRequest) {
		t.Fatalf("upsert by half a key: %v, want ErrBadRequest", err)
	}
	rec, err = s.Replace("stock", nil, store.KeyID("A", "w1"), store.Record{"sku": "A", "warehouse": "w9", "quantity": 7.0})
	if err != nil || rec["warehouse"] != "w1" || rec["quantity"] != 7.0 {
		t.Fatalf("replace A in w1 naming w9: %v %v, want the row kept in w1", rec, err)
	}
	if got, err := s.Get("stock", nil, store.KeyID("A", "w2")); err != nil || got["quantity"] != 1.0 {
		t.Fatalf("A in w2: %v %v", got, err)
	}
	if n := s.Len("stock"); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}
