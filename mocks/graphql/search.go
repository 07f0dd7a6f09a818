package graphql

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A search string is the value of a String argument named query, search, q
// or filter on a list, connection or lookup field that answers from a
// stateful collection: Shopify's productVariants(query: "sku:MUG-WHT"),
// GitHub's search(query: "is:open bug", type: ISSUE). The stateful mock
// keeps the records that match it, read with this grammar:
//
//	search = clause { " " clause }      clauses are ANDed ("AND" between them may be written)
//	clause = term { " OR " term }       a clause holds when one of its terms does: OR binds tighter
//	term   = [ "-" | "NOT " ] ( field ":" [ op ] value | field ":" range | value )
//	field  = name { "." name }          customer.email: a field of the object a field holds
//	op     = ">" | ">=" | "<" | "<="    an order
//	range  = low ".." high              bounds included; "*" leaves a side open
//	value  = word | '"' any text '"'    a word ends at a space; quotes keep spaces
//
// A field is matched to the type's fields as arguments are: ignoring case,
// _ and - (product_type reads productType), and a trailing s or es either
// way (tag:vip reads the list field tags). A nested name goes through an
// object the record stores or a record it references (customer.email reads
// the customer whose id the record holds as customerId). A term compares
// with the value a query would read from the record, generated fields
// included: text ignoring case, a word ending in * by prefix (title:mug*);
// numbers as numbers (qty:7 matches 7.0); an order or a range as numbers
// when both sides are, else as instants when both are (RFC 3339, a
// date-time without zone, or a date), else as text ignoring case; true and
// false for a Boolean (which has no order); any element of a list; an
// object, or a record referenced (customer:c1), by its id. A bare value
// matches a record when one of its String fields (or a list of String)
// contains it, ignoring case (a trailing * is dropped). A field that shows
// null, or a key a record does not store, matches no value (and so
// -field:value holds). AND, OR and NOT are keywords in upper case only.
//
// Qualifiers: is:word holds when the record's type is named word
// (is:issue), else by the first of these the type has: enum fields whose
// type declares the value word (GitHub's is:open reads state), one of
// which shows it; Boolean fields named word or isWord, one of which is
// true; String fields, one of which shows word; case ignored throughout.
// type:word names the record's type when the type has no field named type.
// Any other qualifier is a field:value term and works when the type has a
// field of its name: state:open does on GitHub's Issue; repo:owner/name,
// in:title, user:name, label:x (labels is a connection) do not.
//
// A term the mock cannot read, because it names a field neither the type
// nor any record of it has, or a field the mock can only generate as a list
// or an object, is answered without, as if it was not written: the
// exchange's journal entry lists it in Ignored and the mock logs it the
// first time. Not supported: parentheses (part of the word), single
// quotes, escapes inside quotes, and a * anywhere but at a word's end.
type searchQuery [][]searchTerm

// searchTerm is one term of a search string.
type searchTerm struct {
	text   string   // as written, for the journal
	neg    bool     // -field:value, NOT value
	path   []string // the field path; nil for a bare value
	op     string   // "=", ">", ">=", "<", "<=" or ".."
	value  string   // unquoted; for "..", low and high joined by ".."
	prefix bool     // the value ended in an unquoted *
}

// searchArgs are the names of the String arguments read as a search string.
var searchArgs = map[string]bool{"query": true, "search": true, "q": true, "filter": true}

// parseSearch reads a search string by the grammar above; it never fails:
// what is not a field term is a bare value.
func parseSearch(s string) searchQuery {
	var (
		q       searchQuery
		neg, or bool
	)
	for _, tok := range searchTokens(s) {
		switch tok {
		case "AND":
			continue
		case "OR":
			or = len(q) > 0
			continue
		case "NOT":
			neg = true
			continue
		}
		t := parseTerm(tok)
		t.neg = t.neg != neg
		neg = false
		if or {
			q[len(q)-1] = append(q[len(q)-1], t)
			or = false
			continue
		}
		q = append(q, []searchTerm{t})
	}
	return q
}

// searchTokens splits s at spaces outside double quotes.
func searchTokens(s string) []string {
	var (
		toks   []string
		cur    strings.Builder
		quoted bool
	)
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case unicode.IsSpace(r) && !quoted:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks
}

// parseTerm reads one token: [-]field:[op]value or a bare value.
func parseTerm(tok string) searchTerm {
	t := searchTerm{text: tok, op: "="}
	if len(tok) > 1 && tok[0] == '-' {
		t.neg, tok = true, tok[1:]
	}
	field, value, ok := strings.Cut(tok, ":")
	if !ok || field == "" || strings.ContainsRune(field, '"') {
		t.value, t.prefix = unquote(tok)
		return t
	}
	t.path = strings.Split(field, ".")
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(value, op); ok {
			t.op, value = op, rest
			break
		}
	}
	if lo, hi, ok := strings.Cut(value, ".."); ok && t.op == "=" && !strings.HasPrefix(value, `"`) {
		t.op, t.value = "..", lo+".."+hi
		return t
	}
	t.value, t.prefix = unquote(value)
	return t
}

// unquote strips the quotes of a quoted value; an unquoted value ending
// in * asks for a prefix.
func unquote(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1], false
	}
	if rest, ok := strings.CutSuffix(v, "*"); ok && rest != "" {
		return rest, true
	}
	return strings.Trim(v, `"`), false
}

// searchable is what a search term reads of one record.
type searchable interface {
	// values are the values the record shows at a field path (none when
	// its type has no such field).
	values(path []string) []any
	// texts are the values of its String fields, for bare values.
	texts() []string
	// is reports whether is:word holds.
	is(word string) bool
}

// without drops the terms (by their text) that cannot be read, and the
// clauses left empty.
func (q searchQuery) without(drop map[string]bool) searchQuery {
	var out searchQuery
	for _, clause := range q {
		var kept []searchTerm
		for _, t := range clause {
			if !drop[t.text] {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out
}

// matches reports whether a record satisfies every clause.
func (q searchQuery) matches(r searchable) bool {
	for _, clause := range q {
		ok := false
		for _, t := range clause {
			if t.matches(r) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matches reports whether the term holds for r; a field r's type does not
// have holds for no record (and its negation for every one).
func (t searchTerm) matches(r searchable) bool {
	return t.holds(r) != t.neg
}

func (t searchTerm) holds(r searchable) bool {
	if t.path == nil {
		want := strings.ToLower(t.value)
		for _, s := range r.texts() {
			if strings.Contains(strings.ToLower(s), want) {
				return true
			}
		}
		return false
	}
	if len(t.path) == 1 && normName(t.path[0]) == "is" {
		return r.is(t.value)
	}
	for _, v := range r.values(t.path) {
		if t.matchValue(v) {
			return true
		}
	}
	return false
}

// matchValue compares one value a record shows with the term's.
func (t searchTerm) matchValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		for _, e := range x {
			if t.matchValue(e) {
				return true
			}
		}
		return false
	case map[string]any:
		if id, ok := x["id"]; ok {
			return t.matchValue(id)
		}
		return false
	case bool:
		return t.op == "=" && strings.EqualFold(t.value, strconv.FormatBool(x))
	}
	switch t.op {
	case "=":
		if t.prefix {
			return strings.HasPrefix(strings.ToLower(fmt.Sprint(v)), strings.ToLower(t.value))
		}
		c, ok := order(v, t.value)
		return ok && c == 0
	case "..":
		lo, hi, _ := strings.Cut(t.value, "..")
		cl, okl := order(v, lo)
		ch, okh := order(v, hi)
		return (lo == "*" || okl && cl >= 0) && (hi == "*" || okh && ch <= 0)
	}
	c, ok := order(v, t.value)
	if !ok {
		return false
	}
	switch t.op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	}
	return c <= 0
}

// order compares a record's value with a search value: as numbers when
// both are, else as instants when both are, else as text ignoring case.
func order(v any, q string) (int, bool) {
	s := fmt.Sprint(v)
	if a, err := strconv.ParseFloat(s, 64); err == nil {
		if b, err := strconv.ParseFloat(q, 64); err == nil {
			return cmp.Compare(a, b), true
		}
	}
	if a, ok := instant(s); ok {
		if b, ok := instant(q); ok {
			return a.Compare(b), true
		}
	}
	return strings.Compare(strings.ToLower(s), strings.ToLower(q)), true
}

// instant reads an RFC 3339 time, one without a zone (UTC) or a date.
func instant(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
