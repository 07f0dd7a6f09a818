package graphql

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// pick is a stored record of one of the collections a field lists.
type pick struct {
	coll string
	rec  store.Record
}

// passiveArgs page or order a list: they select no record (normName'd).
var passiveArgs = map[string]bool{
	"first": true, "last": true, "after": true, "before": true, "limit": true, "page": true, "pagesize": true,
	"perpage": true, "offset": true, "skip": true, "cursor": true, "orderby": true, "order": true, "sortkey": true,
	"sort": true, "sortby": true, "reverse": true, "direction": true, "newestfirst": true,
}

// selection is what the arguments of a list or connection field ask of
// the records of its collections.
type selection struct {
	colls  []string
	conds  []cond // the arguments naming what a record shows
	search searchQuery
	within func(store.Record) bool // a nested field's link to its record; nil for a root field
}

// cond is an argument, or a field of an input object argument, naming what
// a record shows.
type cond struct {
	name      string
	value     any
	atDefault bool // left at its declared default
}

// listed returns the stored records of colls that a list or connection
// field's arguments select, collection by collection, in insertion order
// (see selectionOf).
func (st *state) listed(colls []string, def *ast.FieldDefinition, args map[string]any, ignore func(string)) []pick {
	return st.picks(st.selectionOf(colls, def, args, ignore))
}

// selectionOf reads a list or connection field's arguments:
//
//   - an argument naming a leaf field of the type (as normName reads it, a
//     trailing s allowed: ids reads id, states reads state), or a key the
//     records store, keeps the records that show its value (any value of a
//     list argument), compared as a search's field:value is; one left at
//     its declared default keeps records that do not store the field, and
//     gives way to another argument sent for the same field;
//   - an input object argument (GitHub's filterBy: {states: [OPEN]}) is
//     read as its fields would be as arguments;
//   - a String argument named query, search, q or filter is a search string
//     (see searchQuery);
//   - over several collections (a connection of a union or interface), an
//     argument named type whose value names one of them keeps that one;
//   - paging and ordering arguments select nothing.
//
// ignore hears of each other argument sent (not at its default) and each
// search term no collection can read: the answer is made without them.
func (st *state) selectionOf(colls []string, def *ast.FieldDefinition, args map[string]any, ignore func(string)) selection {
	colls, typed := byTypeArg(colls, args)
	sel := selection{colls: colls}
	for _, a := range def.Arguments {
		v, sent := args[a.Name]
		switch {
		case !sent || v == nil || passiveArgs[normName(a.Name)]:
		case searchArgs[normName(a.Name)] && a.Type.Elem == nil && a.Type.Name() == "String":
			sel.search = append(sel.search, st.readable(colls, parseSearch(fmt.Sprint(v)), func(term string) {
				ignore(fmt.Sprintf("%s(%s:) %s", def.Name, a.Name, term))
			})...)
		case typed && normName(a.Name) == "type":
		default:
			st.addCond(&sel, cond{a.Name, v, atDefault(a.DefaultValue, v)}, a.Type, func(name string) {
				ignore(fmt.Sprintf("%s(%s:)", def.Name, name))
			})
		}
	}
	conds := sel.conds
	sel.conds = slices.DeleteFunc(slices.Clone(conds), func(c cond) bool { return st.overridden(colls, c, conds) })
	return sel
}

// addCond adds c to the selection when the records can be read by it, the
// fields of an input object value each as an argument; else ignore hears
// of its name (filterBy.createdBy for a field), unless it was left at its
// default.
func (st *state) addCond(sel *selection, c cond, t *ast.Type, ignore func(string)) {
	in := st.schema.Types[t.Name()]
	if m, ok := c.value.(map[string]any); ok && in != nil && in.Kind == ast.InputObject && !st.readableArg(sel.colls, c.name) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f := in.Fields.ForName(k)
			if f == nil {
				continue // validation keeps fields the input type lacks out
			}
			st.addCond(sel, cond{k, m[k], c.atDefault || atDefault(f.DefaultValue, m[k])}, f.Type, func(name string) { ignore(c.name + "." + name) })
		}
		return
	}
	switch {
	case c.value == nil:
	case st.readableArg(sel.colls, c.name):
		sel.conds = append(sel.conds, c)
	case !c.atDefault:
		ignore(c.name)
	}
}

// selective reports whether the selection reads any argument.
func (sel selection) selective() bool { return len(sel.conds) > 0 || len(sel.search) > 0 }

// picks returns the records the selection keeps.
func (st *state) picks(sel selection) []pick {
	var out []pick
	for _, coll := range sel.colls {
		for _, rec := range st.records(coll) {
			if sel.within != nil && !sel.within(rec) {
				continue
			}
			v := st.view(coll, rec)
			if v.argsMatch(sel.conds) && sel.search.matches(v) {
				out = append(out, pick{coll, rec})
			}
		}
	}
	return out
}

// readableArg reports whether an argument names what the records of colls
// show: a leaf field of their type (or a list of leaves), or a key one of
// them stores.
func (st *state) readableArg(colls []string, name string) bool {
	for _, c := range colls {
		if f := fieldNamed(st.schema.Types[c], name); f != nil {
			if ft := st.schema.Types[f.Type.Name()]; ft != nil && ft.IsLeafType() {
				return true
			}
			continue
		}
		for _, rec := range st.records(c) {
			if _, ok := storedKey(rec, name); ok {
				return true
			}
		}
	}
	return false
}

// overridden reports whether a condition left at its default names a field
// another condition sent names too: variants(statuses: [DRAFT]) is not
// also status: ACTIVE by default.
func (st *state) overridden(colls []string, c cond, conds []cond) bool {
	if !c.atDefault {
		return false
	}
	for _, coll := range colls {
		def := st.schema.Types[coll]
		f := fieldNamed(def, c.name)
		for _, o := range conds {
			if !o.atDefault && f != nil && fieldNamed(def, o.name) == f {
				return true
			}
		}
	}
	return false
}

// byTypeArg keeps, of several collections, the one a type argument names
// (GitHub's search(type: ISSUE)), and says whether it did; all of them
// when it names none.
func byTypeArg(colls []string, args map[string]any) ([]string, bool) {
	want, ok := args["type"].(string)
	if len(colls) < 2 || !ok {
		return colls, false
	}
	for _, c := range colls {
		if normName(c) == normName(want) {
			return []string{c}, true
		}
	}
	return colls, false
}

// atDefault reports whether v is the declared default d.
func atDefault(d *ast.Value, v any) bool {
	if d == nil {
		return false
	}
	dv, err := d.Value(nil)
	return err == nil && fmt.Sprint(dv) == fmt.Sprint(v)
}

// fieldNamed finds the field of def a name stands for, as normName reads
// both: the same name, else one that differs by a trailing s or es (tag
// for tags, ids for id).
func fieldNamed(def *ast.Definition, name string) *ast.FieldDefinition {
	if def == nil {
		return nil
	}
	n := normName(name)
	for _, f := range def.Fields {
		if normName(f.Name) == n {
			return f
		}
	}
	for _, f := range def.Fields {
		fn := normName(f.Name)
		if n == fn+"s" || n == fn+"es" || fn == n+"s" || fn == n+"es" {
			return f
		}
	}
	return nil
}

// argsMatch reports whether the record shows the value of every
// condition (any value of a list), compared as search values are; one left
// at its default holds for a record that does not store its field.
func (v view) argsMatch(conds []cond) bool {
	for _, c := range conds {
		if f := fieldNamed(v.def, c.name); c.atDefault && (f == nil || v.data[f.Name] == nil) {
			continue
		}
		wants, ok := c.value.([]any)
		if !ok {
			wants = []any{c.value}
		}
		if !slices.ContainsFunc(wants, func(w any) bool {
			t := searchTerm{op: "=", value: fmt.Sprint(w)}
			return w != nil && slices.ContainsFunc(v.values([]string{c.name}), t.matchValue)
		}) {
			return false
		}
	}
	return true
}

// readable drops from q the terms no collection of colls can read, telling
// ignore of each.
func (st *state) readable(colls []string, q searchQuery, ignore func(string)) searchQuery {
	drop := map[string]bool{}
	for _, clause := range q {
		for _, t := range clause {
			known := false
			for _, c := range colls {
				if st.knows(c, t) {
					known = true
					break
				}
			}
			if !known && !drop[t.text] {
				drop[t.text] = true
				ignore(t.text)
			}
		}
	}
	return q.without(drop)
}

// knows reports whether a term can be read on coll's records: a bare value
// always; is:word when the type can mean word or a record holds it; a field
// path when the type declares it down to a leaf or to a collection's type
// (compared by id), or, for one name, when a record stores it. A field the
// mock generates as an object or a list (GitHub's labels) cannot be read.
func (st *state) knows(coll string, t searchTerm) bool {
	def := st.schema.Types[coll]
	if t.path == nil {
		return true
	}
	if len(t.path) == 1 && normName(t.path[0]) == "is" {
		return typeCanMean(st.schema, def, t.value) || st.anyRecord(coll, func(v view) bool { return v.is(t.value) })
	}
	if len(t.path) == 1 && st.anyRecord(coll, func(v view) bool { _, ok := storedKey(v.data, t.path[0]); return ok }) {
		return true
	}
	if len(t.path) == 1 && normName(t.path[0]) == "type" && fieldNamed(def, "type") == nil {
		return true
	}
	var f *ast.FieldDefinition
	for _, name := range t.path {
		if f = fieldNamed(def, name); f == nil {
			return false
		}
		def = st.schema.Types[f.Type.Name()]
	}
	_, isColl := st.idField[def.Name]
	return def.IsLeafType() || isColl && f.Type.Elem == nil
}

// anyRecord reports whether one of coll's records satisfies ok.
func (st *state) anyRecord(coll string, ok func(view) bool) bool {
	for _, rec := range st.records(coll) {
		if ok(st.view(coll, rec)) {
			return true
		}
	}
	return false
}

// typeCanMean reports whether is:word can hold for a type: it is named
// word, has a Boolean field word or isWord, or an enum field with the
// value word.
func typeCanMean(s *ast.Schema, def *ast.Definition, word string) bool {
	w := normName(word)
	if normName(def.Name) == w {
		return true
	}
	for _, f := range def.Fields {
		ft := s.Types[f.Type.Name()]
		switch {
		case f.Type.Elem != nil || ft == nil:
		case ft.Name == "Boolean" && (normName(f.Name) == w || normName(f.Name) == "is"+w):
			return true
		case ft.Kind == ast.Enum && enumHas(ft, w):
			return true
		}
	}
	return false
}

func enumHas(def *ast.Definition, w string) bool {
	for _, v := range def.EnumValues {
		if normName(v.Name) == w {
			return true
		}
	}
	return false
}

// storedKey finds the value a record stores under a name, as normName
// reads it.
func storedKey(rec map[string]any, name string) (any, bool) {
	n := normName(name)
	for k, v := range rec {
		if normName(k) == n {
			return v, true
		}
	}
	return nil, false
}

// pageList pages the records of a list field: from an offset (offset or
// skip) or a page (page, from 1, of the page size), as many as a page size
// asks for (first, limit, pageSize or perPage).
func pageList(picks []pick, args map[string]any) []pick {
	start, _ := pageN(args, "offset", "skip")
	n, sized := pageN(args, "first", "limit", "pagesize", "perpage")
	if p, ok := pageN(args, "page"); ok && p > 1 && sized {
		start += (p - 1) * n
	}
	start = min(start, len(picks))
	if !sized {
		return picks[start:]
	}
	return picks[start:min(start+n, len(picks))]
}

// pageN reads the first of the named arguments (normName'd) that is a
// count.
func pageN(args map[string]any, names ...string) (int, bool) {
	for _, name := range names {
		for k, v := range args {
			if n, ok := number(v); ok && n >= 0 && normName(k) == name {
				return int(n), true
			}
		}
	}
	return 0, false
}

func (st *state) wrapPicks(picks []pick) []any {
	out := make([]any, len(picks))
	for i, p := range picks {
		out[i] = st.recordOf(p.coll, p.rec)
	}
	return out
}

// listedType returns the object type with an id a root query field lists:
// as a list of it or as a connection of it; nil for any other field.
func (st *state) listedType(f *ast.FieldDefinition) *ast.Definition {
	t := st.schema.Types[f.Type.Name()]
	if t == nil || t.Kind != ast.Object {
		return nil
	}
	if f.Type.Elem == nil {
		t = st.nodeType(t)
	}
	if t == nil || t.Kind != ast.Object || t.BuiltIn || idFieldOf(t) == "" {
		return nil
	}
	return t
}

// nodeType is the type a Relay connection type lists: T in edges { node: T }
// or nodes: [T]; nil when t is not a connection.
func (st *state) nodeType(t *ast.Definition) *ast.Definition {
	if t.Kind != ast.Object {
		return nil
	}
	if f := t.Fields.ForName("edges"); f != nil && f.Type.Elem != nil {
		if edge := st.schema.Types[f.Type.Name()]; edge != nil {
			if n := edge.Fields.ForName("node"); n != nil && n.Type.Elem == nil {
				return st.schema.Types[n.Type.Name()]
			}
		}
	}
	if f := t.Fields.ForName("nodes"); f != nil && f.Type.Elem != nil {
		return st.schema.Types[f.Type.Name()]
	}
	return nil
}

// connectionOf returns the collections a connection type lists: its node
// type's, or, for a union or interface node, those of the types that
// implement it, sorted; none when t is not a connection of collections.
func (st *state) connectionOf(t *ast.Definition) []string {
	node := st.nodeType(t)
	if node == nil {
		return nil
	}
	if _, ok := st.idField[node.Name]; ok {
		return []string{node.Name}
	}
	if !node.IsAbstractType() {
		return nil
	}
	var colls []string
	for _, p := range st.schema.GetPossibleTypes(node) {
		if _, ok := st.idField[p.Name]; ok {
			colls = append(colls, p.Name)
		}
	}
	sort.Strings(colls)
	return colls
}

// connection answers a connection field from the records its arguments
// select (see listed), paged by cursor (after, before) and size (first or
// limit, last). totalCount counts the selected records, and a count field
// per collection (issueCount) those of one; pageInfo tells whether
// selected records lie before or after the page. A cursor is the record's
// id, prefixed by its type (Issue:3) in a connection of several types.
func (st *state) connection(colls []string, def *ast.FieldDefinition, args map[string]any, ignore func(string)) map[string]any {
	return st.page(colls, st.listed(colls, def, args, ignore), args)
}

// page is the connection of colls holding picks, paged by args.
func (st *state) page(colls []string, picks []pick, args map[string]any) map[string]any {
	cursor := func(p pick) string {
		id := fmt.Sprint(p.rec[st.idField[p.coll]])
		if len(colls) > 1 {
			return p.coll + ":" + id
		}
		return id
	}
	index := func(c any) int {
		s, ok := c.(string)
		for i, p := range picks {
			if ok && cursor(p) == s {
				return i
			}
		}
		return -1
	}
	lo, hi := 0, len(picks)
	if i := index(args["after"]); i >= 0 {
		lo = i + 1
	}
	if i := index(args["before"]); i >= 0 {
		hi = max(i, lo)
	}
	if n, ok := pageN(args, "first", "limit"); ok && lo+n < hi {
		hi = lo + n
	}
	if n, ok := pageN(args, "last"); ok && hi-n > lo {
		lo = hi - n
	}
	page := picks[lo:hi]
	edges, nodes := make([]any, len(page)), make([]any, len(page))
	var startCursor, endCursor any
	for i, p := range page {
		c := cursor(p)
		nodes[i] = st.recordOf(p.coll, p.rec)
		edges[i] = map[string]any{"node": nodes[i], "cursor": c}
		if i == 0 {
			startCursor = c
		}
		endCursor = c
	}
	out := map[string]any{
		"edges": edges, "nodes": nodes, "totalCount": len(picks),
		"pageInfo": map[string]any{
			"hasNextPage": hi < len(picks), "hasPreviousPage": lo > 0,
			"startCursor": startCursor, "endCursor": endCursor,
		},
	}
	for _, c := range colls {
		n := 0
		for _, p := range picks {
			if p.coll == c {
				n++
			}
		}
		out[strings.ToLower(c[:1])+c[1:]+"Count"] = n
	}
	return out
}

// maxWarned bounds the ignored arguments and terms a mock logs: search
// strings vary without end, the journal marks every exchange regardless.
const maxWarned = 256

// reportIgnored marks the journal entry with the arguments and search
// terms a stateful list answered without, and logs each the first time an
// operation sends it: a filter the mock cannot read is never silently
// dropped, as the OpenAPI mock's list parameters are not.
func (m *Mock) reportIgnored(ex *execution, entry *toolkit.Entry) {
	if m.state == nil {
		return
	}
	for _, name := range ex.ignored {
		if slices.Contains(entry.Ignored, name) {
			continue
		}
		entry.Ignored = append(entry.Ignored, name)
		if m.state.firstWarning(entry.Operation + "\x00" + name) {
			m.log.Warn("mock: a list argument or search term the mock cannot read was ignored; the list is not filtered by it",
				"mock", m.opts.name, "operation", entry.Operation, "ignored", name)
		}
	}
}

// firstWarning reports whether key is new, among the first maxWarned.
func (st *state) firstWarning(key string) bool {
	st.warnMu.Lock()
	defer st.warnMu.Unlock()
	if st.warned[key] || len(st.warned) >= maxWarned {
		return false
	}
	if st.warned == nil {
		st.warned = map[string]bool{}
	}
	st.warned[key] = true
	return true
}

// children lists the stored records a list or connection field of a
// stored record holds: those linked to it (see link), selected and paged by
// the field's arguments as a root field's are; none when nothing links
// them (a record holds no other records it was not given). ok is false
// when the field lists no collection's records: it is generated.
func (st *state) children(parent *record, def *ast.FieldDefinition, args map[string]any, ignore func(string)) (any, bool) {
	t := st.schema.Types[def.Type.Name()]
	if t == nil {
		return nil, false
	}
	colls := st.connectionOf(t)
	if def.Type.Elem != nil {
		colls = nil
		if _, ok := st.idField[t.Name]; ok {
			colls = []string{t.Name}
		}
	}
	if len(colls) != 1 {
		return nil, false
	}
	sel := st.selectionOf(colls, def, args, ignore)
	if sel.within = st.link(parent, def, colls[0]); sel.within == nil {
		sel.within = func(store.Record) bool { return false }
	}
	picks := st.picks(sel)
	if def.Type.Elem != nil {
		return st.wrapPicks(pageList(picks, args)), true
	}
	return st.page(colls, picks, args), true
}

// link tells the records of coll that a field of parent holds: those whose
// ids parent stores under the field's name (labelIds for labels), else
// those that store parent's id under a field of parent's type (an issue's
// repositoryId for repository.issues); nil when neither can link them.
func (st *state) link(parent *record, def *ast.FieldDefinition, coll string) func(store.Record) bool {
	if ids, ok := storedKey(parent.data, strings.TrimSuffix(normName(def.Name), "s")+"ids"); ok {
		l, _ := ids.([]any)
		idf := st.idField[coll]
		return func(rec store.Record) bool {
			return slices.ContainsFunc(l, func(id any) bool { return fmt.Sprint(id) == fmt.Sprint(rec[idf]) })
		}
	}
	parentType := st.schema.Types[parent.typ]
	var keys []string
	for _, f := range st.schema.Types[coll].Fields {
		ft := st.schema.Types[f.Type.Name()]
		if f.Type.Elem == nil && ft != nil && (ft == parentType || ft.IsAbstractType() && slices.Contains(st.schema.GetPossibleTypes(ft), parentType)) {
			keys = append(keys, f.Name+"id")
		}
	}
	if len(keys) == 0 || parentType == nil {
		return nil
	}
	id := fmt.Sprint(parent.data[st.idField[parent.typ]])
	return func(rec store.Record) bool {
		return slices.ContainsFunc(keys, func(k string) bool {
			v, ok := storedKey(rec, k)
			return ok && fmt.Sprint(v) == id
		})
	}
}
