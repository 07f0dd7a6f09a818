package graphql

import (
	"fmt"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestDocCache(t *testing.T) {
	t.Parallel()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { a: Int }"})
	var c docCache
	d1, p1, v1 := c.load(s, "{ a }")
	d2, _, _ := c.load(s, "{ a }")
	if d1 == nil || d1 != d2 || len(p1) != 0 || len(v1) != 0 {
		t.Fatalf("a valid query is not parsed once and kept: %v %v %v %v", d1, d2, p1, v1)
	}
	if _, p, _ := c.load(s, "{ a"); len(p) == 0 {
		t.Error("a syntax error was not reported")
	}
	if _, p, v := c.load(s, "{ b }"); len(p) != 0 || len(v) == 0 {
		t.Error("an invalid query was not reported invalid")
	}
	if _, _, v := c.load(s, "{ b }"); len(v) == 0 {
		t.Error("an invalid query was reported valid from the cache")
	}
	for i := range DocCacheSize + 10 {
		c.load(s, fmt.Sprintf("{ x%d: a }", i))
	}
	if len(c.docs) != DocCacheSize || len(c.order) != DocCacheSize {
		t.Errorf("cache holds %d documents (%d in order); want at most %d", len(c.docs), len(c.order), DocCacheSize)
	}
	if _, ok := c.docs["{ a }"]; ok {
		t.Error("the oldest document was not evicted")
	}
}
