package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestDocCache(t *testing.T) {
	t.Parallel()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { a: Int }"})
	c := docCache{limits: Limits{}.withDefaults()}
	d1, d2 := c.load(s, "{ a }"), c.load(s, "{ a }")
	if d1.doc == nil || d1 != d2 || len(d1.parse) != 0 || len(d1.invalid) != 0 {
		t.Fatalf("a valid query is not parsed once and kept: %+v %+v", d1, d2)
	}
	if d := c.load(s, "{ a"); len(d.parse) == 0 {
		t.Error("a syntax error was not reported")
	}
	if d := c.load(s, "{ b }"); len(d.parse) != 0 || len(d.invalid) == 0 {
		t.Error("an invalid query was not reported invalid")
	}
	if d := c.load(s, "{ b }"); len(d.invalid) == 0 {
		t.Error("an invalid query was reported valid from the cache")
	}
	if d := c.load(s, "{ a "+strings.Repeat("a ", DefaultMaxTokens)+"}"); len(d.over) == 0 || d.doc != nil {
		t.Error("a document over the token limit was parsed")
	}
	for i := range DocCacheSize + 10 {
		c.load(s, fmt.Sprintf("{ x%d: a }", i))
	}
	if len(c.docs) != DocCacheSize || c.lru.Len() != DocCacheSize {
		t.Errorf("cache holds %d documents (%d in order); want at most %d", len(c.docs), c.lru.Len(), DocCacheSize)
	}
	if _, ok := c.docs["{ a }"]; ok {
		t.Error("the oldest document was not evicted")
	}
}

// TestDocCacheBytes bounds the cache by the bytes of its queries, least
// recently used out first, and keeps no document too large to be repeated.
func TestDocCacheBytes(t *testing.T) {
	t.Parallel()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { a: Int }"})
	c := docCache{limits: Limits{MaxTokens: 1 << 20}.withDefaults()}
	// Queries of 32 KB (under a sixteenth of the bytes): 64 fill the cache.
	query := func(i int) string {
		q := fmt.Sprintf("{ x%d: a ", i)
		return q + strings.Repeat(" ", 32<<10-len(q)-1) + "}"
	}
	first := c.load(s, query(0))
	for i := 1; i < 200; i++ {
		if i%10 == 0 {
			if c.load(s, query(0)) != first { // used again: kept
				t.Fatalf("query 0 was evicted while in use (after %d)", i)
			}
		}
		c.load(s, query(i))
		if c.bytes > DocCacheBytes {
			t.Fatalf("after %d queries the cache holds %d bytes, over %d", i+1, c.bytes, DocCacheBytes)
		}
	}
	if _, ok := c.docs[query(1)]; ok {
		t.Error("the least recently used query was not evicted")
	}
	total := 0
	for q := range c.docs {
		total += len(q)
	}
	if total != c.bytes || total < DocCacheBytes/2 {
		t.Errorf("the cache counts %d bytes, holds %d", c.bytes, total)
	}
	big := "{ a " + strings.Repeat(" ", DocCacheBytes/16) + "}"
	if d := c.load(s, big); d.doc == nil {
		t.Fatal("a large valid query did not parse")
	}
	if _, ok := c.docs[big]; ok {
		t.Error("a query over a sixteenth of the cache was kept")
	}
}
