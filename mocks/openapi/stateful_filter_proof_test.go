package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/paramstyle"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// filterProof proves that one list operation of a stateful mock filters by
// every query parameter the store interprets, and reports every declared
// one it does not. It never takes a *testing.T: it returns the problems, so
// the control can run it against a mock that ignores filters.
type filterProof struct {
	m    *Mock
	h    http.Handler // what the lists are asked of: the mock, or a control around it
	doc  *openapi3.T
	coll store.Collection
	ops  map[string]reqgen.Op

	listPath string      // the list's URL path, parent values and base path included
	header   http.Header // the credentials the list takes
	base     url.Values  // the query parameters the list requires
	open     url.Values  // the required bounds on the property under proof, as wide as keeps every record
	parent   []string
	listItem *openapi3.Schema // one item of the list answer

	proven   int      // filters proven
	ignored  int      // uninterpreted parameters proven reported
	seeded   int      // filters whose records the admin API put (no usable create)
	adjusted int      // filters whose created records had the property set afterwards
	fails    []string // what went wrong, one line each
}

// recordsPerProof is how many records each filter is proven on: three with
// one value and two with another, so a page of two splits the matches.
const recordsPerProof = 5

func newFilterProof(m *Mock, h http.Handler, doc *openapi3.T, coll store.Collection, ops map[string]reqgen.Op) (*filterProof, error) {
	p := &filterProof{m: m, h: h, doc: doc, coll: coll, ops: ops, listItem: listItemSchema(coll)}
	list, ok := ops[coll.ListOp]
	if !ok {
		return nil, fmt.Errorf("no operation %s", coll.ListOp)
	}
	req, err := reqgen.Build(doc, "http://127.0.0.1"+m.BasePath(), list, 1)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", coll.ListOp, err)
	}
	p.listPath, p.header, p.base = req.URL.EscapedPath(), req.Header, req.URL.Query()
	// A required page position starts at the first page (Postmark's
	// offset, Adyen's pageNumber): the proof pages on from there.
	ls := coll.List
	for _, name := range []string{ls.OffsetParam, ls.CursorParam, ls.BeforeParam} {
		p.base.Del(name)
	}
	if op := list.Operation.Parameters.GetByInAndName("query", ls.OffsetParam); ls.OffsetParam != "" && op != nil && op.Required {
		p.base.Set(ls.OffsetParam, "0")
	}
	if ls.PageParam != "" && p.base.Has(ls.PageParam) {
		p.base.Set(ls.PageParam, strconv.Itoa(ls.FirstPage))
	}
	esc, _ := m.stripBase(p.listPath)
	_, params, _, _ := m.find(esc, http.MethodGet)
	p.parent = coll.ParentValues(list.Template, params)
	return p, nil
}

func (p *filterProof) fail(format string, args ...any) {
	p.fails = append(p.fails, fmt.Sprintf("%s: ", p.coll.ListOp)+fmt.Sprintf(format, args...))
}

// run proves each filter of the list, then each parameter it cannot read.
func (p *filterProof) run() {
	for _, f := range p.coll.List.Filters {
		if p.proveFilter(f) {
			p.proven++
		}
	}
	for _, name := range p.coll.List.Uninterpreted {
		if p.proveIgnored(name) {
			p.ignored++
		}
	}
}

// boundValues are, for each bound, the index of the ordered value that
// keeps some of the records (holding values 1 and 2) and of one that keeps none.
var boundValues = map[string][2]int{"gte": {2, 3}, "gt": {1, 2}, "lt": {2, 1}, "lte": {1, 0}}

// proofQuery is one list request of a filter's proof and the records it
// must answer, by the proof's own reading of the values.
type proofQuery struct {
	key, value string
	match      func(v any) bool
	none       bool // no record may match: the non-matching value
}

// proveFilter puts records that differ in f's property and asks the list
// for each value, for a bound where the property has an order, and for a
// value no record holds.
func (p *filterProof) proveFilter(f store.Filter) bool {
	if len(f.Fields) > 0 {
		return p.proveFields(f)
	}
	p.open = p.opened(f)
	prop := schemaAt(p.coll.ItemSchema, f.Paths[0])
	vals := p.values(f, prop)
	if len(vals) < 2 && f.Kind == store.FilterEqual && !f.Ranged {
		if shown, ok := p.singleShown(f); ok {
			return p.proveSingle(f, shown)
		}
	}
	if len(vals) < 2 {
		p.fail("filter %s on %s: the proof found no two values its record and query schemas accept", f.Param, f.Property())
		return false
	}
	first := 0 // the records hold vals[first] and vals[first+1]
	if f.Kind != store.FilterEqual || f.Ranged {
		first = 1
	}
	recVals := make([]any, recordsPerProof)
	for i := range recVals {
		recVals[i] = vals[first+min(i/3, 1)].rec
	}
	ids, ok := p.put(f, recVals)
	if !ok {
		return false
	}
	idField := len(f.Paths[0]) == 1 && f.Paths[0][0] == p.coll.IDField
	if idField {
		// The store makes the ids: the values are the ids of records 0 and 3.
		vals[0] = proofValue{rec: ids[0], query: ids[0]}
		vals[1] = proofValue{rec: ids[3], query: ids[3]}
		for i, id := range ids {
			recVals[i] = id
		}
	}
	key := p.queryKey(f.Param)
	var qs []proofQuery
	switch {
	case f.Kind == store.FilterEqual && !f.Ranged || idField:
		for _, v := range vals[:2] {
			qs = append(qs, proofQuery{key: key, value: v.query, match: equalTo(v.rec)})
		}
		if len(vals) > 2 {
			qs = append(qs, proofQuery{key: key, value: vals[2].query, match: equalTo(vals[2].rec), none: true})
		}
	case f.Kind == store.FilterEqual:
		o := vals // ordered: records hold o[1] and o[2]
		qs = append(qs,
			proofQuery{key: key, value: o[1].query, match: equalTo(o[1].rec)},
			proofQuery{key: key, value: o[2].query, match: equalTo(o[2].rec)},
			proofQuery{key: key, value: o[3].query, match: equalTo(o[3].rec), none: true},
			proofQuery{key: key + "[gte]", value: o[2].query, match: bound("gte", o[2].rec)},
			proofQuery{key: key + "[gt]", value: o[2].query, match: bound("gt", o[2].rec), none: true})
	default:
		op := f.Op
		if f.Kind == store.FilterSince {
			op = "gte"
		}
		// The records hold o[1] and o[2]: which bound keeps some, which none.
		o, at := vals, boundValues[op]
		hit, miss := at[0], at[1]
		qs = append(qs,
			proofQuery{key: key, value: o[hit].query, match: bound(op, o[hit].rec)},
			proofQuery{key: key, value: o[miss].query, match: bound(op, o[miss].rec), none: true})
	}
	ok = true
	for _, q := range qs {
		ok = p.ask(f, q, ids, recVals) && ok
	}
	if len(vals) == 2 && !f.Ranged && f.Kind == store.FilterEqual && !idField {
		// No third value (a boolean, an enum of two): the records all take
		// the first, and the list asked for the second must be empty.
		same := slices.Repeat([]any{vals[0].rec}, recordsPerProof)
		if ids, put := p.put(f, same); put {
			ok = p.ask(f, proofQuery{key: key, value: vals[1].query, match: equalTo(vals[1].rec), none: true}, ids, same) && ok
		} else {
			ok = false
		}
	}
	return ok
}

// singleShown is the one value the list answer admits at f's property
// (an enum of one: Stripe's object), when the parameter takes it.
func (p *filterProof) singleShown(f store.Filter) (any, bool) {
	schemas := schemasAt(p.listItem, f.Paths[0])
	if len(schemas) == 0 {
		schemas = schemasAt(p.coll.ItemSchema, f.Paths[0])
	}
	var shown []any
	for _, s := range schemas {
		k := scalarKind(s)
		if k == nil || len(k.Enum) != 1 {
			return nil, false
		}
		if !slices.Contains(shown, k.Enum[0]) {
			shown = append(shown, k.Enum[0])
		}
	}
	if len(shown) != 1 || !p.paramAccepts(p.paramSchema(f.Param), paramstyle.Simple(shown[0])) {
		return nil, false
	}
	return shown[0], true
}

// proveSingle proves a filter on a property the list answers with one
// value only: the records hold a value their own schema takes (the one
// value where it can), the list asked for the one value answers them all,
// and asked for another, which no record shows, none.
func (p *filterProof) proveSingle(f store.Filter, shown any) bool {
	props := schemasAt(p.coll.ItemSchema, f.Paths[0])
	var held any
	cands := []any{shown}
	for _, ps := range props {
		cands = append(cands, p.equalCandidates(ps, nil)...)
	}
	for _, c := range cands {
		if p.validAny(props, c) {
			held = c
			break
		}
	}
	if held == nil {
		p.fail("filter %s on %s: no value its record schema takes", f.Param, f.Property())
		return false
	}
	other := ""
	for _, c := range []any{held, "fd-alpha", "fd-bravo"} {
		if q := paramstyle.Simple(c); q != paramstyle.Simple(shown) && p.paramAccepts(p.paramSchema(f.Param), q) {
			other = q
			break
		}
	}
	if other == "" {
		p.fail("filter %s on %s: the parameter takes no value but %v, which every record shows", f.Param, f.Property(), shown)
		return false
	}
	ids, ok := p.put(f, slices.Repeat([]any{held}, recordsPerProof))
	if !ok {
		return false
	}
	p.open = p.opened(f)
	key, shownVals := p.queryKey(f.Param), slices.Repeat([]any{shown}, recordsPerProof)
	ok = p.ask(f, proofQuery{key: key, value: paramstyle.Simple(shown), match: equalTo(shown)}, ids, shownVals)
	return p.ask(f, proofQuery{key: key, value: other, match: equalTo(other), none: true}, ids, shownVals) && ok
}

// proveFields proves an object filter by each of its fields, sent in
// brackets (relationship[owner]=true, status_transitions[paid][gte]=),
// and that the object's own name with a bare value, which names no field,
// is reported ignored.
func (p *filterProof) proveFields(f store.Filter) bool {
	ok := true
	for _, name := range sortedMapKeys(f.Fields) {
		sub := f
		sub.Param = f.Param + "[" + name + "]"
		sub.Paths = [][]string{append(slices.Clone(f.Paths[0]), name)}
		sub.Ranged, sub.Fields = f.Fields[name], nil
		ok = p.proveFilter(sub) && ok
	}
	if _, ignored, err := p.listAll(url.Values{f.Param: {"fd-alpha"}}); err != nil {
		p.fail("%s=fd-alpha: %v", f.Param, err)
		ok = false
	} else if !slices.Contains(ignored, f.Param) {
		p.fail("%s=fd-alpha names no field of the object %s, and the journal does not say it was ignored (Ignored %v)", f.Param, f.Property(), ignored)
		ok = false
	}
	return ok
}

// ask sends one filtered list request, pages through the answer and checks
// (a) every record returned matches, (b) every matching record put is
// returned, once, (c) a value no record holds answers none, and that the
// journal does not call the filter ignored.
func (p *filterProof) ask(f store.Filter, q proofQuery, ids []string, recVals []any) bool {
	label := q.key + "=" + q.value
	var want []string
	for i, id := range ids {
		if q.match(recVals[i]) {
			want = append(want, id)
		}
	}
	if q.none && len(want) > 0 {
		p.fail("%s: the proof's non-matching value matches %d records", label, len(want))
		return false
	}
	items, ignored, err := p.listAll(url.Values{q.key: {q.value}})
	if err != nil {
		p.fail("%s: %v", label, err)
		return false
	}
	ok := true
	if slices.Contains(ignored, q.key) {
		p.fail("%s: the journal says the mock ignored %s, a filter the store interprets", label, q.key)
		ok = false
	}
	var got []string
	for _, it := range items {
		id, _ := p.coll.IDOf(it)
		got = append(got, id)
		if v, has := lookupPath(it, f.Paths[0]); !has || !q.match(v) {
			p.fail("(a) %s returned record %s whose %s is %v, which does not match", label, id, f.Property(), v)
			ok = false
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		what := "(b)"
		if q.none {
			what = "(c)"
		}
		p.fail("%s %s returned %v, want the records %v", what, label, got, want)
		ok = false
	}
	return ok
}

// proveIgnored asks the list with a declared parameter the store does not
// interpret: the journal must name it (d), and it must not name a property
// of the record, which the mock would then be expected to filter by.
func (p *filterProof) proveIgnored(name string) bool {
	if prop := namesProperty(name, p.coll.ItemSchema); prop != "" {
		p.fail("(d) %s names the record property %s, but the mock does not filter by it", name, prop)
		return false
	}
	key, value := p.sampleQuery(name)
	_, ignored, err := p.listAll(url.Values{key: {value}})
	if err != nil {
		p.fail("(d) %s=%s: %v", key, value, err)
		return false
	}
	if p.m.state.credential(name) {
		return true
	}
	if !slices.Contains(ignored, key) {
		p.fail("(d) %s=%s answered without it, and the journal does not say it was ignored (Ignored %v)", key, value, ignored)
		return false
	}
	return true
}

// sampleQuery is a valid query key and value for a declared parameter.
func (p *filterProof) sampleQuery(name string) (string, string) {
	var schema *openapi3.Schema
	for _, ps := range []openapi3.Parameters{p.ops[p.coll.ListOp].Operation.Parameters, p.ops[p.coll.ListOp].PathItem.Parameters} {
		for _, ref := range ps {
			if ref != nil && ref.Value != nil && ref.Value.In == "query" && ref.Value.Name == name && ref.Value.Schema != nil {
				schema = ref.Value.Schema.Value
			}
		}
	}
	v := contracts.Sample(schema, contracts.SampleOptions{Seed: 3, Direction: contracts.Request, Name: name})
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			break
		}
		if obj, ok := t[0].(map[string]any); ok {
			for _, k := range sortedMapKeys(obj) {
				return name + "[0][" + k + "]", paramstyle.Simple(obj[k])
			}
		}
		return p.queryKey(name), paramstyle.Simple(t[0])
	case map[string]any:
		for _, k := range sortedMapKeys(t) {
			return name + "[" + k + "]", paramstyle.Simple(t[k])
		}
	case nil:
		return name, "x"
	}
	return name, paramstyle.Simple(v)
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// listAll asks the list with the required parameters and extra, two
// records a page where the contract has a page size, and follows the
// contract's pagination to the end. It returns the records and what the
// journal says the first request ignored.
func (p *filterProof) listAll(extra url.Values) ([]map[string]any, []string, error) {
	ls := p.coll.List
	q := url.Values{}
	for k, v := range p.base {
		q[k] = v
	}
	for k, v := range p.open {
		q[k] = v
	}
	for k, v := range extra {
		q[k] = v
	}
	limit := 0
	if ls.LimitParam != "" && ls.Style != store.StyleNone {
		limit = max(2, ls.MinLimit)
		if ls.MaxLimit > 0 {
			limit = min(limit, ls.MaxLimit)
		}
		q.Set(ls.LimitParam, strconv.Itoa(limit))
	}
	var (
		all     []map[string]any
		ignored []string
	)
	for page := 0; ; page++ {
		if page == recordsPerProof+1 {
			return nil, nil, fmt.Errorf("still more pages after %d", page)
		}
		items, body, w, err := p.get(q)
		if err != nil {
			return nil, nil, err
		}
		if page == 0 {
			ignored = p.lastIgnored()
		}
		all = append(all, items...)
		if len(items) == 0 || limit == 0 || len(items) < limit || ls.HasMoreField != "" && body[ls.HasMoreField] != true {
			return all, ignored, nil
		}
		if !p.next(q, body, w, items, len(all)) {
			if ls.NextURLField != "" || ls.NextCursorField != "" {
				return all, ignored, nil // no link to a next page: the last one
			}
			return nil, nil, fmt.Errorf("a full page of %d and no way to the next in the %s pagination", limit, ls.Style)
		}
	}
}

// next moves q to the page after the one answered, as the contract's
// pagination says.
func (p *filterProof) next(q url.Values, body map[string]any, w *testRecorder, items []map[string]any, seen int) bool {
	ls := p.coll.List
	switch ls.Style {
	case store.StyleOffset:
		q.Set(ls.OffsetParam, strconv.Itoa(seen))
	case store.StylePage:
		page, _ := strconv.Atoi(q.Get(ls.PageParam))
		if q.Get(ls.PageParam) == "" {
			page = ls.FirstPage
		}
		q.Set(ls.PageParam, strconv.Itoa(page+1))
	case store.StyleCursor:
		if c, ok := lookupPath(body, strings.Split(ls.NextCursorField, ".")); ok && ls.NextCursorField != "" && c != nil && c != "" {
			q.Set(ls.CursorParam, fmt.Sprint(c))
			return true
		}
		if ls.RawCursor {
			id, _ := p.coll.IDOf(items[len(items)-1])
			q.Set(ls.CursorParam, id)
			return true
		}
		link, _ := lookupPath(body, strings.Split(ls.NextURLField, "."))
		s, _ := link.(string)
		u, err := url.Parse(s)
		if ls.NextURLField == "" || s == "" || err != nil {
			return false
		}
		for k := range q {
			delete(q, k)
		}
		for k, v := range u.Query() {
			q[k] = v
		}
	default:
		return false
	}
	return true
}

// get asks the list once through h.
func (p *filterProof) get(q url.Values) ([]map[string]any, map[string]any, *testRecorder, error) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+p.listPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	w := newRecorder()
	p.h.ServeHTTP(w, req)
	if w.code != http.StatusOK {
		return nil, nil, w, fmt.Errorf("answered %d: %s", w.code, firstLine(string(w.body)))
	}
	var v any
	if err := json.Unmarshal(w.body, &v); err != nil {
		return nil, nil, w, fmt.Errorf("answer is not JSON: %w", err)
	}
	body, _ := v.(map[string]any)
	arr := v
	if p.coll.List.Wrapped {
		arr = body[p.coll.List.ItemsField]
	}
	list, ok := arr.([]any)
	if !ok {
		return nil, nil, w, fmt.Errorf("no array of records in the answer %s", firstLine(string(w.body)))
	}
	items := make([]map[string]any, 0, len(list))
	for _, it := range list {
		rec, _ := it.(map[string]any)
		items = append(items, rec)
	}
	return items, body, w, nil
}

// lastIgnored is what the journal's last entry of the list says it ignored.
func (p *filterProof) lastIgnored() []string {
	es := p.m.Journal().Entries(toolkit.Filter{Operation: p.coll.ListOp})
	if len(es) == 0 {
		return nil
	}
	return es[len(es)-1].Ignored
}

// put replaces the collection's records under the list's parent by
// len(vals) records whose f property holds vals[i] (the required filters
// hold the value the list is asked with), through the create operation
// where the contract has one that takes them, else through the admin API.
// It returns the records' ids in order.
func (p *filterProof) put(f store.Filter, vals []any) ([]string, bool) {
	if err := p.m.Store().Reset(p.coll.Name); err != nil {
		p.fail("reset: %v", err)
		return nil, false
	}
	pins := p.pins(f)
	idField := len(f.Paths[0]) == 1 && f.Paths[0][0] == p.coll.IDField
	set := func(rec map[string]any, i int) {
		for path, v := range pins {
			setPath(rec, strings.Split(path, "\x00"), v)
		}
		if !idField {
			setPath(rec, f.Paths[0], vals[i])
		}
	}
	if p.createAll(f, vals) {
		es := p.entries()
		if len(es) == len(vals) && (idField || p.holds(es, f.Paths[0], vals)) && p.pinned(es, pins) {
			return ids(es), true
		}
		// The create could not set the property (the server owns it, as
		// created): the stored records get it, as a seed would.
		p.adjusted++
		recs := make([]store.Record, len(es))
		for i, e := range es {
			recs[i] = e.Record
			set(recs[i], min(i, len(vals)-1))
		}
		return p.seed(recs, f)
	}
	p.seeded++
	recs := make([]store.Record, len(vals))
	for i := range vals {
		rec, _ := normalize(p.m.sample(p.coll.ItemSchema, int64(i+1), "", contracts.Response)).(map[string]any)
		if rec == nil {
			rec = map[string]any{}
		}
		// A record generated from the schema carries its example's id, the
		// same in each: the store gives each its own.
		delete(rec, p.coll.IDField)
		set(rec, i)
		recs[i] = rec
	}
	return p.seed(recs, f)
}

// seed stores recs under the list's parent: through the admin API for a
// top-level collection, through the store for a nested one (the admin API
// places records by properties named like the parent parameters, which
// {id} under another collection cannot be).
func (p *filterProof) seed(recs []store.Record, f store.Filter) ([]string, bool) {
	if len(p.parent) > 0 {
		p.m.Store().Reset(p.coll.Name)
		if err := p.m.Store().SeedUnder(p.coll.Name, p.parent, recs); err != nil {
			p.fail("filter %s: seed: %v", f.Param, err)
			return nil, false
		}
	} else {
		body, _ := json.Marshal(recs)
		req, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1/__firedrill/collections/"+p.coll.Name, bytes.NewReader(body))
		w := newRecorder()
		p.m.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			p.fail("filter %s: admin PUT answered %d: %s", f.Param, w.code, firstLine(string(w.body)))
			return nil, false
		}
	}
	es := p.entries()
	if len(es) != len(recs) {
		p.fail("filter %s: %d records stored under %q, want %d", f.Param, len(es), p.parent, len(recs))
		return nil, false
	}
	return ids(es), true
}

// createAll creates one record per value through the contract's create
// operation, the value in the body where the body declares the property.
func (p *filterProof) createAll(f store.Filter, vals []any) bool {
	create, ok := p.ops[p.coll.CreateOp]
	if p.coll.CreateOp == "" || !ok {
		return false
	}
	for i, v := range vals {
		req, err := reqgen.Build(p.doc, "http://127.0.0.1"+p.m.BasePath(), create, int64(i+1))
		if err != nil {
			return false
		}
		u, _ := url.Parse("http://127.0.0.1" + p.listPath)
		u.RawQuery = req.URL.RawQuery
		req.URL = u
		p.setBody(req, create, f, v)
		w := newRecorder()
		p.m.ServeHTTP(w, req)
		if w.code/100 != 2 {
			p.m.Store().Reset(p.coll.Name)
			return false
		}
	}
	return true
}

// setBody sets the filtered property in a JSON or form body that declares
// it at the top level, with a value the body's schema accepts.
func (p *filterProof) setBody(req *http.Request, op reqgen.Op, f store.Filter, v any) {
	if len(f.Paths[0]) != 1 || op.Operation.RequestBody == nil || op.Operation.RequestBody.Value == nil || req.Body == nil {
		return
	}
	ct := req.Header.Get("Content-Type")
	mt := op.Operation.RequestBody.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return
	}
	name := f.Paths[0][0]
	ps := mt.Schema.Value.Properties[name]
	if ps == nil || ps.Value == nil || len(p.m.validator.ValidateValue(ps.Value, v, false)) > 0 {
		return
	}
	raw := new(bytes.Buffer)
	raw.ReadFrom(req.Body)
	var out []byte
	switch {
	case strings.HasPrefix(ct, "application/json"):
		var body map[string]any
		if json.Unmarshal(raw.Bytes(), &body) != nil || body == nil {
			out = raw.Bytes()
			break
		}
		body[name] = v
		out, _ = json.Marshal(body)
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded") && !isComposite(v):
		form, _ := url.ParseQuery(raw.String())
		form.Set(name, paramstyle.Simple(v))
		out = []byte(form.Encode())
	default:
		out = raw.Bytes()
	}
	req.Body, req.ContentLength = ioNopCloser(out), int64(len(out))
}

func isComposite(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}

// entries are the records under the list's parent, in creation order.
func (p *filterProof) entries() []store.Entry {
	all, _ := p.m.Store().Entries(p.coll.Name)
	var out []store.Entry
	for _, e := range all {
		if slices.Equal(e.Parent, p.parent) {
			out = append(out, e)
		}
	}
	return out
}

// pins are the values of the filters the list requires, other than f, as
// a record holds them: every record holds them, so that only f tells them
// apart. Keys are property paths joined by NUL.
func (p *filterProof) pins(f store.Filter) map[string]any {
	out := map[string]any{}
	for _, g := range p.coll.List.Filters {
		if g.Param != f.Param && p.base.Has(g.Param) && !p.open.Has(g.Param) {
			out[strings.Join(g.Paths[0], "\x00")] = typedLike(schemaAt(p.coll.ItemSchema, g.Paths[0]), p.base.Get(g.Param))
		}
	}
	return out
}

// opened are the required parameters other than f that bound f's own
// property (Adyen's createdSince beside createdUntil, both on createdAt),
// each with a bound that keeps every record: a value pinned from the
// required sample would cut the records the proof of f puts in.
func (p *filterProof) opened(f store.Filter) url.Values {
	out := url.Values{}
	for _, g := range p.coll.List.Filters {
		if g.Param == f.Param || !p.base.Has(g.Param) || !slices.Equal(g.Paths[0], f.Paths[0]) {
			continue
		}
		op := g.Op
		if g.Kind == store.FilterSince {
			op = "gte"
		}
		if op == "" {
			continue // an equality: no value keeps every record
		}
		early := op == "gte" || op == "gt"
		var v string
		switch _, err := strconv.ParseFloat(p.base.Get(g.Param), 64); {
		case err == nil && early:
			v = "1"
		case err == nil:
			v = strconv.FormatInt(wideLate.Unix(), 10)
		case early:
			v = wideEarly.Format(time.RFC3339)
		default:
			v = wideLate.Format(time.RFC3339)
		}
		out.Set(g.Param, v)
	}
	return out
}

// wideEarly and wideLate bound every value the proofs put in.
var (
	wideEarly = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	wideLate  = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (p *filterProof) pinned(es []store.Entry, pins map[string]any) bool {
	for path, v := range pins {
		if !p.holds(es, strings.Split(path, "\x00"), slices.Repeat([]any{v}, len(es))) {
			return false
		}
	}
	return true
}

// queryKey is the key a filter's value is sent under: the parameter's
// name, or name[0] for an array whose items the contract leaves untyped
// (Stripe's Swagger 2 types, ids), which kin-openapi reads in no plain form.
func (p *filterProof) queryKey(param string) string {
	key := strings.TrimSuffix(param, "[]")
	if s := p.paramSchema(param); s != nil && s.Type.Includes("array") && (s.Items == nil || s.Items.Value == nil || s.Items.Value.Type == nil || len(*s.Items.Value.Type) == 0) {
		return key + "[0]"
	}
	return key
}

// holds reports whether the stored records hold the values at path.
func (p *filterProof) holds(es []store.Entry, path []string, vals []any) bool {
	for i, e := range es {
		v, ok := lookupPath(e.Record, path)
		if !ok || !equalTo(vals[i])(v) {
			return false
		}
	}
	return true
}

func ids(es []store.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// instants are the ordered points in time the range proofs use.
var instants = []time.Time{
	time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC),
}

// proofValue is a value as a record holds it and as a query sends it.
type proofValue struct {
	rec   any
	query string
}
