package store_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/store"
)

// TestCorpusConformance infers the collections of every real contract and
// checks each one: its paths and operations exist, its list shape points at
// an array, and a record created in it gets an id its schema accepts, can be
// read back and is listed. It returns every problem at once.
func TestCorpusConformance(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "openapi", "*")
	styles := map[store.Style]int{}
	total := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc := loadDoc(t, f)
			colls := store.Infer(doc)
			total += len(colls)
			for _, c := range colls {
				styles[c.List.Style]++
			}
			if errs := checkCollections(doc, colls); len(errs) > 0 {
				t.Errorf("%d problems:\n%s", len(errs), strings.Join(errs, "\n"))
			}
		})
	}
	t.Logf("%d collections in %d contracts; list styles: %v", total, len(files), styles)
}

// checkCollections returns every way the collections disagree with doc or
// the store misbehaves on them.
func checkCollections(doc *openapi3.T, colls []store.Collection) []string {
	var errs []string
	fail := func(c store.Collection, f string, a ...any) {
		errs = append(errs, c.Name+": "+fmt.Sprintf(f, a...))
	}
	s := store.New(colls...)
	names := map[string]bool{}
	for _, c := range colls {
		if _, ok := s.Collection(c.Parent); c.Parent != "" && !ok {
			fail(c, "parent %q is no collection", c.Parent)
		}
	}
	for _, c := range colls {
		if c.Name == "" || names[c.Name] {
			fail(c, "empty or repeated name")
		}
		names[c.Name] = true
		checkPaths(doc, c, func(f string, a ...any) { fail(c, f, a...) })
		parent := make([]string, len(c.ParentParams))
		for i := range parent {
			parent[i] = "p"
		}
		rec, err := s.Create(c.Name, parent, store.Record{})
		if err != nil {
			fail(c, "create: %v", err)
			continue
		}
		id, ok := c.IDOf(rec)
		if !ok {
			fail(c, "created record has no %q", c.IDField)
			continue
		}
		if c.IDSchema != nil {
			var v any
			b, _ := json.Marshal(rec[c.IDField])
			_ = json.Unmarshal(b, &v)
			if err := c.IDSchema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				fail(c, "generated id %v breaks its schema: %v", v, err)
			}
		}
		if _, err := s.Get(c.Name, parent, id); err != nil {
			fail(c, "get %q: %v", id, err)
		}
		if c.ListOp == "" {
			continue
		}
		req, err := c.List.PageRequest(url.Values{})
		if err != nil {
			fail(c, "page request without parameters: %v", err)
			continue
		}
		items, page, err := s.List(c.Name, parent, req)
		if err != nil || len(items) != 1 || page.Total != 1 {
			fail(c, "list: %d items, total %d, %v", len(items), page.Total, err)
		}
		page.URL = "http://127.0.0.1/x"
		out := c.List.Render(items, page, nil)
		if c.List.Wrapped {
			m, _ := out.(map[string]any)
			if arr, _ := m[c.List.ItemsField].([]any); len(arr) != 1 {
				fail(c, "rendered wrapper %v lacks the record under %q", m, c.List.ItemsField)
			}
		} else if arr, _ := out.([]any); len(arr) != 1 {
			fail(c, "rendered bare list %v", out)
		}
	}
	return errs
}

// checkPaths checks that a collection's templates and operations are the
// contract's, and that its list shape and pagination name real things.
func checkPaths(doc *openapi3.T, c store.Collection, fail func(string, ...any)) {
	ops := map[string]bool{}
	for _, p := range []string{c.ListPath, c.ItemPath} {
		if p == "" {
			continue
		}
		pi := doc.Paths.Value(p)
		if pi == nil {
			fail("path %q not in the contract", p)
			continue
		}
		for method, op := range pi.Operations() {
			ops[op.OperationID] = true
			ops[method+" "+p] = true
		}
	}
	if c.ListPath == "" && c.ItemPath == "" {
		fail("neither list nor item path")
	}
	if c.ItemPath != "" && !strings.HasSuffix(c.ItemPath, "{"+c.IDParam+"}") {
		fail("item path %q does not end in {%s}", c.ItemPath, c.IDParam)
	}
	for _, op := range []string{c.CreateOp, c.ListOp, c.GetOp, c.PutOp, c.PatchOp, c.UpdateOp, c.DeleteOp} {
		if op != "" && !ops[op] {
			fail("operation %q not on its paths", op)
		}
	}
	if c.ListOp == "" {
		return
	}
	if c.List.Schema == nil {
		fail("list operation without list schema")
		return
	}
	if c.List.Wrapped {
		ref := c.List.Schema.Properties[c.List.ItemsField]
		if ref == nil {
			for _, part := range c.List.Schema.AllOf {
				if part.Value != nil && part.Value.Properties[c.List.ItemsField] != nil {
					ref = part.Value.Properties[c.List.ItemsField]
				}
			}
		}
		if ref == nil || ref.Value == nil || !ref.Value.Type.Includes("array") {
			fail("items field %q is not an array of the wrapper", c.List.ItemsField)
		}
	}
	declared := map[string]bool{}
	lp := doc.Paths.Value(c.ListPath)
	for _, ps := range []openapi3.Parameters{lp.Parameters, lp.Get.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == "query" {
				declared[p.Value.Name] = true
			}
		}
	}
	var missing []string
	for _, p := range []string{c.List.LimitParam, c.List.OffsetParam, c.List.PageParam, c.List.CursorParam, c.List.BeforeParam} {
		if p != "" && !declared[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		fail("pagination parameters %v not declared on %s", missing, c.ListPath)
	}
}
