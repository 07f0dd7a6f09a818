package store_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/store"
)

// TestStampsAndDeclaredFilters: declared stamps are written on every
// create and update, whatever the client sent, and declared filters on
// them find what changed after a point.
func TestStampsAndDeclaredFilters(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	def := store.Collection{Name: "stock", IDField: "sku", Stamps: []store.Stamp{{Field: "changed", Kind: store.StampTime}, {Field: "rev", Kind: store.StampCounter}}}
	for param, rule := range map[string]string{"changed_min": "changed >", "since": "rev >"} {
		f, err := store.ParseFilterRule(param, rule)
		if err != nil {
			t.Fatal(err)
		}
		def.List.SetFilters(f)
	}
	s, err := store.NewWithOptions([]store.Option{store.WithClock(clock)}, def)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Create("stock", nil, store.Record{"sku": "A", "rev": nil})
	now = now.Add(time.Millisecond)
	b, _ := s.Create("stock", nil, store.Record{"sku": "B"})
	if a["rev"] != int64(1) || b["rev"] != int64(2) || a["changed"] != "2026-01-01T00:00:00Z" || b["changed"] != "2026-01-01T00:00:00.001Z" {
		t.Fatalf("stamps on create: A %v, B %v", a, b)
	}
	now = now.Add(time.Millisecond)
	a, err = s.Patch("stock", nil, "A", map[string]any{"qty": 3.0, "rev": 99.0, "changed": "1999-01-01T00:00:00Z"})
	if err != nil || a["rev"] != int64(3) || a["changed"] != "2026-01-01T00:00:00.002Z" {
		t.Fatalf("stamps on update, the client's values overwritten: %v %v", a, err)
	}
	def, _ = s.Collection("stock")
	for q, want := range map[string]string{"since=2": "A", "since=0": "AB", "changed_min=2026-01-01T00:00:00.0015Z": "A", "changed_min=2026-01-01T00:00:00Z": "AB"} {
		query, _ := url.ParseQuery(q)
		keep, ignored, err := def.List.Where(query)
		if err != nil || len(ignored) > 0 {
			t.Fatalf("%s: %v, ignored %v", q, err, ignored)
		}
		recs, _, _ := s.ListWhere("stock", nil, store.PageRequest{}, keep)
		got := ""
		for _, r := range recs {
			got += r["sku"].(string)
		}
		if got != want && got != want[1:]+want[:1] {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	for _, bad := range [][2]string{{"since", "rev"}, {"since", "rev ~"}, {"", "rev >"}, {"since", ".rev >"}} {
		if _, err := store.ParseFilterRule(bad[0], bad[1]); err == nil {
			t.Errorf("%q: %q taken", bad[0], bad[1])
		}
	}
	if _, err := store.ParseStamp("rev", "clock"); err == nil {
		t.Error("a stamp of kind clock taken")
	}
}
