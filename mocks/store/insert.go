package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RecordError is one record of a batch that a collection refused: which
// one (its index in the batch, from 0), the field at fault ("" for the
// record whole, "id" for a duplicate) and why. Err wraps ErrBadRequest or
// ErrConflict.
type RecordError struct {
	Collection string
	Index      int
	Field      string
	Err        error
}

func (e *RecordError) Error() string {
	at := fmt.Sprintf("store: %s: record %d", e.Collection, e.Index)
	if e.Field != "" {
		at += ": " + e.Field
	}
	return at + ": " + strings.TrimPrefix(e.Err.Error(), "store: ")
}

func (e *RecordError) Unwrap() error { return e.Err }

// Reason is why the record was refused, without the package's prefix nor
// the ErrBadRequest sentinel's text.
func (e *RecordError) Reason() string {
	msg := strings.TrimPrefix(e.Err.Error(), "store: ")
	return strings.TrimSuffix(msg, ": "+ErrBadRequest.Error())
}

// Insert stores records as Create does, each under the parent its fields
// name (as Seed places them), and returns copies of what was stored in the
// order given: ids assigned where missing, timestamps stamped. An id that
// exists, or repeats within the batch, refuses the whole batch with a
// *RecordError naming the first such record (ErrConflict).
func (s *Store) Insert(coll string, recs []Record) ([]Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	prepared := make([]Record, len(recs))
	parents := make([][]string, len(recs))
	for i, r := range recs {
		parents[i] = c.parentFrom(r)
		prepared[i] = c.prepare(r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]int{}
	for i, r := range prepared {
		id, ok := c.def.IDOf(r)
		if !ok {
			continue
		}
		key := parentKey(parents[i]) + "\x00" + id
		b := c.parents[parentKey(parents[i])]
		if first, dup := seen[key]; dup {
			return nil, &RecordError{Collection: coll, Index: i, Field: c.def.idField(),
				Err: fmt.Errorf("id %q%s is also record %d's: %w", id, underParent(parents[i]), first, ErrConflict)}
		}
		if b != nil && b.byID[id] != nil {
			return nil, &RecordError{Collection: coll, Index: i, Field: c.def.idField(),
				Err: fmt.Errorf("id %q%s: %w", id, underParent(parents[i]), ErrConflict)}
		}
		seen[key] = i
	}
	out := make([]Record, len(prepared))
	for i, r := range prepared {
		stored, err := c.insertLocked(parents[i], []Record{r})
		if err != nil {
			return nil, &RecordError{Collection: coll, Index: i, Err: err}
		}
		out[i] = stored[0]
	}
	for i := range out {
		out[i] = deepCopyRecord(out[i])
	}
	return out, nil
}

// RecordErrors lists the *RecordError values in err, joined or wrapped.
func RecordErrors(err error) []*RecordError {
	var out []*RecordError
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *RecordError:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

// DecodeRecords reads a JSON object, or an array of objects, as records;
// many says it was an array.
func DecodeRecords(body []byte) (recs []Record, many bool, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []Record
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, true, fmt.Errorf("want a JSON object or an array of objects: %w", err)
		}
		for i, r := range list {
			if r == nil {
				return nil, true, fmt.Errorf("want a JSON object or an array of objects: item %d is null", i)
			}
		}
		return list, true, nil
	}
	var one Record
	if err := json.Unmarshal(trimmed, &one); err != nil || one == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, false, fmt.Errorf("want a JSON object or an array of objects: %w", err)
	}
	return []Record{one}, false, nil
}
