package store

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// rangeOps are the bounds a bracket may carry: created[gte]=.
var rangeOps = map[string]bool{"gt": true, "gte": true, "lt": true, "lte": true}

// Where reads the filters of a list request: which records to keep (nil
// when the request sends none), and the query parameters sent that neither
// page, shape the answer nor select by a property the mock can read, which
// the caller reports. A bound that is neither a number nor an instant (unix
// seconds or RFC 3339) is refused with ErrBadRequest naming the parameter.
func (s ListShape) Where(query url.Values) (func(Record) bool, []string, error) {
	var (
		conds   []func(Record) bool
		ignored []string
	)
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// The keys of one filter and bound gather their values: types[0]=a and
	// types[1]=b ask for either, as types=a,b does.
	type group struct {
		f       Filter
		key, op string
		vals    []string
	}
	var groups []*group
	byName := map[string]*group{}
	for _, key := range keys {
		vals := nonEmpty(query[key])
		if len(vals) == 0 || s.passive(key) {
			continue
		}
		f, op, ok := s.filterFor(key)
		if !ok {
			ignored = append(ignored, key)
			continue
		}
		name := f.Param + "\x00" + op
		if g := byName[name]; g != nil {
			g.vals = append(g.vals, vals...)
			continue
		}
		byName[name] = &group{f: f, key: key, op: op, vals: vals}
		groups = append(groups, byName[name])
	}
	for _, g := range groups {
		cond, err := g.f.condition(g.key, g.op, g.vals)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, cond)
	}
	if len(conds) == 0 {
		return nil, ignored, nil
	}
	return func(r Record) bool {
		for _, c := range conds {
			if !c(r) {
				return false
			}
		}
		return true
	}, ignored, nil
}

func nonEmpty(vals []string) []string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// filterFor finds the filter a query key names: the parameter itself
// (created, ids, id[]), or a bound on it in brackets (created[gte]).
func (s ListShape) filterFor(key string) (Filter, string, bool) {
	find := func(name string) (Filter, bool) {
		for _, f := range s.Filters {
			if f.Param == name || strings.TrimSuffix(f.Param, "[]") == name {
				return f, true
			}
		}
		return Filter{}, false
	}
	if f, ok := find(key); ok {
		return f, "", len(f.Fields) == 0 // an object is filtered by its fields only
	}
	if f, op, ok := s.objectField(key, find); ok {
		return f, op, true
	}
	if base, ok := strings.CutSuffix(key, "[]"); ok {
		if f, ok := find(base); ok {
			return f, "", true
		}
	}
	if i := strings.LastIndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		op := key[i+1 : len(key)-1]
		if f, ok := find(key[:i]); ok && rangeOps[op] && f.Kind == FilterEqual && f.Ranged {
			return f, op, true
		}
		if f, ok := find(key[:i]); ok && isIndex(op) {
			return f, "", true // a list's element by index: Stripe's types[0]=, ids[1]=
		}
	}
	return Filter{}, "", false
}

// objectField finds the filter on a field of an object filter: key is
// param[field], or param[field][op] for a bound on a number or an instant
// (status_transitions[paid][gte]).
func (s ListShape) objectField(key string, find func(string) (Filter, bool)) (Filter, string, bool) {
	base, rest, ok := strings.Cut(key, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return Filter{}, "", false
	}
	f, ok := find(base)
	if !ok || len(f.Fields) == 0 {
		return Filter{}, "", false
	}
	segs := strings.Split(strings.TrimSuffix(rest, "]"), "][")
	ranged, known := f.Fields[segs[0]]
	switch {
	case !known || len(segs) > 2:
		return Filter{}, "", false
	case len(segs) == 2 && (!ranged || !rangeOps[segs[1]]):
		return Filter{}, "", false
	case len(segs) == 2:
		return f.field(segs[0]), segs[1], true
	}
	return f.field(segs[0]), "", true
}

// isIndex reports whether a bracket holds a list index: types[0].
func isIndex(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// condition is the test a record passes for the filter, sent as key with
// vals; op is a bound from the key's brackets, if any.
func (f Filter) condition(key, op string, vals []string) (func(Record) bool, error) {
	if f.Kind == FilterRange {
		op = f.Op
	}
	if f.Kind == FilterSince {
		op = "gte"
	}
	if op != "" {
		bound := vals[len(vals)-1]
		if _, ok := asNumber(bound); !ok {
			if _, ok := asInstant(bound); !ok {
				return nil, fmt.Errorf("store: query parameter %q: %q is neither a number nor an instant (unix seconds or RFC 3339): %w", key, bound, ErrBadRequest)
			}
		}
		return func(r Record) bool {
			for _, p := range f.Paths {
				if v, ok := lookup(r, p); ok && v != nil {
					c, ok := compare(v, bound)
					return ok && rangeOK(op, c)
				}
			}
			return false
		}, nil
	}
	var wants []string
	for _, v := range vals {
		if f.Comma {
			wants = append(wants, strings.Split(v, ",")...)
		} else {
			wants = append(wants, v)
		}
	}
	if f.Shown != nil {
		shown := slices.ContainsFunc(wants, func(w string) bool { return equal(f.Shown, strings.TrimSpace(w)) })
		return func(Record) bool { return shown }, nil
	}
	path := f.Paths[0]
	return func(r Record) bool {
		v, ok := lookup(r, path)
		if !ok {
			return false
		}
		for _, w := range wants {
			if equal(v, strings.TrimSpace(w)) {
				return true
			}
		}
		return false
	}, nil
}

func rangeOK(op string, c int) bool {
	switch op {
	case "gt":
		return c > 0
	case "gte":
		return c >= 0
	case "lt":
		return c < 0
	}
	return c <= 0
}

// lookup reads a property path of a record.
func lookup(r Record, path []string) (any, bool) {
	var v any = r
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// equal reports whether a record's value matches a query value: the same
// text, number, boolean or instant; an expanded object by its id; a list
// by any of its elements.
func equal(v any, want string) bool {
	switch t := v.(type) {
	case string:
		if t == want || strings.Contains(want, "@") && strings.EqualFold(t, want) {
			return true
		}
	case bool:
		return strconv.FormatBool(t) == want
	case []any:
		for _, e := range t {
			if equal(e, want) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, k := range []string{"id", "ID", "Id", "_id"} {
			if id, ok := t[k]; ok {
				return equal(id, want)
			}
		}
		return false
	case nil:
		return false
	}
	c, ok := compare(v, want)
	return ok && c == 0
}

// compare orders a record's value against a query value: as numbers when
// both are, else as instants when both are, else as text.
func compare(v any, q string) (int, bool) {
	if a, ok := asNumber(v); ok {
		if b, ok := asNumber(q); ok {
			return cmp.Compare(a, b), true
		}
	}
	if a, ok := asInstant(v); ok {
		if b, ok := asInstant(q); ok {
			return a.Compare(b), true
		}
	}
	if s, ok := v.(string); ok {
		return strings.Compare(s, q), true
	}
	return 0, false
}

func asNumber(v any) (float64, bool) {
	switch t := v.(type) {
	case string:
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	default:
		return number(v)
	}
}

// asInstant reads a point in time: unix seconds (milliseconds past 1e11),
// RFC 3339, a date-time without zone (UTC) or a date.
func asInstant(v any) (time.Time, bool) {
	if n, ok := asNumber(v); ok {
		if math.Abs(n) > 1e11 {
			return time.UnixMilli(int64(n)).UTC(), true
		}
		sec, frac := math.Modf(n)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
