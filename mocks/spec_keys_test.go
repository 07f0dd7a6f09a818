package mocks

import (
	"context"
	"net/http"
	"net/http/httptest"
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
	w, err := New(c, Spec{Stateful: true, Stamps: map[string]map[string]string{"stock": {"version": "counter"}},
		Filters: map[string]map[string]string{"stock": {"since": "version >"}}}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if rec, err := w.Store.Create("stock", nil, map[string]any{"sku": "A"}); err != nil || rec["version"] != int64(1) {
		t.Errorf("a create on a mock declaring version: counter: %v %v, want version 1", rec, err)
	}
	if def, _ := w.Store.Collection("stock"); len(def.List.Filters) == 0 || def.List.Filters[len(def.List.Filters)-1].Param != "since" {
		t.Errorf("the declared filter is not the list's: %+v", def.List.Filters)
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

func TestSpecCheckStampsAndFilters(t *testing.T) {
	t.Parallel()
	good := Spec{Stateful: true, Stamps: map[string]map[string]string{"stock": {"updated_at": "time", "version": "counter"}},
		Filters: map[string]map[string]string{"stock": {"updated_min": "updated_at >", "since": "version >="}}}
	for _, tc := range []struct {
		spec Spec
		kind Kind
		want string
	}{
		{good, KindOpenAPI, ""},
		{Spec{Stamps: good.Stamps, Filters: good.Filters}, KindOpenAPI, "stamps filters"},
		{good, KindGraphQL, "filters"},
		{Spec{Stateful: true, Stamps: map[string]map[string]string{"stock": {"at": "clock"}},
			Filters: map[string]map[string]string{"stock": {"since": "version", "from": "at ~"}}}, KindOpenAPI, "stamps.stock.at filters.stock.from filters.stock.since"},
	} {
		var got []string
		for _, e := range tc.spec.Check(tc.kind) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v %v %v: fields %v, want %q", tc.kind, tc.spec.Stamps, tc.spec.Filters, got, tc.want)
		}
	}
}

func TestSpecCheckAPIKeyHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{APIKeys: []string{"k"}, APIKeyHeader: "X-Shopify-Access-Token"}, ""},
		{Spec{APIKeyHeader: "X-Shopify-Access-Token"}, "api_key_header"},
		{Spec{APIKeys: []string{"k"}, APIKeyHeader: "X Token"}, "api_key_header"},
		{Spec{APIKeys: []string{"k"}, APIKeyHeader: "authorization"}, "api_key_header"},
	} {
		var got []string
		for _, e := range tc.spec.Check(KindGraphQL) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: fields %v, want %q", tc.spec.APIKeyHeader, got, tc.want)
		}
	}
}

// TestSpecAPIKeyHeader: a GraphQL mock declared with the vendor's header
// takes its key there and refuses it in the fixed one.
func TestSpecAPIKeyHeader(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(c, Spec{APIKeys: []string{"shpat_1"}, APIKeyHeader: "X-Shopify-Access-Token"}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for header, want := range map[string]int{"X-Shopify-Access-Token": http.StatusOK, "X-API-Key": http.StatusUnauthorized} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(header, "shpat_1")
		w := httptest.NewRecorder()
		v.Handler.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("the key in %s: %d, want %d: %s", header, w.Code, want, w.Body)
		}
	}
}

// TestSpecAPIKeyHeaderRateLimit: the rate limit tells keys apart by the
// vendor's header: two keys from one address each have their own bucket.
func TestSpecAPIKeyHeaderRateLimit(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	rl, err := ParseRateLimit("1/h")
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(c, Spec{APIKeys: []string{"k1", "k2"}, APIKeyHeader: "X-Shopify-Access-Token", RateLimit: rl}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	send := func(key string) int {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Access-Token", key)
		w := httptest.NewRecorder()
		v.Handler.ServeHTTP(w, req)
		return w.Code
	}
	if a, b, again := send("k1"), send("k2"), send("k1"); a != http.StatusOK || b != http.StatusOK || again != http.StatusTooManyRequests {
		t.Errorf("k1, k2, k1 again at 1/h: %d %d %d, want 200 200 429", a, b, again)
	}
}
