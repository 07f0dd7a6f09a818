package mocks

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecKeys: keys of several fields reach the mock from a declaration,
// records seeded included: two stock rows of one sku in two warehouses are
// two rows, which without the key conflict.
func TestSpecKeys(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("openapi", "testdata", "stock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Records{"stock": {Items: []map[string]any{
		{"sku": "A", "warehouse": "w1", "quantity": 1.0},
		{"sku": "A", "warehouse": "w2", "quantity": 2.0},
	}}}
	if _, err := New(c, Spec{Stateful: true, Records: rows}, Settings{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("two rows of sku A keyed by sku alone: %v, want a conflict", err)
	}
	v, err := New(c, Spec{Stateful: true, Keys: map[string][]string{"stock": {"sku", "warehouse"}}, Records: rows}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n := v.Store.Len("stock"); n != 2 {
		t.Errorf("the mock holds %d rows, want 2", n)
	}
	if _, err := New(c, Spec{Stateful: true, Keys: map[string][]string{"stocks": {"sku", "warehouse"}}}, Settings{}); err == nil || !strings.Contains(err.Error(), `"stocks"`) {
		t.Errorf("keys of a collection the contract lacks: %v", err)
	}
}

func TestSpecCheckKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec Spec
		kind Kind
		want string
	}{
		{Spec{Stateful: true, Keys: map[string][]string{"stock": {"sku", "warehouse"}}}, KindOpenAPI, ""},
		{Spec{Keys: map[string][]string{"stock": {"sku", "warehouse"}}}, KindOpenAPI, "keys"},
		{Spec{Stateful: true, Keys: map[string][]string{"stock": {"sku"}}}, KindGraphQL, "keys"},
		{Spec{Stateful: true, Keys: map[string][]string{"stock": {}, "rows": {"sku", " ", "sku"}}}, KindOpenAPI, "keys.rows[1] keys.rows[2] keys.stock"},
	} {
		var got []string
		for _, e := range tc.spec.Check(tc.kind) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v %v: fields %v, want %q", tc.kind, tc.spec.Keys, got, tc.want)
		}
	}
}
