package openapi

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
	"github.com/firedrill/firedrill/mocks/store"
)

// TestCorpusPutCreatesOnlyWhereDeclared walks every PUT on an item path of
// every corpus contract in stateful mode, on an empty store. Where the
// contract says the PUT creates (a 201, or "upsert", "create or update" in
// its words: Twilio Lookups' rate limits), the first PUT creates the record
// under the path's id and a second replaces it, both answering validly, and
// a GET reads it; elsewhere the PUT answers 404 and stores nothing. At least
// one real upsert must be found, or the proof proves nothing.
func TestCorpusPutCreatesOnlyWhereDeclared(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "openapi", "*")
	var (
		mu                   sync.Mutex
		upserts, replaceOnly []string
		failures             []string
	)
	t.Run("documents", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				c, err := corpusContract(f)
				if err != nil {
					return
				}
				m, err := NewHandler(c, WithStateful(true))
				if err != nil {
					t.Errorf("not served: %v", err)
					return
				}
				ops := map[string]reqgen.Op{}
				for _, op := range reqgen.Ops(c.Doc) {
					ops[op.Name()] = op
				}
				for _, name := range m.Store().Collections() {
					coll, _ := m.Store().Collection(name)
					put, ok := ops[coll.PutOp]
					if coll.PutOp == "" || !ok {
						continue
					}
					label := filepath.Base(f) + " " + coll.PutOp
					fails := putWalk(m, c, coll, put, ops)
					mu.Lock()
					if coll.PutCreates {
						upserts = append(upserts, label)
					} else {
						replaceOnly = append(replaceOnly, label)
					}
					failures = append(failures, fails...)
					mu.Unlock()
				}
			})
		}
	})
	sort.Strings(upserts)
	sort.Strings(failures)
	t.Logf("corpus: %d PUTs create what is absent (%s), %d only replace", len(upserts), strings.Join(upserts, ", "), len(replaceOnly))
	for _, f := range failures {
		t.Errorf("%s", f)
	}
	if len(upserts) == 0 {
		t.Error("no PUT of the corpus creates: the upsert proof ran on nothing")
	}
}

// putWalk sends coll's PUT to an empty store, twice when it creates, and
// reports what went wrong.
func putWalk(m *Mock, c *contracts.OpenAPI, coll store.Collection, put reqgen.Op, ops map[string]reqgen.Op) []string {
	v := contracts.NewValidator(c.Doc)
	base := "http://127.0.0.1" + m.BasePath()
	label := filepath.Base(c.Path) + " " + coll.PutOp
	var failures []string
	fail := func(format string, args ...any) {
		failures = append(failures, label+": "+fmt.Sprintf(format, args...))
	}
	call := func(op reqgen.Op) (*testRecorder, map[string]string, bool) {
		req, err := reqgen.Build(c.Doc, base, op, 7)
		if err != nil {
			fail("build %s: %v", op.Name(), err)
			return nil, nil, false
		}
		esc, _ := m.stripBase(req.URL.EscapedPath())
		_, params, _, _ := m.find(esc, op.Method)
		w := newRecorder()
		m.ServeHTTP(w, req)
		if w.code/100 != 2 {
			return w, params, true
		}
		rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
		if vs := v.ValidateResponse(context.Background(), req, rt, w.code, w.header, w.body); len(vs) > 0 {
			fail("%s answered %d, which breaks the contract: %s", op.Name(), w.code, vs[0])
		}
		return w, params, true
	}
	w, params, ok := call(put)
	if !ok {
		return failures
	}
	parent, id := coll.ParentValues(put.Template, params), params[coll.IDParam]
	_, getErr := m.Store().Get(coll.Name, parent, id)
	if !coll.PutCreates {
		if w.code != 404 || getErr == nil {
			fail("a PUT that only replaces answered %d for an absent record (stored: %v), want 404 and nothing stored", w.code, getErr == nil)
		}
		return failures
	}
	if w.code/100 != 2 || getErr != nil {
		fail("the first PUT answered %d %s and stored %v, want a create under %q", w.code, firstLine(string(w.body)), getErr == nil, id)
		return failures
	}
	if w, _, _ = call(put); w.code/100 != 2 {
		fail("the second PUT answered %d %s, want a replace", w.code, firstLine(string(w.body)))
	}
	if n := m.Store().Len(coll.Name); n != 1 {
		fail("%d records after two PUTs on one id, want 1", n)
	}
	if get, ok := ops[coll.GetOp]; ok && coll.GetOp != "" {
		if w, _, _ = call(get); w.code != 200 {
			fail("GET after the PUTs answered %d, want 200", w.code)
		}
	}
	return failures
}
