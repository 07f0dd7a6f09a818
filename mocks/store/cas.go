package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// CompareAndSet is a vendor's compare-and-set rule on a collection: a
// write that carries, under Expect, the value it expects Field to hold
// changes the record only if Field holds that value when the write lands
// (Shopify's compareQuantity beside quantity). Otherwise the write is stale
// and the record stays as it was: the vendor answers with a user error or
// a 409. A write that carries no expected value is not conditional.
type CompareAndSet struct {
	Field  string // the field the write sets: orderCount
	Expect string // the field of the write holding the value it expects: compareOrderCount
	// Initial is what Field holds on a record created without it (a
	// counter's 0); nil leaves it absent.
	Initial any
}

// ErrStale is what a compare-and-set write gets when the record no longer
// holds the value it expected; errors.Is finds it in a *StaleError.
var ErrStale = errors.New("stale write")

// StaleError tells a stale write what it expected and what was there.
type StaleError struct {
	Field    string
	Expected any
	Stored   any // nil when the record has no such field
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s is %s, not the expected %s", e.Field, jsonText(e.Stored), jsonText(e.Expected))
}

// Unwrap makes errors.Is(err, ErrStale) hold.
func (e *StaleError) Unwrap() error { return ErrStale }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Expected takes the expected value out of a write's record (it is no
// field of the stored record) and reports whether the write carries one.
// A null expected value counts as none.
func (c CompareAndSet) Expected(rec Record) (any, bool) {
	v, ok := rec[c.Expect]
	if !ok {
		return nil, false
	}
	delete(rec, c.Expect)
	return v, v != nil
}

// Check returns the check ReplaceIf and PatchIf run on the stored record:
// a *StaleError unless its Field holds expected (SameValue).
func (c CompareAndSet) Check(expected any) func(Record) error {
	return func(stored Record) error {
		if v := stored[c.Field]; !SameValue(v, expected) {
			return &StaleError{Field: c.Field, Expected: expected, Stored: v}
		}
		return nil
	}
}

// SameValue says whether two JSON values are equal as JSON: numbers by
// value whatever their Go type (3, 3.0, json.Number("3")), objects and
// arrays member by member.
func SameValue(a, b any) bool {
	if x, ok := jsonNumber(a); ok {
		y, ok := jsonNumber(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !SameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !SameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func jsonNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case int32:
		return float64(n), true
	case float32:
		return float64(n), true
	}
	return number(v)
}

// ETag is a strong entity tag of a record, quoted as HTTP writes it: a
// digest of its JSON, so it changes with any field.
func ETag(rec Record) string {
	b, _ := json.Marshal(rec) // map keys sorted: the same record, the same tag
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
