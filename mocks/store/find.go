package store

import "fmt"

// Find returns a copy of the first record of a collection, across parents,
// whose field holds value (compared as text), and whether there is one. It
// copies only what it returns: a lookup by a unique key (an upsert by email)
// costs a scan, not a snapshot of the collection.
func (s *Store) Find(coll, field string, value any) (Record, bool, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, false, err
	}
	want := fmt.Sprint(value)
	var found Record
	c.mu.RLock()
	var best int64 = -1
	for _, b := range c.parents {
		for _, e := range b.order {
			if e.removed || (best >= 0 && e.seq >= best) {
				continue
			}
			if v, ok := e.rec[field]; ok && v != nil && fmt.Sprint(v) == want {
				found, best = e.rec, e.seq
				break
			}
		}
	}
	c.mu.RUnlock()
	if found == nil {
		return nil, false, nil
	}
	// Stored records are never changed in place: copying after the unlock
	// is safe.
	return deepCopyRecord(found), true, nil
}

// Locate finds the record with that id in a collection, whichever parent
// it is under, and returns a copy of it with its parent: what an update
// by id alone (an admin's, a timeline's) needs. ErrNotFound when no record
// has the id; ErrConflict when records under several parents do.
func (s *Store) Locate(coll, id string) ([]string, Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, nil, err
	}
	var parent []string
	var found Record
	c.mu.RLock()
	n := 0
	for _, b := range c.parents {
		if e := b.byID[id]; e != nil && !e.removed {
			parent, found = append([]string(nil), b.parent...), e.rec
			n++
		}
	}
	c.mu.RUnlock()
	switch {
	case n == 0:
		return nil, nil, fmt.Errorf("store: %s %q: %w", coll, id, ErrNotFound)
	case n > 1:
		return nil, nil, fmt.Errorf("store: %s %q: %d records have this id, under different parents: %w", coll, id, n, ErrConflict)
	}
	return parent, deepCopyRecord(found), nil
}
