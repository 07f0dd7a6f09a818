package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Record is one stored resource: a JSON object as encoding/json decodes it.
type Record = map[string]any

// The errors the store returns, wrapped with the collection and id.
var (
	ErrNotFound          = errors.New("not found")          // no record with that id under that parent: 404
	ErrConflict          = errors.New("already exists")     // a create with an id that exists: 409
	ErrUnknownCollection = errors.New("unknown collection") // no collection by that name
	ErrBadRequest        = errors.New("bad request")        // a page request or a patch the store cannot apply: 400
)

// Option configures a Store.
type Option func(*Store) error

// WithClock sets the clock that stamps creation and update times. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now == nil {
			return errors.New("store: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithSeed makes generated ids repeatable for a given order of creates.
// Default 0: ids come from a random seed.
func WithSeed(seed uint64) Option {
	return func(s *Store) error { s.seed = seed; return nil }
}

// WithFill sets the generator that fills the readOnly properties a created
// record lacks (other than its id and timestamps), given each property's
// schema. It must be safe for concurrent use. Default: none, such
// properties stay absent.
func WithFill(fill func(*openapi3.Schema) any) Option {
	return func(s *Store) error { s.fill = fill; return nil }
}

// Store keeps the records of every collection. It is safe for concurrent
// use; the zero value is not usable, call New.
type Store struct {
	mu    sync.RWMutex
	colls map[string]*coll
	now   func() time.Time
	seed  uint64
	fill  func(*openapi3.Schema) any
}

// New returns a store with the given collections and default options.
func New(colls ...Collection) *Store {
	s, _ := NewWithOptions(nil, colls...) // default options cannot fail
	return s
}

// NewWithOptions returns a store with the given options and collections.
func NewWithOptions(opts []Option, colls ...Collection) (*Store, error) {
	s := &Store{colls: map[string]*coll{}, now: time.Now}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	for _, c := range colls {
		s.Ensure(c)
	}
	return s, nil
}

// Ensure adds a collection at run time. It reports whether it was added: a
// collection of that name already there is kept as it is, records included.
func (s *Store) Ensure(c Collection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.colls[c.Name]; ok {
		return false
	}
	s.colls[c.Name] = newColl(c, s)
	return true
}

// SetCompareAndSet gives a collection its compare-and-set rule (see
// Collection.CAS), nil to take it away.
func (s *Store) SetCompareAndSet(coll string, rule *CompareAndSet) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.def.CAS = rule
	c.mu.Unlock()
	return nil
}

// SetStamps gives a collection the fields it stamps on every write (see
// Collection.Stamps), in place of those it had.
func (s *Store) SetStamps(coll string, stamps []Stamp) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.def.Stamps = stamps
	c.mu.Unlock()
	return nil
}

// Collection returns the definition of a collection by name.
func (s *Store) Collection(name string) (Collection, bool) {
	c, err := s.coll(name)
	if err != nil {
		return Collection{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.def, true
}

// Collections returns the names of the collections, sorted.
func (s *Store) Collections() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.colls))
	for n := range s.colls {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Store) coll(name string) (*coll, error) {
	s.mu.RLock()
	c := s.colls[name]
	s.mu.RUnlock()
	if c == nil {
		return nil, fmt.Errorf("store: collection %q: %w", name, ErrUnknownCollection)
	}
	return c, nil
}

// Create stores a copy of rec under parent and returns a copy of what was
// stored. It assigns the id when rec has none and stamps the timestamps the
// item schema declares (see the package documentation). A record whose id
// exists under that parent is refused with ErrConflict.
func (s *Store) Create(coll string, parent []string, rec Record) (Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	out, err := c.insert(parent, []Record{rec})
	if err != nil {
		return nil, err
	}
	return deepCopyRecord(out[0]), nil
}

// Seed stores records as Create does, all or none: a conflicting id refuses
// the whole batch. Each record goes under the parent whose values it holds
// in properties named like the parent parameters (compared without case,
// "_" and "-": {customer_id} reads "customer_id" or "customerId"); a record
// without them goes under no parent.
func (s *Store) Seed(coll string, recs []Record) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	groups, parents, order := c.groupByParent(recs)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range order {
		if err := c.checkBatch(parents[k], groups[k]); err != nil {
			return err
		}
	}
	for _, k := range order {
		if _, err := c.insertLocked(parents[k], groups[k]); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceAll swaps every record of a collection for recs, placed as Seed
// places them, in one step: readers see the old records or the new ones,
// never an empty or partial collection, and a refused batch (ErrConflict)
// leaves the old records in place. Integer id sequences restart above the
// new records' ids.
func (s *Store) ReplaceAll(coll string, recs []Record) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	groups, parents, order := c.groupByParent(recs)
	c.mu.Lock()
	defer c.mu.Unlock()
	oldParents, oldLast := c.parents, c.lastInt
	c.parents, c.lastInt = map[string]*bucket{}, 0
	for _, k := range order {
		if err := c.checkBatch(parents[k], groups[k]); err != nil {
			c.parents, c.lastInt = oldParents, oldLast
			return err
		}
		if _, err := c.insertLocked(parents[k], groups[k]); err != nil {
			c.parents, c.lastInt = oldParents, oldLast
			return err
		}
	}
	return nil
}

// SeedUnder stores records under one parent, all or none.
func (s *Store) SeedUnder(coll string, parent []string, recs []Record) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	_, err = c.insert(parent, recs)
	return err
}

// Get returns a copy of the record with that id under parent.
func (s *Store) Get(coll string, parent []string, id string) (Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	e, err := c.find(parent, id)
	var rec Record
	if err == nil {
		rec = e.rec
	}
	c.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return deepCopyRecord(rec), nil // stored records are never changed in place
}

// Replace swaps the record with that id for a copy of rec (PUT). The id and
// the creation time are kept, the update time refreshed. ErrNotFound when
// there is no such record: a caller that wants PUT to create calls Create.
func (s *Store) Replace(coll string, parent []string, id string, rec Record) (Record, error) {
	return s.ReplaceIf(coll, parent, id, rec, nil)
}

// ReplaceIf is Replace done only when check, given the stored record,
// returns nil: the check and the write are one step, so a compare-and-set
// cannot lose a write that came in between. check's error is returned as
// it is and nothing changes. A nil check always passes.
func (s *Store) ReplaceIf(coll string, parent []string, id string, rec Record, check func(Record) error) (Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	next := deepCopyRecord(rec)
	if next == nil {
		next = Record{}
	}
	c.mu.Lock()
	e, err := c.find(parent, id)
	if err == nil && check != nil {
		err = check(e.rec)
	}
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.keepServerFields(e.rec, next)
	e.rec = next
	c.mu.Unlock()
	return deepCopyRecord(next), nil
}

// Patch applies a JSON merge patch (RFC 7386) to the record with that id:
// members of patch replace those of the record, null deletes them, objects
// merge recursively. The id and the creation time are kept, the update time
// refreshed. A patch that is not a JSON object is refused with ErrBadRequest.
func (s *Store) Patch(coll string, parent []string, id string, patch any) (Record, error) {
	return s.PatchIf(coll, parent, id, patch, nil)
}

// PatchIf is Patch done only when check, given the stored record, returns
// nil, in the same step (see ReplaceIf).
func (s *Store) PatchIf(coll string, parent []string, id string, patch any, check func(Record) error) (Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	if _, ok := patch.(map[string]any); !ok {
		return nil, fmt.Errorf("store: patch %s %q: the patch is %T, not a JSON object: %w", coll, id, patch, ErrBadRequest)
	}
	c.mu.Lock()
	e, err := c.find(parent, id)
	if err == nil && check != nil {
		err = check(e.rec)
	}
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	next, _ := MergePatch(deepCopyRecord(e.rec), patch).(map[string]any)
	c.keepServerFields(e.rec, next)
	e.rec = next
	c.mu.Unlock()
	return deepCopyRecord(next), nil
}

// Upsert replaces the record with that id as Replace does, or creates it
// with that id when there is none (PUT to create, as some APIs allow), in
// one step. It reports whether it created the record. The id is stored as an
// integer when the id schema is an integer and id is one.
func (s *Store) Upsert(coll string, parent []string, id string, rec Record) (Record, bool, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, false, err
	}
	next := c.prepare(rec)
	c.mu.Lock()
	if e, err := c.find(parent, id); err == nil {
		c.keepServerFields(e.rec, next)
		e.rec = next
		c.mu.Unlock()
		return deepCopyRecord(next), false, nil
	}
	if len(c.def.Key) == 0 {
		next[c.def.idField()] = c.typedID(id)
	} else if vals := c.def.keyValues(id); vals != nil {
		for i, k := range c.def.Key {
			if v := next[k]; v == nil || idString(v) != vals[i] {
				next[k] = vals[i]
			}
		}
	} else {
		c.mu.Unlock()
		return nil, false, fmt.Errorf("store: upsert %s %q: the id does not hold the %d values of the key %s: %w", coll, id, len(c.def.Key), strings.Join(c.def.Key, " + "), ErrBadRequest)
	}
	out, err := c.insertLocked(parent, []Record{next})
	c.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	return deepCopyRecord(out[0]), true, nil
}

// Delete removes the record with that id under parent.
func (s *Store) Delete(coll string, parent []string, id string) error {
	_, err := s.Remove(coll, parent, id)
	return err
}

// Remove deletes the record with that id under parent and returns it, in
// one step (a GraphQL delete answers with what it deleted).
func (s *Store) Remove(coll string, parent []string, id string) (Record, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, err := c.find(parent, id)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	rec := e.rec
	c.parents[parentKey(parent)].remove(id)
	c.mu.Unlock()
	return deepCopyRecord(rec), nil // a reader may still be copying rec
}

// List returns a page of the records under parent in insertion order, and
// where that page sits (see PageRequest). A cursor naming a record that does
// not exist is refused with ErrBadRequest.
func (s *Store) List(coll string, parent []string, req PageRequest) ([]Record, PageInfo, error) {
	return s.ListWhere(coll, parent, req, nil)
}

// ListWhere is List over the records keep accepts (all when keep is nil):
// the page, its totals and its cursors are those of the filtered list. A
// cursor whose record no longer matches still marks its place.
func (s *Store) ListWhere(coll string, parent []string, req PageRequest, keep func(Record) bool) ([]Record, PageInfo, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, PageInfo{}, err
	}
	if req.Offset < 0 || req.Limit < 0 {
		return nil, PageInfo{}, fmt.Errorf("store: list %s: negative offset or limit: %w", coll, ErrBadRequest)
	}
	c.mu.RLock()
	var live []*entry
	if b := c.parents[parentKey(parent)]; b != nil {
		live = b.live()
	}
	recs, info, err := c.page(live, req, keep)
	c.mu.RUnlock()
	for i, r := range recs {
		recs[i] = deepCopyRecord(r) // stored records are never changed in place
	}
	return recs, info, err
}

// Snapshot returns copies of every record of a collection, across parents,
// in insertion order: what the consistency checks and the admin API read.
func (s *Store) Snapshot(coll string) ([]Record, error) {
	entries, err := s.Entries(coll)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, nil
}

// Entry is a stored record with the parent it lives under.
type Entry struct {
	Parent []string
	ID     string
	Record Record
}

// Entries returns copies of every record of a collection with its parent,
// in insertion order.
func (s *Store) Entries(coll string) ([]Entry, error) {
	c, err := s.coll(coll)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	type seqEntry struct {
		seq int64
		e   Entry
	}
	var all []seqEntry
	for _, b := range c.parents {
		for _, e := range b.live() {
			all = append(all, seqEntry{e.seq, Entry{Parent: append([]string(nil), b.parent...), ID: e.id, Record: e.rec}})
		}
	}
	c.mu.RUnlock()
	for i := range all {
		all[i].e.Record = deepCopyRecord(all[i].e.Record)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]Entry, len(all))
	for i := range all {
		out[i] = all[i].e
	}
	return out, nil
}

// Len returns the number of records of a collection across parents; 0 for
// an unknown collection.
func (s *Store) Len(coll string) int {
	c, err := s.coll(coll)
	if err != nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, b := range c.parents {
		n += len(b.byID)
	}
	return n
}

// Reset removes every record of a collection. Integer id sequences restart.
func (s *Store) Reset(coll string) error {
	c, err := s.coll(coll)
	if err != nil {
		return err
	}
	c.reset()
	return nil
}

// ResetAll removes every record of every collection.
func (s *Store) ResetAll() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.colls {
		c.reset()
	}
}

// parentKey joins parent values; a marker keeps nil apart from [""].
func parentKey(parent []string) string {
	if len(parent) == 0 {
		return ""
	}
	return "\x01" + strings.Join(parent, "\x00")
}
