package store

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// StampKind is what the store writes into a declared stamp field.
type StampKind string

// The kinds of stamp a collection may declare.
const (
	// StampTime is the instant of the write: RFC 3339 with nanoseconds, or
	// Unix seconds where the item schema makes the field an integer.
	StampTime StampKind = "time"
	// StampCounter is a number the collection raises on every write of any
	// of its records: a record's value grows with each of its writes, and
	// a value read once is a point a list can ask what changed after.
	StampCounter StampKind = "counter"
)

// StampKinds are the kinds of stamp, as a declaration writes them.
var StampKinds = []string{string(StampTime), string(StampCounter)}

// Stamp is a field the store writes on every create and update of a
// record, whatever the client sent, as a vendor stamps updated_at or a
// version: a create keeps a value the record already holds (a seeded
// record keeps its history), an update always writes it.
type Stamp struct {
	Field string
	Kind  StampKind
}

// ParseStamp reads one stamp of a declaration: the field and its kind.
func ParseStamp(field, kind string) (Stamp, error) {
	if strings.TrimSpace(field) == "" {
		return Stamp{}, fmt.Errorf("a stamped field needs a name")
	}
	switch k := StampKind(kind); k {
	case StampTime, StampCounter:
		return Stamp{Field: field, Kind: k}, nil
	}
	return Stamp{}, fmt.Errorf("stamp %q is not one of %s", kind, strings.Join(StampKinds, ", "))
}

// filterOps are the comparisons a declared filter may make, as written.
var filterOps = map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": ""}

// ParseFilterRule reads a filter a declaration gives a list's query
// parameter: "FIELD OP", OP one of > >= < <= =, the field a property path
// with dots (updated_at >, meta.version >=). The parameter's value is the
// bound: updated_after=2026-01-01T00:00:00Z with "updated_at >" keeps the
// records updated after it.
func ParseFilterRule(param, rule string) (Filter, error) {
	if strings.TrimSpace(param) == "" {
		return Filter{}, fmt.Errorf("a filter needs the query parameter it reads")
	}
	parts := strings.Fields(rule)
	if len(parts) != 2 {
		return Filter{}, fmt.Errorf("filter %q: want FIELD OP, as \"updated_at >\"", rule)
	}
	op, ok := filterOps[parts[1]]
	if !ok {
		return Filter{}, fmt.Errorf("filter %q: %q is not one of > >= < <= =", rule, parts[1])
	}
	path := strings.Split(parts[0], ".")
	for _, p := range path {
		if p == "" {
			return Filter{}, fmt.Errorf("filter %q: %q is not a property path", rule, parts[0])
		}
	}
	f := Filter{Param: param, Paths: [][]string{path}, Kind: FilterEqual}
	if op != "" {
		f.Kind, f.Op = FilterRange, op
	}
	return f, nil
}

// SetFilters puts fs in the list's filters, in place of those it infers
// for the same parameters: a declaration knows better than the names.
func (s *ListShape) SetFilters(fs ...Filter) {
	for _, f := range fs {
		s.Filters = slices.DeleteFunc(s.Filters, func(g Filter) bool { return g.Param == f.Param })
		s.Uninterpreted = slices.DeleteFunc(s.Uninterpreted, func(p string) bool { return p == f.Param })
		s.Filters = append(s.Filters, f)
	}
}

// stampDeclared writes the declared stamps into rec at now: on a create
// (create true) only those rec lacks, noting a counter it holds; on an
// update all. Called under c's lock.
func (c *coll) stampDeclared(rec Record, now time.Time, create bool) {
	for _, st := range c.def.Stamps {
		if v, has := rec[st.Field]; create && has && v != nil {
			if n, ok := number(v); ok && st.Kind == StampCounter && int64(n) > c.version {
				c.version = int64(n)
			}
			continue
		}
		switch st.Kind {
		case StampCounter:
			c.version++
			rec[st.Field] = c.version
		default:
			rec[st.Field] = c.stampTime(st.Field, now)
		}
	}
}

// stampTime renders now for a time stamp: Unix seconds where the item
// schema makes the field an integer, else RFC 3339 with nanoseconds, so
// two writes in one second stay in order.
func (c *coll) stampTime(field string, now time.Time) any {
	if ref := properties(c.def.ItemSchema)[field]; ref != nil && ref.Value != nil && ref.Value.Type.Includes("integer") {
		return now.Unix()
	}
	return now.UTC().Format(time.RFC3339Nano)
}
