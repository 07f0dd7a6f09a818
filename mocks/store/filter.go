package store

import (
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// FilterKind says how a query parameter selects the records of a list.
type FilterKind string

// The kinds of filter a list operation's query parameter can be.
const (
	// FilterEqual keeps the records whose property equals the value, or one
	// of the values of a list (ids=a,b; repeated keys). Where the property
	// is a number or an instant, Param[gte|gt|lte|lt]= bounds it (Stripe's
	// created[gte]=).
	FilterEqual FilterKind = "equal"
	// FilterRange is a parameter whose name carries the bound
	// (created_after, amount_gte): Op applies to the property.
	FilterRange FilterKind = "range"
	// FilterSince keeps the records whose first present property of Paths
	// is at or after the instant (since=, updated_since=).
	FilterSince FilterKind = "since"
)

// Filter is one query parameter of a list operation that selects records
// by a property of theirs.
type Filter struct {
	Param  string     // the parameter as the contract names it: "status", "created", "ids", "updated_since"
	Paths  [][]string // the record property read, as a path into the record; FilterSince tries each in turn
	Kind   FilterKind //
	Op     string     // FilterRange's bound: "gt", "gte", "lt" or "lte"
	Comma  bool       // a value may be a comma-separated list (ids=, an array parameter not exploded)
	Ranged bool       // the property is a number or an instant: bounds in brackets apply
	// Fields are, for a property that is an object of named fields
	// (Stripe's relationship, status_transitions), its fields, true where
	// bounds apply: the filter is sent by field in brackets, as
	// relationship[owner]=true or status_transitions[paid][gte]=1700000000.
	Fields map[string]bool
	// Shown is, where the list's item schema admits one value only at the
	// property and the record's schema does not admit it, that value: the
	// list answers every record with it (Stripe's object on a customer's
	// sources, listed as alipay_account whatever kind a source is stored
	// as), and the filter compares it. Nil otherwise.
	Shown any
}

// Property is the filter's property as a dotted path, the first of Paths.
func (f Filter) Property() string {
	if len(f.Paths) == 0 {
		return ""
	}
	return strings.Join(f.Paths[0], ".")
}

// nonFilters are query parameters, folded by norm, that shape or sort the
// answer rather than select records: they are neither filters nor reported.
var nonFilters = map[string]bool{
	"expand": true, "fields": true, "field": true, "include": true, "select": true, "embed": true,
	"sort": true, "sortby": true, "sortorder": true, "sortdirection": true, "sortfield": true,
	"order": true, "orderby": true, "direction": true, "dir": true, "ordering": true,
	"pretty": true, "prettyprint": true, "format": true, "locale": true, "lang": true, "language": true,
	"callback": true, "apiversion": true, "version": true, "includetotal": true, "includecount": true,
	"totalcount": true, "count": true, "withcount": true, "propertieswithhistory": true, "associations": true,
	"properties": true, "totalrequired": true,
}

// rangeSuffixes are the name endings that carry a bound, folded by norm.
var rangeSuffixes = []struct{ suffix, op string }{
	{"gte", "gte"}, {"lte", "lte"}, {"gt", "gt"}, {"lt", "lt"},
	{"after", "gt"}, {"before", "lt"}, {"until", "lte"}, {"from", "gte"},
}

// passive reports whether a query parameter pages or shapes the answer.
func (s ListShape) passive(name string) bool {
	switch name {
	case "", s.LimitParam, s.OffsetParam, s.PageParam, s.CursorParam, s.BeforeParam:
		return name != ""
	}
	base, _, _ := strings.Cut(name, "[")
	n := norm(base)
	return nonFilters[n] || pagingNames[n]
}

// pagingNames are the names of every pagination role: a contract may
// declare more than the style it pages by (Twilio's PageToken beside Page).
var pagingNames = func() map[string]bool {
	out := map[string]bool{}
	for _, names := range [][]string{limitParams, offsetParams, pageParams, cursorParams, beforeParams} {
		for _, n := range names {
			out[n] = true
		}
	}
	return out
}()

// detectFilters finds, among a list operation's query parameters, those
// that select records by a property of item (see Filter); the others that
// neither page nor shape the answer are Uninterpreted.
func (s *ListShape) detectFilters(params openapi3.Parameters, item *openapi3.Schema, idField string) {
	seen := map[string]bool{}
	for _, ref := range params {
		if ref == nil || ref.Value == nil || ref.Value.In != "query" || seen[ref.Value.Name] {
			continue
		}
		p := ref.Value
		seen[p.Name] = true
		if s.passive(p.Name) {
			continue
		}
		if f, ok := inferFilter(p, item, idField); ok {
			f.Shown = shownConstant(item, s.itemsSchema(), f.Paths[0])
			s.Filters = append(s.Filters, f)
		} else {
			s.Uninterpreted = append(s.Uninterpreted, p.Name)
		}
	}
	sort.Slice(s.Filters, func(i, j int) bool { return s.Filters[i].Param < s.Filters[j].Param })
	sort.Strings(s.Uninterpreted)
}

// inferFilter maps one query parameter to the record property it selects
// by: the property of that name (folded), with an id suffix added or
// dropped (customer= on customer_id), a nested one by dots or brackets
// (address.city, address[city]), the singular of a plural (ids=, statuses=),
// for the record's creation or update the instant described as it, a
// property named to end like it with the same enum, or a unique property
// one level down that can hold its values (HubSpot's properties.email); a name
// ending in a bound (created_after, amount_gte) or in since (updated_since,
// since) on a number or an instant.
func inferFilter(p *openapi3.Parameter, item *openapi3.Schema, idField string) (Filter, bool) {
	name := strings.TrimSuffix(p.Name, "[]")
	if inner, ok := strings.CutPrefix(name, "filter["); ok && strings.HasSuffix(inner, "]") {
		name = strings.TrimSuffix(inner, "]") // JSON:API's filter[status]
	}
	f := Filter{Param: p.Name, Kind: FilterEqual, Comma: commaList(p)}
	if n := norm(name); n == "since" || strings.HasSuffix(n, "since") {
		f.Kind, f.Paths = FilterSince, sincePaths(item, strings.TrimSuffix(n, "since"))
		return f, len(f.Paths) > 0
	}
	if path, ps := findProperty(item, name, idField, paramSchema(p)); path != nil {
		f.Paths, f.Ranged = [][]string{path}, rangeable(ps)
		f.Fields = objectFields(ps)
		if plural(name, path) {
			f.Comma = true
		}
		return f, true
	}
	for _, rs := range rangeSuffixes {
		stem, ok := cutSuffixFold(name, rs.suffix)
		if !ok {
			continue
		}
		// The stem names the property, or an instant by its event
		// (Adyen's createdUntil bounds createdAt).
		for _, name := range []string{stem, stem + "At", stem + "Date", stem + "Time", stem + "On"} {
			if path, ps := findProperty(item, name, idField, nil); path != nil && rangeable(ps) {
				f.Kind, f.Op, f.Paths = FilterRange, rs.op, [][]string{path}
				return f, true
			}
		}
	}
	return Filter{}, false
}

// shownConstant is the one value the list item admits at path when the
// record's schema enumerates others only; nil otherwise.
func shownConstant(item, listed *openapi3.Schema, path []string) any {
	if listed == nil || listed == item {
		return nil
	}
	at := func(s *openapi3.Schema) *openapi3.Schema {
		for _, part := range path {
			ref := properties(s)[part]
			if ref == nil {
				return nil
			}
			s = ref.Value
		}
		return s
	}
	shown, stored := at(listed), at(item)
	if shown == nil || stored == nil || len(shown.Enum) != 1 || len(stored.Enum) == 0 || slices.Contains(stored.Enum, shown.Enum[0]) {
		return nil
	}
	return shown.Enum[0]
}

// objectFields are the fields of an object property that holds no id and
// is no scalar either (a record by reference matches by its id), each true
// where bounds apply; nil for any other property.
func objectFields(s *openapi3.Schema) map[string]bool {
	if !isObject(s) || hasIDProperty(s) {
		return nil
	}
	for _, alt := range kinds(s) {
		if alt.Type.Includes("string") || alt.Type.Includes("integer") || alt.Type.Includes("number") || alt.Type.Includes("boolean") {
			return nil
		}
	}
	out := map[string]bool{}
	for name, ref := range properties(s) {
		if ref != nil && ref.Value != nil && !isObject(ref.Value) && !ref.Value.Type.Includes("array") {
			out[name] = rangeable(ref.Value)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// field is the filter on one field of an object filter, sent as
// param[field].
func (f Filter) field(name string) Filter {
	sub := f
	sub.Param = f.Param + "[" + name + "]"
	sub.Paths = [][]string{append(append([]string{}, f.Paths[0]...), name)}
	sub.Ranged, sub.Fields = f.Fields[name], nil
	return sub
}

// commaList reports whether the parameter takes a list in one value: an
// array not exploded (form style, explode: false).
func commaList(p *openapi3.Parameter) bool {
	if p.Schema == nil || p.Schema.Value == nil || !p.Schema.Value.Type.Includes("array") {
		return false
	}
	return p.Explode != nil && !*p.Explode
}

// plural reports whether name is the plural of the property it found
// (ids for id): its values come as a list.
func plural(name string, path []string) bool {
	last := norm(path[len(path)-1])
	return norm(name) != last && singular(norm(name)) == last
}

// cutSuffixFold cuts a bound suffix off a name when it ends a word:
// created_after, createdAfter, created[gte], amount.gte.
func cutSuffixFold(name, suffix string) (string, bool) {
	if b, ok := strings.CutSuffix(name, "["+suffix+"]"); ok {
		return b, true
	}
	lower := strings.ToLower(name)
	if !strings.HasSuffix(lower, suffix) || len(name) <= len(suffix) {
		return "", false
	}
	stem := name[:len(name)-len(suffix)]
	switch last := stem[len(stem)-1]; {
	case last == '_' || last == '.' || last == '-':
		return stem[:len(stem)-1], true
	case name[len(stem)] >= 'A' && name[len(stem)] <= 'Z' && last >= 'a' && last <= 'z':
		return stem, true
	}
	return "", false
}

// findProperty finds the property a parameter name selects by, and its
// schema; nil when none does. param is the parameter's schema, when known:
// a property whose values it cannot take is not the one it names.
func findProperty(item *openapi3.Schema, name, idField string, param *openapi3.Schema) ([]string, *openapi3.Schema) {
	props := properties(item)
	if len(props) == 0 || name == "" {
		return nil, nil
	}
	if strings.ContainsAny(name, ".[") {
		parts := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
		return nestedProperty(item, parts)
	}
	n := norm(name)
	wants := []string{n, n + "id", strings.TrimSuffix(n, "id"), singular(n)}
	if n == "ids" || n == "id" {
		wants = append([]string{norm(idField)}, wants...)
	}
	for _, w := range wants {
		if w == "" {
			continue
		}
		for _, pn := range sortedKeys(props) {
			if ref := props[pn]; norm(pn) == w && ref != nil && ref.Value != nil {
				return []string{pn}, ref.Value
			}
		}
	}
	// The record's own lifecycle instant, whatever its name (Stripe's
	// created on invoice items is date, "Time at which the object was
	// created"), never a namesake of another object inside it.
	if lifecycleWords(n) != nil {
		if pn := lifecycleInstant(props, n); pn != "" {
			return []string{pn}, props[pn].Value
		}
		return nil, nil
	}
	// A property whose name ends in the parameter's and that takes the same
	// values (Adyen's status on transfer limits is limitStatus, both
	// LimitStatus; the SCA status one level down is another enum).
	if len(enumOf(param)) > 0 {
		for _, pn := range sortedKeys(props) {
			if ref := props[pn]; ref != nil && ref.Value != nil && strings.HasSuffix(norm(pn), n) && sameEnum(enumOf(param), enumOf(ref.Value)) {
				return []string{pn}, ref.Value
			}
		}
	}
	// A property one level down named by both names run together
	// (Adyen's counterpartyAccountHolderId: counterparty.accountHolderId).
	for _, pn := range sortedKeys(props) {
		ref := props[pn]
		rest, ok := strings.CutPrefix(n, norm(pn))
		if ref == nil || !isObject(ref.Value) || !ok || rest == "" {
			continue
		}
		children := properties(ref.Value)
		for _, cn := range sortedKeys(children) {
			if cref := children[cn]; norm(cn) == rest && cref != nil && cref.Value != nil {
				return []string{pn, cn}, cref.Value
			}
		}
	}
	// A unique property of that name one level down.
	var found []string
	var schema *openapi3.Schema
	for _, pn := range sortedKeys(props) {
		ref := props[pn]
		if ref == nil || !isObject(ref.Value) {
			continue
		}
		for cn, cref := range properties(ref.Value) {
			if norm(cn) == n && cref != nil && cref.Value != nil && takes(cref.Value, param) {
				if found != nil {
					return nil, nil // ambiguous
				}
				found, schema = []string{pn, cn}, cref.Value
			}
		}
	}
	return found, schema
}

// lifecycleWords are, for a name of the record's creation or last update
// (created, updated_at), the words its description would say it with; nil
// for other names.
func lifecycleWords(n string) []string {
	switch {
	case in(n, createdNames...):
		return []string{"created", "creation"}
	case in(n, updatedNames...):
		return []string{"updated", "modified", "last update"}
	}
	return nil
}

// lifecycleInstant is the instant property named for the lifecycle event
// named n (created_at for created), else the one whose description's
// first sentence says it is that event ("Time at which the object was
// created.", "The date when the card order is created."); "" when none
// does.
func lifecycleInstant(props openapi3.Schemas, n string) string {
	words := lifecycleWords(n)
	names := createdNames
	if in(n, updatedNames...) {
		names = updatedNames
	}
	for _, pn := range sortedKeys(props) {
		if ref := props[pn]; ref != nil && ref.Value != nil && instant(pn, ref.Value) && in(norm(pn), names...) {
			return pn // another name of the same event: created_at for created
		}
	}
	for _, pn := range sortedKeys(props) {
		ref := props[pn]
		if ref == nil || ref.Value == nil || !instant(pn, ref.Value) {
			continue
		}
		d := strings.ToLower(ref.Value.Description)
		if i := strings.IndexAny(d, ".\n"); i >= 0 {
			d = d[:i]
		}
		for _, w := range words {
			if strings.Contains(d, w) {
				return pn
			}
		}
	}
	return ""
}

// paramSchema is a parameter's schema, nil when it has none.
func paramSchema(p *openapi3.Parameter) *openapi3.Schema {
	if p.Schema == nil {
		return nil
	}
	s := p.Schema.Value
	if s != nil && s.Type.Includes("array") && s.Items != nil {
		s = s.Items.Value // a list of the values: ids[], statuses
	}
	return s
}

// enumOf is the enumerated values of a schema, or of its items.
func enumOf(s *openapi3.Schema) []any {
	if s == nil {
		return nil
	}
	if len(s.Enum) == 0 && s.Items != nil && s.Items.Value != nil {
		return s.Items.Value.Enum
	}
	return s.Enum
}

// sameEnum reports whether two enumerations hold the same values.
func sameEnum(a, b []any) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

// takes reports whether a property can hold a value of the parameter: an
// enumerated parameter and an enumerated property share some value.
func takes(prop, param *openapi3.Schema) bool {
	pe, qe := enumOf(prop), enumOf(param)
	if len(pe) == 0 || len(qe) == 0 {
		return true
	}
	for _, v := range qe {
		if slices.Contains(pe, v) {
			return true
		}
	}
	return false
}

// nestedProperty walks parts through the item's object properties.
func nestedProperty(item *openapi3.Schema, parts []string) ([]string, *openapi3.Schema) {
	s := item
	var path []string
	for _, part := range parts {
		var next *openapi3.Schema
		for pn, ref := range properties(s) {
			if norm(pn) == norm(part) && ref != nil && ref.Value != nil {
				path, next = append(path, pn), ref.Value
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		s = next
	}
	return path, s
}

// rangeable reports whether a property can be bounded: a number, an
// integer, or an instant (date, date-time), alone or among alternatives.
func rangeable(s *openapi3.Schema) bool {
	for _, alt := range kinds(s) {
		if alt.Type.Includes("integer") || alt.Type.Includes("number") || alt.Format == "date-time" || alt.Format == "date" {
			return true
		}
	}
	return false
}

// sincePaths are the instants a since parameter compares with: for
// updated_since the properties whose name holds "updated", for since alone
// the last update, else the creation, as GitHub and Zendesk mean it.
func sincePaths(item *openapi3.Schema, stem string) [][]string {
	props := properties(item)
	var out [][]string
	add := func(match func(string) bool) {
		for _, pn := range sortedKeys(props) {
			if ref := props[pn]; ref != nil && instant(pn, ref.Value) && match(norm(pn)) && !hasPath(out, pn) {
				out = append(out, []string{pn})
			}
		}
	}
	if stem != "" {
		add(func(n string) bool { return strings.Contains(n, stem) })
		if pn := lifecycleInstant(props, stem); lifecycleWords(stem) != nil && pn != "" && !hasPath(out, pn) {
			out = append(out, []string{pn}) // Adyen's createdSince on card orders: beginDate, "when the card order is created"
		}
	}
	for _, word := range []string{"updated", "modified", "changed", "created"} {
		add(func(n string) bool { return strings.Contains(n, word) })
	}
	return out
}

func hasPath(paths [][]string, name string) bool {
	for _, p := range paths {
		if len(p) == 1 && p[0] == name {
			return true
		}
	}
	return false
}

// instant reports whether a property holds a point in time: a date or
// date-time, or a number or string named like one (created_at, updated).
func instant(name string, s *openapi3.Schema) bool {
	for _, alt := range kinds(s) {
		if alt.Format == "date-time" || alt.Format == "date" || alt.Format == "unix-time" {
			return true
		}
	}
	n := norm(name)
	named := strings.HasSuffix(n, "at") || strings.HasSuffix(n, "time") || strings.HasSuffix(n, "date") ||
		strings.HasSuffix(n, "on") || n == "created" || n == "updated" || n == "modified"
	return named && (rangeable(s) || s != nil && s.Type.Includes("string"))
}

// kinds is s and its anyOf and oneOf alternatives: what a value of s can be.
func kinds(s *openapi3.Schema) []*openapi3.Schema {
	if s == nil {
		return nil
	}
	return append([]*openapi3.Schema{s}, alternatives(s)...)
}
