package graphql

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseSearch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
	}{
		{``, `[]`},
		{`sku:MUG-WHT`, `[[=[sku]MUG-WHT]]`},
		{`  a   b `, `[[=a] [=b]]`},
		{`title:"blue mug" vendor:acme`, `[[=[title]blue mug] [=[vendor]acme]]`},
		{`"blue mug"`, `[[="blue mug" as blue mug]]`},
		{`-status:archived`, `[[-=[status]archived]]`},
		{`NOT status:archived`, `[[-=[status]archived]]`},
		{`price:>10 price:>=10 price:<10 price:<=10`, `[[>[price]10] [>=[price]10] [<[price]10] [<=[price]10]]`},
		{`created:2020-01-01..2020-02-01 stars:10..*`, `[[..[created]2020-01-01..2020-02-01] [..[stars]10..*]]`},
		{`title:mug*`, `[[=[title]mug*]]`},
		{`customer.email:a@b.c`, `[[=[customer email]a@b.c]]`},
		{`a OR b c`, `[[=a =b] [=c]]`},
		{`a AND b`, `[[=a] [=b]]`},
		{`OR a`, `[[=a]]`},
		{`is:open repo:octo/hello`, `[[=[is]open] [=[repo]octo/hello]]`},
		{`url:https://x.io/a`, `[[=[url]https://x.io/a]]`},
		{`-`, `[[=-]]`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := render(parseSearch(tt.in)); got != tt.want {
				t.Errorf("parseSearch(%q) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

// render writes a parsed search compactly: a clause per [], each term as
// [-]op[path]value, * for a prefix, and "as" when the text differs.
func render(q searchQuery) string {
	var clauses []string
	for _, c := range q {
		var terms []string
		for _, t := range c {
			s := t.op
			if t.neg {
				s = "-" + s
			}
			if t.path != nil {
				s += fmt.Sprint(t.path)
			}
			s += t.value
			if t.prefix {
				s += "*"
			}
			if t.path == nil && t.text != t.value && !t.prefix && !t.neg {
				s = "=" + t.text + " as " + t.value
			}
			terms = append(terms, s)
		}
		clauses = append(clauses, "["+strings.Join(terms, " ")+"]")
	}
	return "[" + strings.Join(clauses, " ") + "]"
}

// fakeRecord is a searchable of plain values: fields by lower-case path,
// texts, and the words is: holds for.
type fakeRecord struct {
	fields map[string]any
	words  []string
}

func (f fakeRecord) values(path []string) []any {
	v, ok := f.fields[strings.ToLower(strings.Join(path, "."))]
	if !ok {
		return nil
	}
	return []any{v}
}

func (f fakeRecord) texts() []string {
	var out []string
	for _, v := range f.fields {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (f fakeRecord) is(word string) bool {
	for _, w := range f.words {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

// TestSearchMatches checks each feature of the grammar on one record, with
// a near miss beside each match: a term that matched everything would fail.
func TestSearchMatches(t *testing.T) {
	t.Parallel()
	mug := fakeRecord{fields: map[string]any{
		"sku": "MUG-WHT", "title": "Blue Mug", "price": "12.50", "qty": int64(7), "paid": true,
		"created": "2024-03-01T10:00:00Z", "tags": []any{"vip", "kitchen"}, "customer.email": "ada@example.com",
		"owner": map[string]any{"id": "u1"},
	}, words: []string{"open"}}
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{`sku:MUG-WHT`, true},
		{`sku:MUG-BLK`, false},
		{`sku:mug-wht`, true}, // case-insensitive
		{`title:"blue mug"`, true},
		{`title:"blue cup"`, false},
		{`title:blue*`, true},
		{`title:mug*`, false},
		{`mug`, true}, // a bare word: contained in a text field
		{`cup`, false},
		{`"blue mug"`, true},
		{`-sku:MUG-BLK`, true},
		{`-sku:MUG-WHT`, false},
		{`NOT sku:MUG-WHT`, false},
		{`price:>12`, true},
		{`price:>12.5`, false},
		{`price:>=12.5`, true},
		{`price:<100`, true}, // as numbers: "12.50" < "100" as text is false
		{`price:<=12.4`, false},
		{`qty:7`, true},
		{`qty:7.0`, true},
		{`qty:8`, false},
		{`created:>2024-02-29`, true}, // a date against an RFC 3339 instant
		{`created:<2024-03-01T09:00:00Z`, false},
		{`created:2024-01-01..2024-12-31`, true},
		{`created:2025-01-01..*`, false},
		{`qty:1..7`, true},
		{`qty:8..*`, false},
		{`paid:true`, true},
		{`paid:false`, false},
		{`paid:>true`, false},
		{`tags:vip`, true}, // any element of a list
		{`tags:gold`, false},
		{`customer.email:ADA@example.com`, true},
		{`customer.email:bob@example.com`, false},
		{`owner:u1`, true}, // an object by its id
		{`owner:u2`, false},
		{`is:open`, true},
		{`is:closed`, false},
		{`sku:MUG-WHT title:"blue mug" price:>10`, true},
		{`sku:MUG-WHT price:>100`, false}, // AND
		{`sku:MUG-BLK OR sku:MUG-WHT`, true},
		{`sku:MUG-BLK OR sku:MUG-RED`, false},
		{`sku:MUG-BLK OR title:blue* price:<1`, false}, // OR binds tighter than the space
		{`nosuch:x`, false},
		{`-nosuch:x`, true},
		{``, true},
	} {
		if got := parseSearch(tt.q).matches(mug); got != tt.want {
			t.Errorf("%q matches = %v; want %v", tt.q, got, tt.want)
		}
	}
}

func TestSearchWithout(t *testing.T) {
	t.Parallel()
	q := parseSearch(`a:1 b:2 OR c:3 -c:3`).without(map[string]bool{"b:2": true, "-c:3": true})
	if got := render(q); got != `[[=[a]1] [=[c]3]]` {
		t.Errorf("without = %s", got)
	}
}

func TestSplitVerb(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, verb, noun string }{
		{"createCustomer", "create", "Customer"},
		{"customerCreate", "create", "customer"},
		{"create_item", "create", "item"},
		{"delete_update", "delete", "update"}, // a verb in front wins
		{"edit_update", "update", "update"},
		{"like_update", "update", "like"},
		{"metafieldsSet", "upsert", "metafields"},
		{"inventorySetQuantities", "", ""},
		{"setRepositoryInteractionLimit", "upsert", "RepositoryInteractionLimit"},
		{"change_column_value", "update", "column_value"},
		{"checkoutEmailUpdateV2", "update", "checkoutEmail"},
		{"createProjectV2", "create", "ProjectV2"},
		{"cartLinesRemove", "delete", "cartLines"},
		{"settle", "", ""},
		{"ping", "", ""},
	} {
		if verb, noun := splitVerb(tt.name); verb != tt.verb || noun != tt.noun {
			t.Errorf("splitVerb(%q) = %q, %q; want %q, %q", tt.name, verb, noun, tt.verb, tt.noun)
		}
	}
}

// FuzzParseSearch: any search string parses, and matches any record,
// without a panic; a term's text is a token of the string.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{`sku:MUG-WHT`, `-a:"b c" OR d:>=1 e:1..* "x`, `NOT NOT OR AND`, `a.b.c:*`, `:`, `-`, `"`, `x:..`} {
		f.Add(s)
	}
	rec := fakeRecord{fields: map[string]any{"a": "b c", "d": int64(2), "e": []any{"1", nil}, "x": map[string]any{}}, words: []string{"open"}}
	f.Fuzz(func(t *testing.T, s string) {
		q := parseSearch(s)
		q.matches(rec)
		toks := searchTokens(s)
		for _, c := range q {
			if len(c) == 0 {
				t.Fatalf("%q: an empty clause", s)
			}
			for _, term := range c {
				if !slices.Contains(toks, term.text) {
					t.Errorf("%q: term %q is no token of %q", s, term.text, toks)
				}
			}
		}
	})
}
