package store

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
)

// TestCompareAndSetLosesNoIncrement: writers that read a counter and set
// it one higher, each expecting what it read, lose no increment when they
// retry their stale writes.
func TestCompareAndSetLosesNoIncrement(t *testing.T) {
	t.Parallel()
	cas := &CompareAndSet{Field: "count", Expect: "compareCount", Initial: 0}
	s := New(Collection{Name: "customers", IDField: "id", CAS: cas})
	if _, err := s.Create("customers", nil, Record{"id": "c1"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Get("customers", nil, "c1"); !SameValue(rec["count"], 0) {
		t.Fatalf("a created record holds count %v, want the initial 0", rec["count"])
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	var staleMu sync.Mutex
	stale := 0
	for range writers {
		wg.Go(func() {
			for range each {
				for {
					rec, err := s.Get("customers", nil, "c1")
					if err != nil {
						t.Error(err)
						return
					}
					n, _ := jsonNumber(rec["count"])
					write := Record{"count": n + 1, "compareCount": n}
					expected, ok := cas.Expected(write)
					if !ok || write["compareCount"] != nil {
						t.Errorf("Expected(%v) = %v, %v: the expectation stays in the write", write, expected, ok)
						return
					}
					_, err = s.PatchIf("customers", nil, "c1", write, cas.Check(expected))
					if err == nil {
						break
					}
					var se *StaleError
					if !errors.Is(err, ErrStale) || !errors.As(err, &se) || SameValue(se.Stored, n) {
						t.Errorf("a stale write: %v", err)
						return
					}
					staleMu.Lock()
					stale++
					staleMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	rec, _ := s.Get("customers", nil, "c1")
	if !SameValue(rec["count"], writers*each) {
		t.Errorf("count %v after %d increments", rec["count"], writers*each)
	}
	if _, ok := rec["compareCount"]; ok {
		t.Error("the expectation was stored")
	}
	t.Logf("%d stale writes retried", stale)
}

func TestStaleWriteChangesNothing(t *testing.T) {
	t.Parallel()
	cas := CompareAndSet{Field: "qty", Expect: "compareQty"}
	s := New(Collection{Name: "stock", IDField: "sku", CAS: &cas})
	if _, err := s.Create("stock", nil, Record{"sku": "A", "qty": 99, "note": "x"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReplaceIf("stock", nil, "A", Record{"qty": -3}, cas.Check(json.Number("5")))
	var se *StaleError
	if !errors.As(err, &se) || se.Error() != "qty is 99, not the expected 5" {
		t.Fatalf("err = %v, want qty is 99, not the expected 5", err)
	}
	if rec, _ := s.Get("stock", nil, "A"); !SameValue(rec["qty"], 99) || rec["note"] != "x" {
		t.Errorf("a stale write changed the record: %v", rec)
	}
	if _, err := s.PatchIf("stock", nil, "A", Record{"qty": 98}, cas.Check(json.Number("99.0"))); err != nil {
		t.Errorf("a write expecting 99.0 of 99: %v", err)
	}
	if _, err := s.PatchIf("stock", nil, "B", Record{"qty": 1}, cas.Check(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a write to no record: %v, want not found", err)
	}
	if _, ok := cas.Expected(Record{"compareQty": nil}); ok {
		t.Error("a null expectation is an expectation")
	}
	// Without an initial value a record created without the field has none.
	if rec, _ := s.Create("stock", nil, Record{"sku": "C"}); rec["qty"] != nil {
		t.Errorf("qty %v without an initial value", rec["qty"])
	}
}

func TestSameValueAndETag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b any
		same bool
	}{
		{3, 3.0, true}, {json.Number("3"), int64(3), true}, {"3", 3, false}, {nil, nil, true}, {nil, 0, false},
		{map[string]any{"a": 1}, map[string]any{"a": 1.0}, true}, {[]any{1, "x"}, []any{1.0, "x"}, true},
		{[]any{1}, []any{1, 2}, false}, {true, true, true}, {map[string]any{"a": 1}, map[string]any{"b": 1}, false},
	} {
		if got := SameValue(tc.a, tc.b); got != tc.same {
			t.Errorf("SameValue(%#v, %#v) = %v", tc.a, tc.b, got)
		}
	}
	a, b := ETag(Record{"id": "1", "n": 1}), ETag(Record{"n": 1, "id": "1"})
	if a != b || a[0] != '"' || a == ETag(Record{"id": "1", "n": 2}) {
		t.Errorf("ETag: %s %s", a, b)
	}
}
