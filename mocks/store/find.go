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
