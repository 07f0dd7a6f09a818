package store

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// coll is the state of one collection, guarded by its own lock.
//
// A record, once stored, is never changed in place: Replace, Patch and
// Upsert store a new map. So a reader may take a stored map under the lock
// and deep-copy it after unlocking, which keeps the lock short.
type coll struct {
	def     Collection
	store   *Store
	mu      sync.RWMutex
	seq     int64 // insertion counter across parents: the listing order
	lastInt int64 // the highest integer id seen: the next sequence starts above it
	version int64 // the last value of the counter stamps (StampCounter)
	parents map[string]*bucket
	ids     *idMaker
	created []field // creation timestamps the item schema declares
	updated []field // update timestamps the item schema declares
	fillers []field // other readOnly properties to fill on create
}

// field is a property of the item schema the store writes itself.
type field struct {
	name   string
	schema *openapi3.Schema
}

// bucket holds the records under one parent key.
type bucket struct {
	parent []string
	byID   map[string]*entry
	order  []*entry // by seq; may hold removed entries until compaction
	dead   int
}

type entry struct {
	seq     int64
	id      string
	rec     Record
	removed bool
}

func newColl(def Collection, s *Store) *coll {
	c := &coll{def: def, store: s, parents: map[string]*bucket{}}
	c.ids = newIDMaker(def, s.seed)
	c.created, c.updated, c.fillers = serverFields(def)
	return c
}

func (c *coll) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parents = map[string]*bucket{}
	c.lastInt = 0
	c.version = 0
}

// insert stores copies of recs under parent, all or none.
func (c *coll) insert(parent []string, recs []Record) ([]Record, error) {
	prepared := make([]Record, len(recs))
	for i, r := range recs {
		prepared[i] = c.prepare(r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkBatch(parent, prepared); err != nil {
		return nil, err
	}
	return c.insertLocked(parent, prepared)
}

// prepare copies a record and fills readOnly properties outside the lock.
func (c *coll) prepare(r Record) Record {
	rec := deepCopyRecord(r)
	if rec == nil {
		rec = Record{}
	}
	if fill := c.store.fill; fill != nil {
		for _, f := range c.fillers {
			if _, ok := rec[f.name]; !ok {
				if v := fill(f.schema); v != nil {
					rec[f.name] = v
				}
			}
		}
	}
	return rec
}

// checkBatch refuses ids that exist or repeat within the batch.
func (c *coll) checkBatch(parent []string, recs []Record) error {
	b := c.parents[parentKey(parent)]
	var seen map[string]bool // only a batch can repeat itself
	if len(recs) > 1 {
		seen = map[string]bool{}
	}
	for _, r := range recs {
		id, ok := c.def.IDOf(r)
		if !ok && len(c.def.Key) > 0 {
			return fmt.Errorf("store: create %s%s: a record is keyed by %s and needs them all: %w", c.def.Name, underParent(parent), strings.Join(c.def.Key, " + "), ErrBadRequest)
		}
		if !ok {
			continue
		}
		if seen[id] || (b != nil && b.byID[id] != nil) {
			return fmt.Errorf("store: create %s %q%s: %w", c.def.Name, id, underParent(parent), ErrConflict)
		}
		if seen != nil {
			seen[id] = true
		}
	}
	return nil
}

// insertLocked stores recs (already checked and private to the store) and
// returns them as stored: callers copy them, after unlocking, before they
// leave the package.
func (c *coll) insertLocked(parent []string, recs []Record) ([]Record, error) {
	key := parentKey(parent)
	b := c.parents[key]
	if b == nil {
		b = &bucket{parent: append([]string(nil), parent...), byID: map[string]*entry{}}
		c.parents[key] = b
	}
	now := c.store.now()
	out := make([]Record, len(recs))
	for i, r := range recs {
		rec := r // prepared: already a private copy
		if v := rec[c.def.idField()]; v == nil {
			v, err := c.newID(b)
			if err != nil {
				return nil, err
			}
			rec[c.def.idField()] = v
		} else {
			c.noteID(v)
		}
		id, _ := c.def.IDOf(rec) // checked: a record of a keyed collection holds its key
		stampAbsent(rec, c.created, now)
		stampAbsent(rec, c.updated, now)
		c.stampDeclared(rec, now, true)
		if cas := c.def.CAS; cas != nil && cas.Initial != nil {
			if _, ok := rec[cas.Field]; !ok {
				rec[cas.Field] = deepCopy(cas.Initial)
			}
		}
		c.seq++
		e := &entry{seq: c.seq, id: id, rec: rec}
		b.byID[id] = e
		b.order = append(b.order, e)
		out[i] = rec
	}
	return out, nil
}

// newID makes an id no record under b holds.
func (c *coll) newID(b *bucket) (any, error) {
	for range 64 {
		v := c.ids.next(c)
		if b.byID[idString(v)] == nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("store: create %s: no free id after 64 tries (the id schema allows too few values): %w", c.def.Name, ErrConflict)
}

func (c *coll) find(parent []string, id string) (*entry, error) {
	if b := c.parents[parentKey(parent)]; b != nil {
		if e := b.byID[id]; e != nil {
			return e, nil
		}
	}
	return nil, c.notFound(parent, id)
}

func (c *coll) notFound(parent []string, id string) error {
	return fmt.Errorf("store: %s %q%s: %w", c.def.Name, id, underParent(parent), ErrNotFound)
}

func underParent(parent []string) string {
	if len(parent) == 0 {
		return ""
	}
	return fmt.Sprintf(" under %q", parent)
}

// keepServerFields carries the id and creation times of old into next,
// and the readOnly properties next lacks (a client cannot write them, so a
// PUT without them does not erase them), and refreshes the update times.
func (c *coll) keepServerFields(old, next Record) {
	f := c.def.idField()
	next[f] = old[f]
	for _, k := range c.def.Key { // the key places the record: a write cannot move it
		next[k] = old[k]
	}
	for _, t := range c.created {
		if v, ok := old[t.name]; ok {
			next[t.name] = v
		}
	}
	for _, t := range c.fillers {
		if _, has := next[t.name]; !has {
			if v, ok := old[t.name]; ok {
				next[t.name] = v
			}
		}
	}
	now := c.store.now()
	for _, t := range c.updated {
		next[t.name] = stamp(t.schema, now)
	}
	c.stampDeclared(next, now, false)
}

// groupByParent prepares records and groups them by the parent their
// fields name, keeping the order of first appearance.
func (c *coll) groupByParent(recs []Record) (map[string][]Record, map[string][]string, []string) {
	groups := map[string][]Record{}
	parents := map[string][]string{}
	var order []string
	for _, r := range recs {
		p := c.parentFrom(r)
		k := parentKey(p)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			parents[k] = p
		}
		groups[k] = append(groups[k], c.prepare(r))
	}
	return groups, parents, order
}

// parentFrom reads a record's parent values from properties named like the
// parent parameters; nil when any is missing.
func (c *coll) parentFrom(r Record) []string {
	if len(c.def.ParentParams) == 0 {
		return nil
	}
	out := make([]string, len(c.def.ParentParams))
	for i, p := range c.def.ParentParams {
		found := false
		for k, v := range r {
			if norm(k) == norm(p) && v != nil {
				out[i], found = idString(v), true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return out
}

func (c *coll) page(all []*entry, req PageRequest, keep func(Record) bool) ([]Record, PageInfo, error) {
	live := all
	if keep != nil {
		live = make([]*entry, 0, len(all))
		for _, e := range all {
			if keep(e.rec) {
				live = append(live, e)
			}
		}
	}
	info := PageInfo{Total: len(live), Limit: req.Limit, Backward: req.Before != ""}
	start, end := 0, len(live)
	if req.After != "" {
		i, in := cursorIndex(all, live, req.After)
		if i < 0 {
			return nil, info, fmt.Errorf("store: list %s: cursor %q names no record: %w", c.def.Name, req.After, ErrBadRequest)
		}
		start = i
		if in {
			start++
		}
	}
	if req.Before != "" {
		i, _ := cursorIndex(all, live, req.Before)
		if i < 0 {
			return nil, info, fmt.Errorf("store: list %s: cursor %q names no record: %w", c.def.Name, req.Before, ErrBadRequest)
		}
		end = i
		if req.Limit > 0 {
			start = max(end-req.Limit, 0)
		}
	}
	if req.Offset >= end-start {
		start = end
	} else {
		start += req.Offset
	}
	stop := end
	if req.Limit > 0 && start+req.Limit < end {
		stop = start + req.Limit
	}
	page := live[start:stop]
	out := make([]Record, len(page))
	for i, e := range page {
		out[i] = e.rec // copied by the caller once unlocked
	}
	info.Offset, info.Count = start, len(page)
	info.HasPrev = start > 0
	if info.Backward {
		info.HasMore = start > 0
	} else {
		info.HasMore = stop < len(live)
	}
	if len(page) > 0 {
		if info.Backward {
			info.NextCursor = page[0].id
		} else if info.HasMore {
			info.NextCursor = page[len(page)-1].id
		}
		if info.HasPrev {
			info.PrevCursor = page[0].id
		}
	}
	return out, info, nil
}

// cursorIndex is the cursor's place in the filtered list: its index there,
// or, when its record has stopped matching the filter since the page that
// named it, how many matching records come before it; and whether it is
// there. -1 when no record has that id.
func cursorIndex(all, filtered []*entry, id string) (int, bool) {
	if i := indexOf(filtered, id); i >= 0 {
		return i, true
	}
	i := indexOf(all, id)
	if i < 0 {
		return -1, false
	}
	n := 0
	for _, e := range filtered {
		if e.seq < all[i].seq {
			n++
		}
	}
	return n, false
}

func indexOf(live []*entry, id string) int {
	for i, e := range live {
		if e.id == id {
			return i
		}
	}
	return -1
}

// live returns the entries not removed, in insertion order. Without
// removals it is the bucket's own slice: callers only read it, under the lock.
func (b *bucket) live() []*entry {
	if b.dead == 0 {
		return b.order
	}
	out := make([]*entry, 0, len(b.byID))
	for _, e := range b.order {
		if !e.removed {
			out = append(out, e)
		}
	}
	return out
}

func (b *bucket) remove(id string) {
	e := b.byID[id]
	delete(b.byID, id)
	e.removed = true
	b.dead++
	if b.dead > len(b.order)/2 {
		kept := b.order[:0]
		for _, e := range b.order {
			if !e.removed {
				kept = append(kept, e)
			}
		}
		clear(b.order[len(kept):])
		b.order, b.dead = kept, 0
	}
}

// sortFields orders fields by name for repeatable behaviour.
func sortFields(fs []field) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
}
