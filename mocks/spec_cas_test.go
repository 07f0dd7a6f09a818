package mocks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareAndSetHTTP: a declared compare-and-set rule reaches an HTTP
// mock. A write expecting the quantity the row no longer holds is a 409
// and changes nothing; one expecting the right one lands, and the
// expectation is not stored; records carry an ETag, and If-Match with a
// tag the row has moved past is a 412.
func TestCompareAndSetHTTP(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("openapi", "testdata", "stock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Stateful: true, Keys: map[string][]string{"stock": {"sku", "warehouse"}},
		CompareAndSet: map[string]CompareAndSet{"stock": {Field: "quantity", Expect: "compare_quantity"}}}
	v, err := New(c, spec, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srv := httptest.NewServer(v.Handler)
	defer srv.Close()
	do := func(method, path, body string, header ...string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, resp.Header, m
	}
	if code, _, _ := do("POST", "/stock", `{"sku":"A","warehouse":"w1","quantity":99}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	code, h, _ := do("GET", "/stock/A?warehouse=w1", "")
	tag := h.Get("ETag")
	if code != 200 || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("GET: %d, ETag %q", code, tag)
	}
	if code, _, body := do("PUT", "/stock/A?warehouse=w1", `{"sku":"A","warehouse":"w1","quantity":-3,"compare_quantity":5}`); code != 409 || !strings.Contains(body["detail"].(string), "quantity is 99, not the expected 5") {
		t.Errorf("a stale write: %d %v, want 409 naming what it expected", code, body)
	}
	if _, _, row := do("GET", "/stock/A?warehouse=w1", ""); row["quantity"] != 99.0 {
		t.Errorf("the stale write changed the row: %v", row)
	}
	code, h, row := do("PUT", "/stock/A?warehouse=w1", `{"sku":"A","warehouse":"w1","quantity":96,"compare_quantity":99}`)
	if code != 200 || row["quantity"] != 96.0 || row["compare_quantity"] != nil || h.Get("ETag") == tag {
		t.Errorf("a write expecting 99: %d %v (ETag %q, was %q)", code, row, h.Get("ETag"), tag)
	}
	if code, _, _ := do("PUT", "/stock/A?warehouse=w1", `{"sku":"A","warehouse":"w1","quantity":1}`, "If-Match", tag); code != 412 {
		t.Errorf("If-Match with the old tag: %d, want 412", code)
	}
	if code, _, _ := do("PUT", "/stock/A?warehouse=w1", `{"sku":"A","warehouse":"w1","quantity":2}`, "If-Match", h.Get("ETag")); code != 200 {
		t.Errorf("If-Match with the current tag: %d, want 200", code)
	}
	if code, _, _ := do("PUT", "/stock/A?warehouse=w1", `{"sku":"A","warehouse":"w1","quantity":3}`); code != 200 {
		t.Errorf("a write without an expectation: %d, want 200", code)
	}
	if _, err := New(c, Spec{Stateful: true, CompareAndSet: map[string]CompareAndSet{"stocks": {Field: "quantity", Expect: "q"}}}, Settings{}); err == nil || !strings.Contains(err.Error(), `compare_and_set: the contract has no collection "stocks"`) {
		t.Errorf("a rule on a collection the contract lacks: %v", err)
	}
}

func TestSpecCheckCompareAndSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Stateful: true, CompareAndSet: map[string]CompareAndSet{"stock": {Field: "quantity", Expect: "compareQuantity"}}}, ""},
		{Spec{CompareAndSet: map[string]CompareAndSet{"stock": {Field: "quantity", Expect: "compareQuantity"}}}, "compare_and_set"},
		{Spec{Stateful: true, CompareAndSet: map[string]CompareAndSet{"a": {Expect: "x"}, "b": {Field: "x"}, "c": {Field: "x", Expect: "x"}}},
			"compare_and_set.a.field compare_and_set.b.expect compare_and_set.c.expect"},
	} {
		var got []string
		for _, e := range tc.spec.Check(KindOpenAPI) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v: fields %v, want %q", tc.spec.CompareAndSet, got, tc.want)
		}
	}
}
