package store_test

import (
	"errors"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/firedrill/firedrill/mocks/store"
)

var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// shopStore returns a store over the fixture contract with a fixed clock.
func shopStore(tb testing.TB, opts ...store.Option) *store.Store {
	tb.Helper()
	doc := loadDoc(tb, "testdata/shop.yaml")
	opts = append([]store.Option{store.WithClock(func() time.Time { return fixedNow }), store.WithSeed(7)}, opts...)
	s, err := store.NewWithOptions(opts, store.Infer(doc)...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestCRUD(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	rec, err := s.Create("orders", nil, store.Record{"total": 10.0, "customer": map[string]any{"email": "a@b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Record{"id": int64(1), "total": 10.0, "customer": map[string]any{"email": "a@b.c"},
		"created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z"}
	if d := cmp.Diff(want, rec); d != "" {
		t.Fatalf("create (-want +got):\n%s", d)
	}
	got, err := s.Get("orders", nil, "1")
	if err != nil || cmp.Diff(want, got) != "" {
		t.Fatalf("get = %v, %v; want %v", got, err, want)
	}
	rep, err := s.Replace("orders", nil, "1", store.Record{"id": 99, "total": 20.0, "created_at": "1999-01-01T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if rep["id"] != int64(1) || rep["created_at"] != "2026-01-02T03:04:05Z" || rep["total"] != 20.0 || rep["customer"] != nil {
		t.Fatalf("replace kept the wrong fields: %v", rep)
	}
	pat, err := s.Patch("orders", nil, "1", map[string]any{"status": "paid", "total": nil, "id": "zzz"})
	if err != nil {
		t.Fatal(err)
	}
	if _, has := pat["total"]; has || pat["status"] != "paid" || pat["id"] != int64(1) {
		t.Fatalf("patch = %v", pat)
	}
	if err := s.Delete("orders", nil, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("orders", nil, "1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if s.Len("orders") != 0 {
		t.Fatalf("len = %d after delete", s.Len("orders"))
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	if _, err := s.Create("orders", nil, store.Record{"id": 5}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"create existing id", func() error { _, err := s.Create("orders", nil, store.Record{"id": 5.0}); return err }, store.ErrConflict},
		{"unknown collection", func() error { _, err := s.Create("nope", nil, store.Record{}); return err }, store.ErrUnknownCollection},
		{"get missing", func() error { _, err := s.Get("orders", nil, "6"); return err }, store.ErrNotFound},
		{"get under other parent", func() error { _, err := s.Get("orders", []string{"x"}, "5"); return err }, store.ErrNotFound},
		{"replace missing", func() error { _, err := s.Replace("orders", nil, "6", store.Record{}); return err }, store.ErrNotFound},
		{"patch missing", func() error { _, err := s.Patch("orders", nil, "6", map[string]any{}); return err }, store.ErrNotFound},
		{"patch not an object", func() error { _, err := s.Patch("orders", nil, "5", []any{1}); return err }, store.ErrBadRequest},
		{"delete missing", func() error { return s.Delete("orders", nil, "6") }, store.ErrNotFound},
		{"list bad cursor", func() error { _, _, err := s.List("orders", nil, store.PageRequest{After: "77"}); return err }, store.ErrBadRequest},
		{"list negative", func() error { _, _, err := s.List("orders", nil, store.PageRequest{Offset: -1}); return err }, store.ErrBadRequest},
		{"reset unknown", func() error { return s.Reset("nope") }, store.ErrUnknownCollection},
		{"snapshot unknown", func() error { _, err := s.Snapshot("nope"); return err }, store.ErrUnknownCollection},
		{"seed conflict in batch", func() error { return s.Seed("orders", []store.Record{{"id": 8}, {"id": 8}}) }, store.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if s.Len("orders") != 1 {
		t.Fatalf("a refused operation changed the store: len = %d", s.Len("orders"))
	}
	// The next generated integer id goes above every id seen.
	rec, _ := s.Create("orders", nil, store.Record{})
	if rec["id"] != int64(6) {
		t.Fatalf("next id = %v, want 6", rec["id"])
	}
}

func TestCopiesAreIsolated(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	in := store.Record{"customer": map[string]any{"email": "a@b.c"}, "tags": []any{"x"}}
	out, _ := s.Create("orders", nil, in)
	in["customer"].(map[string]any)["email"] = "changed by caller"
	in["tags"].([]any)[0] = "changed"
	out["customer"].(map[string]any)["email"] = "changed via result"
	got, _ := s.Get("orders", nil, "1")
	got["total"] = 1
	again, _ := s.Get("orders", nil, "1")
	if e := again["customer"].(map[string]any)["email"]; e != "a@b.c" || again["tags"].([]any)[0] != "x" || again["total"] != nil {
		t.Fatalf("the store shares memory with callers: %v", again)
	}
	snap, _ := s.Snapshot("orders")
	snap[0]["customer"].(map[string]any)["email"] = "x"
	if again, _ := s.Get("orders", nil, "1"); again["customer"].(map[string]any)["email"] != "a@b.c" {
		t.Fatal("Snapshot shares memory with the store")
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	uuidRe := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tests := []struct {
		coll  string
		field string
		want  *regexp.Regexp
	}{
		{"customers.addresses", "id", uuidRe},                           // format uuid
		{"widgets", "widget_id", regexp.MustCompile(`^WG[0-9a-f]{8}$`)}, // pattern
		{"events", "id", regexp.MustCompile(`^evt_[A-Za-z0-9]{14}$`)},   // prefix of the example
		{"catalog.products", "id", regexp.MustCompile(`^[1-9][0-9]*$`)}, // maxLength < 36: a sequence
		{"gadgets", "gadgetId", uuidRe},                                 // plain string
	}
	for _, tt := range tests {
		t.Run(tt.coll, func(t *testing.T) {
			seen := map[string]bool{}
			for range 50 {
				rec, err := s.Create(tt.coll, []string{"p"}, store.Record{})
				if err != nil {
					t.Fatal(err)
				}
				id, ok := rec[tt.field].(string)
				if !ok || !tt.want.MatchString(id) {
					t.Fatalf("id %q = %#v, want a string matching %s", tt.field, rec[tt.field], tt.want)
				}
				if seen[id] {
					t.Fatalf("id %q given twice", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestParentsAreSeparate(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	a, _ := s.Create("customers.addresses", []string{"c1"}, store.Record{"city": "Lyon"})
	if _, err := s.Create("customers.addresses", []string{"c2"}, store.Record{"city": "Oslo", "id": a["id"]}); err != nil {
		t.Fatalf("the same id under another parent: %v", err)
	}
	items, page, _ := s.List("customers.addresses", []string{"c1"}, store.PageRequest{})
	if len(items) != 1 || items[0]["city"] != "Lyon" || page.Total != 1 {
		t.Fatalf("list c1 = %v (%+v)", items, page)
	}
	if _, err := s.Get("customers.addresses", nil, a["id"].(string)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a nested record found without its parent: %v", err)
	}
	entries, _ := s.Entries("customers.addresses")
	if len(entries) != 2 || entries[0].Parent[0] != "c1" || entries[1].Parent[0] != "c2" {
		t.Fatalf("entries = %+v", entries)
	}
}

func TestSeedResetSnapshot(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	err := s.Seed("customers.addresses", []store.Record{
		{"id": "a", "cid": "c1", "city": "Lyon"},
		{"id": "b", "city": "Oslo"},
		{"id": "c", "CID": "c2", "city": "Rome"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("customers.addresses", []string{"c1"}, "a"); err != nil {
		t.Fatalf("seeded record not under the parent its fields name: %v", err)
	}
	if _, err := s.Get("customers.addresses", nil, "b"); err != nil {
		t.Fatalf("seeded record without parent fields: %v", err)
	}
	if _, err := s.Get("customers.addresses", []string{"c2"}, "c"); err != nil {
		t.Fatalf("parent fields compare without case: %v", err)
	}
	snap, _ := s.Snapshot("customers.addresses")
	var cities []any
	for _, r := range snap {
		cities = append(cities, r["city"])
	}
	if d := cmp.Diff([]any{"Lyon", "Oslo", "Rome"}, cities); d != "" {
		t.Fatalf("snapshot order (-want +got):\n%s", d)
	}
	// All or none: one conflicting record refuses the batch.
	if err := s.Seed("customers.addresses", []store.Record{{"id": "z", "cid": "c1"}, {"id": "a", "cid": "c1"}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("seed with a conflict: %v", err)
	}
	if s.Len("customers.addresses") != 3 {
		t.Fatalf("a refused seed stored records: len %d", s.Len("customers.addresses"))
	}
	if err := s.Reset("customers.addresses"); err != nil || s.Len("customers.addresses") != 0 {
		t.Fatalf("reset: %v, len %d", err, s.Len("customers.addresses"))
	}
	s.Create("orders", nil, store.Record{})
	s.ResetAll()
	if s.Len("orders") != 0 {
		t.Fatal("ResetAll left records")
	}
	if rec, _ := s.Create("orders", nil, store.Record{}); rec["id"] != int64(1) {
		t.Fatalf("sequence after reset starts at %v, want 1", rec["id"])
	}
}

func TestEnsureAndFill(t *testing.T) {
	t.Parallel()
	var asked []string
	fill := func(sc *openapi3.Schema) any {
		asked = append(asked, sc.Type.Slice()...)
		return "N-1"
	}
	s := shopStore(t, store.WithFill(fill))
	rec, _ := s.Create("orders", nil, store.Record{})
	if rec["number"] != "N-1" {
		t.Fatalf("readOnly property not filled: %v", rec)
	}
	if rep, _ := s.Replace("orders", nil, "1", store.Record{"total": 2.0}); rep["number"] != "N-1" {
		t.Fatalf("a PUT without the readOnly property erased it: %v", rep)
	}
	if rep, _ := s.Replace("orders", nil, "1", store.Record{"number": "N-2"}); rep["number"] != "N-2" {
		t.Fatalf("a readOnly property sent in a PUT is kept as sent (the mock validates requests): %v", rep)
	}
	if len(asked) != 1 {
		t.Fatalf("fill called for %v; only the readOnly number lacks a value", asked)
	}
	if s.Ensure(store.Collection{Name: "orders"}) {
		t.Fatal("Ensure replaced an existing collection")
	}
	if !s.Ensure(store.Collection{Name: "Invoice"}) {
		t.Fatal("Ensure did not add a new collection")
	}
	if rec, err := s.Create("Invoice", nil, store.Record{"amount": 1}); err != nil || rec["id"] != "1" {
		t.Fatalf("a collection without schema: %v, %v", rec, err)
	}
	if d := cmp.Diff([]string{"Invoice", "catalog.products", "customers.addresses", "events", "gadgets", "orders", "widgets"}, s.Collections()); d != "" {
		t.Fatalf("collections (-want +got):\n%s", d)
	}
	if _, err := store.NewWithOptions([]store.Option{store.WithClock(nil)}); err == nil {
		t.Fatal("a nil clock was accepted")
	}
}

func TestUpsertRemove(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	rec, created, err := s.Upsert("orders", nil, "7", store.Record{"total": 1.0})
	if err != nil || !created || rec["id"] != int64(7) || rec["created_at"] == nil {
		t.Fatalf("upsert of a new id = %v, %v, %v", rec, created, err)
	}
	rec, created, err = s.Upsert("orders", nil, "7", store.Record{"status": "paid", "id": 1})
	if err != nil || created || rec["id"] != int64(7) || rec["total"] != nil || rec["status"] != "paid" {
		t.Fatalf("upsert of an existing id = %v, %v, %v", rec, created, err)
	}
	if next, _ := s.Create("orders", nil, store.Record{}); next["id"] != int64(8) {
		t.Fatalf("sequence after upsert of 7 gave %v, want 8", next["id"])
	}
	if rec, _, _ := s.Upsert("gadgets", nil, "g-1", store.Record{"name": "x"}); rec["gadgetId"] != "g-1" {
		t.Fatalf("string id upsert = %v", rec)
	}
	gone, err := s.Remove("orders", nil, "7")
	if err != nil || gone["status"] != "paid" {
		t.Fatalf("remove = %v, %v", gone, err)
	}
	if _, err := s.Remove("orders", nil, "7"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if _, _, err := s.Upsert("nope", nil, "1", nil); !errors.Is(err, store.ErrUnknownCollection) {
		t.Fatalf("upsert unknown: %v", err)
	}
}

// An id pattern Go cannot compile (a look-ahead) is ignored, not fatal.
func TestIDPatternUnsupported(t *testing.T) {
	t.Parallel()
	idSchema := openapi3.NewStringSchema()
	idSchema.Pattern = `^(?=x)x[0-9]+$`
	s := store.New(store.Collection{Name: "things", IDField: "id", IDSchema: idSchema})
	a, err := s.Create("things", nil, store.Record{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Create("things", nil, store.Record{})
	if a["id"] == b["id"] || a["id"] == "" {
		t.Fatalf("ids %v and %v", a["id"], b["id"])
	}
}

func TestReplaceAll(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	if err := s.Seed("orders", []store.Record{{"id": 1}, {"id": 2}}); err != nil {
		t.Fatal(err)
	}
	// A refused batch leaves the old records.
	if err := s.ReplaceAll("orders", []store.Record{{"id": 9}, {"id": 9}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("conflicting batch: %v", err)
	}
	if snap, _ := s.Snapshot("orders"); len(snap) != 2 || snap[0]["id"] != 1 {
		t.Fatalf("a refused ReplaceAll changed the records: %v", snap)
	}
	if err := s.ReplaceAll("orders", []store.Record{{"id": 5}, {"total": 1.0}}); err != nil {
		t.Fatal(err)
	}
	snap, _ := s.Snapshot("orders")
	if len(snap) != 2 || snap[0]["id"] != 5 || snap[1]["id"] != int64(6) {
		t.Fatalf("after ReplaceAll: %v", snap)
	}
	if err := s.ReplaceAll("nope", nil); !errors.Is(err, store.ErrUnknownCollection) {
		t.Fatalf("unknown collection: %v", err)
	}
}

// Readers never see the collection empty while ReplaceAll swaps it.
func TestReplaceAllIsAtomic(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	batch := []store.Record{{"id": 1}, {"id": 2}, {"id": 3}}
	if err := s.ReplaceAll("orders", batch); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for range 200 {
			if err := s.ReplaceAll("orders", batch); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for {
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
		if n := s.Len("orders"); n != 3 {
			t.Fatalf("a reader saw %d records during ReplaceAll", n)
		}
	}
}

// TestIDPatternKeepsLengthLimits: an id pattern that allows the empty
// string (PayPal's ^[a-zA-Z0-9]*$) still yields ids its minLength and
// maxLength accept, whatever the seed.
func TestIDPatternKeepsLengthLimits(t *testing.T) {
	t.Parallel()
	idSchema := openapi3.NewStringSchema().WithMinLength(1).WithMaxLength(12)
	idSchema.Pattern = `^[a-zA-Z0-9]*$`
	s := store.New(store.Collection{Name: "trackers", IDField: "id", IDSchema: idSchema})
	for range 500 {
		rec, err := s.Create("trackers", nil, store.Record{})
		if err != nil {
			t.Fatal(err)
		}
		if err := idSchema.VisitJSON(rec["id"]); err != nil {
			t.Fatalf("id %q breaks its schema: %v", rec["id"], err)
		}
	}
}

// TestIDsFitThePathParameter: where the id property is looser than the
// item path's id parameter, the ids made fit the parameter too, so a record
// can be read at the URL its own id makes. The three shapes come from the
// corpus: PayPal's order id (a plain string in the body, ^[A-Z0-9]+$ in the
// path), HubSpot's subscription id (a string in the body, an integer in the
// path) and PayPal's setup token (short in the body, minLength 7 in the path).
func TestIDsFitThePathParameter(t *testing.T) {
	t.Parallel()
	const spec = `openapi: 3.0.3
info: {title: ids, version: "1"}
paths:
  /orders:
    post:
      responses: {"201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}}
  /orders/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string, pattern: "^[A-Z0-9]+$", maxLength: 36}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}}}
  /subscriptions:
    post:
      responses: {"201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Subscription"}}}}}
  /subscriptions/{subscriptionId}:
    get:
      parameters: [{name: subscriptionId, in: path, required: true, schema: {type: integer, format: int32}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Subscription"}}}}}
  /setup-tokens:
    post:
      responses: {"201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}}
  /setup-tokens/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string, minLength: 7, maxLength: 36}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}}
components:
  schemas:
    Order: {type: object, properties: {id: {type: string}}}
    Subscription: {type: object, properties: {id: {type: string}}}
    Token: {type: object, properties: {id: {type: string, maxLength: 20}}}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	colls := store.Infer(doc)
	s := store.New(colls...)
	for _, c := range colls {
		if c.IDParamSchema == nil {
			t.Fatalf("%s: no id parameter schema inferred", c.Name)
		}
		for range 100 {
			rec, err := s.Create(c.Name, nil, store.Record{})
			if err != nil {
				t.Fatal(err)
			}
			id, _ := c.IDOf(rec)
			// The path holds text: an integer parameter reads it as a number.
			var v any = id
			if c.IDParamSchema.Type.Includes("integer") {
				n, err := strconv.Atoi(id)
				if err != nil {
					t.Fatalf("%s: id %q is no integer, as the path needs", c.Name, id)
				}
				v = float64(n)
			}
			if err := c.IDParamSchema.VisitJSON(v); err != nil {
				t.Fatalf("%s: id %q breaks the path parameter: %v", c.Name, id, err)
			}
			if err := c.IDSchema.VisitJSON(rec[c.IDField]); err != nil {
				t.Fatalf("%s: id %q breaks the id property: %v", c.Name, id, err)
			}
		}
	}
	if len(colls) != 3 {
		t.Errorf("%d collections inferred, want 3", len(colls))
	}
}

// TestIssuedAtIsTheCreation: an invoice the vendor creates is issued then
// (a readOnly issued_at is stamped with the creation time, as created_at
// is, not a sample date from the contract's example), and keeps that time
// through an update.
func TestIssuedAtIsTheCreation(t *testing.T) {
	t.Parallel()
	issued := openapi3.NewDateTimeSchema()
	issued.ReadOnly = true
	item := openapi3.NewObjectSchema().WithProperty("id", openapi3.NewStringSchema()).WithProperty("reference", openapi3.NewStringSchema())
	item.Properties["issued_at"] = issued.NewRef()
	item.Properties["issued_at"].Value.Example = "2025-09-01T10:30:34Z"
	now := fixedNow
	s, err := store.NewWithOptions([]store.Option{store.WithClock(func() time.Time { return now })},
		store.Collection{Name: "invoices", IDField: "id", ItemSchema: item})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Create("invoices", nil, store.Record{"reference": "order-1"})
	if err != nil {
		t.Fatal(err)
	}
	if rec["issued_at"] != "2026-01-02T03:04:05Z" {
		t.Fatalf("issued_at %v, want the creation time", rec["issued_at"])
	}
	now = fixedNow.Add(time.Hour)
	id := rec["id"].(string)
	rep, err := s.Replace("invoices", nil, id, store.Record{"reference": "order-1b", "issued_at": "1999-01-01T00:00:00Z"})
	if err != nil || rep["issued_at"] != "2026-01-02T03:04:05Z" {
		t.Fatalf("after a replace issued_at %v (%v), want the creation time kept", rep["issued_at"], err)
	}
}
