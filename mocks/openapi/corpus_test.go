package openapi

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
)

// TestCorpusEveryOperationAnswersValidly serves every OpenAPI document of the
// corpus of real vendor contracts and calls every operation with a valid
// request built from the contract; each answer must validate against the
// contract (kin-openapi's openapi3filter.ValidateResponse). Targets: every
// document kin-openapi loads is served, and at least 99.5% of the operations
// answer validly (all 737 do today). The share is logged; pointed at contracts the
// mock has never seen ($FIREDRILL_CORPUS) it measures the same bar there.
// Loading dominates the time (Stripe's 2 MB document), so documents load in
// parallel and every operation is called.
func TestCorpusEveryOperationAnswersValidly(t *testing.T) {
	t.Parallel()
	corpusRun(t)
}

// minValidShare is the share of a corpus's operations the mock must serve
// validly.
const minValidShare = 0.995

func corpusRun(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "openapi")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu                  sync.Mutex
		total, passed, docs int
		failures, lines     []string
	)
	start := time.Now()
	t.Run("documents", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				t0 := time.Now()
				c, err := corpusContract(f)
				if err != nil {
					t.Logf("not loadable by kin-openapi (skipped): %v", err)
					return
				}
				load := time.Since(t0)
				m, err := NewHandler(c)
				if err != nil {
					t.Errorf("loaded but not served: %v", err)
					return
				}
				n, ok, fails := callAll(m, c, reqgen.Ops(c.Doc))
				mu.Lock()
				defer mu.Unlock()
				docs, total, passed = docs+1, total+n, passed+ok
				failures = append(failures, fails...)
				lines = append(lines, fmt.Sprintf("%-55s %4d/%-4d operations answered validly (load %s, calls %s)",
					filepath.Base(f), ok, n, load.Round(time.Millisecond), time.Since(t0.Add(load)).Round(time.Millisecond)))
			})
		}
	})
	sort.Strings(lines)
	sort.Strings(failures)
	for _, l := range lines {
		t.Log(l)
	}
	for _, f := range failures {
		t.Logf("FAIL %s", f)
	}
	if total == 0 {
		t.Fatal("no operation was called")
	}
	share := float64(passed) / float64(total)
	t.Logf("corpus: %d documents served, %d/%d operations (%.2f%%) answered validly, in %s", docs, passed, total, 100*share, time.Since(start).Round(time.Millisecond))
	if share < minValidShare {
		t.Errorf("only %.2f%% of the operations answered validly, want >= %.1f%%", 100*share, 100*minValidShare)
	}
}

// callAll calls each operation through the mock and validates the answer.
func callAll(m *Mock, c *contracts.OpenAPI, ops []reqgen.Op) (n, ok int, failures []string) {
	v := contracts.NewValidator(c.Doc)
	name := filepath.Base(c.Path)
	for i, op := range ops {
		n++
		req, err := reqgen.Build(c.Doc, "http://127.0.0.1"+m.BasePath(), op, int64(i+1))
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s %s: build request: %v", name, op.Name(), err))
			continue
		}
		w := newRecorder()
		m.ServeHTTP(w, req)
		if w.code >= 400 {
			failures = append(failures, fmt.Sprintf("%s %s: refused %d: %s", name, op.Name(), w.code, firstLine(string(w.body))))
			continue
		}
		rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
		if vs := v.ValidateResponse(context.Background(), req, rt, w.code, w.header, w.body); len(vs) > 0 {
			failures = append(failures, fmt.Sprintf("%s %s: answer %d breaks the contract: %s", name, op.Name(), w.code, vs[0]))
			continue
		}
		ok++
	}
	return n, ok, failures
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// corpusContracts caches loaded corpus documents: loading dominates the
// corpus proofs, and both the stateless and the stateful one need them.
var corpusContracts sync.Map // path → *corpusLoad

type corpusLoad struct {
	once sync.Once
	c    *contracts.OpenAPI
	err  error
}

func corpusContract(path string) (*contracts.OpenAPI, error) {
	v, _ := corpusContracts.LoadOrStore(path, &corpusLoad{})
	l := v.(*corpusLoad)
	l.once.Do(func() { l.c, l.err = contracts.LoadOpenAPI(context.Background(), path) })
	return l.c, l.err
}
