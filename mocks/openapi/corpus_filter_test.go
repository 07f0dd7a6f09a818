package openapi

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
)

// TestCorpusListFilters proves, over every list operation of every corpus
// contract that the stateful mock serves, that the query parameters the
// store interprets as filters filter: for each, records that differ in the
// property are put in (through the create operation where the contract has
// one that takes them, else the admin API), and the list asked for each
// value returns (a) only matching records, (b) all of them, across the
// contract's pages, (c) none for a value no record holds. Every declared
// parameter the store does not interpret must (d) not name a property of
// the record and be reported in the journal's Ignored. It fails on any
// operation that does not hold, and logs per contract how many were proven.
func TestCorpusListFilters(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "openapi", "*")
	var (
		mu       sync.Mutex
		lines    []string
		failures []string
		proven   int
	)
	t.Run("documents", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				r := proveContractFilters(t, f)
				mu.Lock()
				defer mu.Unlock()
				proven += r.proven
				failures = append(failures, r.failures...)
				if r.ops > 0 {
					lines = append(lines, r.String())
				}
			})
		}
	})
	sort.Strings(lines)
	for _, l := range lines {
		t.Log(l)
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Errorf("%s", f)
	}
	if proven == 0 {
		t.Error("no list operation of the corpus was proven to filter: the proof ran on nothing")
	}
}

// contractFilters is the proof's result for one contract.
type contractFilters struct {
	name                     string
	ops, proven              int // list operations with filters or unread parameters; those that hold
	filters, ignored         int // filters proven; unread parameters proven reported
	created, seeded, adjusts int // how the records went in
	failures                 []string
}

func (r contractFilters) String() string {
	return fmt.Sprintf("%-50s %3d/%-3d list operations proven (%d filters filter, %d unread parameters reported; records for %d filters created, %d seeded, %d set after create)",
		r.name, r.proven, r.ops, r.filters, r.ignored, r.created, r.seeded, r.adjusts)
}

// proveContractFilters serves one corpus contract statefully and proves
// each of its list operations.
func proveContractFilters(t *testing.T, path string) contractFilters {
	r := contractFilters{name: filepath.Base(path)}
	c, err := corpusContract(path)
	if err != nil {
		return r // not loadable by kin-openapi: the stateless proof reports it
	}
	m, err := NewHandler(c, WithStateful(true))
	if err != nil {
		t.Errorf("not served: %v", err)
		return r
	}
	ops := map[string]reqgen.Op{}
	for _, op := range reqgen.Ops(c.Doc) {
		ops[op.Name()] = op
	}
	for _, name := range m.Store().Collections() {
		coll, _ := m.Store().Collection(name)
		if coll.ListOp == "" || len(coll.List.Filters)+len(coll.List.Uninterpreted) == 0 {
			continue
		}
		r.ops++
		p, err := newFilterProof(m, m, c.Doc, coll, ops)
		if err != nil {
			r.failures = append(r.failures, fmt.Sprintf("%s %s: %v", r.name, coll.ListOp, err))
			continue
		}
		p.run()
		r.filters += p.proven
		r.ignored += p.ignored
		r.seeded += p.seeded
		r.adjusts += p.adjusted
		r.created += len(coll.List.Filters) - p.seeded
		if len(p.fails) == 0 {
			r.proven++
		}
		for _, f := range p.fails {
			r.failures = append(r.failures, r.name+" "+f)
		}
	}
	return r
}

// unfiltered is a mock that ignores filters silently: it drops every query
// parameter but those that page before the mock sees the request.
type unfiltered struct {
	m    *Mock
	keep map[string]bool
}

func (u unfiltered) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if !u.keep[k] {
			q.Del(k)
		}
	}
	r.URL.RawQuery = q.Encode()
	u.m.ServeHTTP(w, r)
}

// TestListFilterProofControls: the proof passes the stateful mock on
// testdata/filters.yaml (every kind of filter: equality, enum, bounds in
// brackets, since, a comma list of ids, a nested property) and fails a
// mock that drops the filters, for the reasons (a), (b), (c) and (d).
func TestListFilterProofControls(t *testing.T) {
	t.Parallel()
	c := loadContract(t, filepath.Join("testdata", "filters.yaml"))
	prove := func(wrap func(*Mock) http.Handler) *filterProof {
		m, err := NewHandler(c, WithStateful(true))
		if err != nil {
			t.Fatal(err)
		}
		ops := map[string]reqgen.Op{}
		for _, op := range reqgen.Ops(c.Doc) {
			ops[op.Name()] = op
		}
		coll, _ := m.Store().Collection("activities")
		p, err := newFilterProof(m, wrap(m), c.Doc, coll, ops)
		if err != nil {
			t.Fatal(err)
		}
		p.run()
		return p
	}
	good := prove(func(m *Mock) http.Handler { return m })
	if len(good.fails) > 0 || good.proven != 6 || good.ignored != 1 {
		t.Errorf("the mock: %d filters and %d unread parameters proven, want 6 and 1; problems:\n%s", good.proven, good.ignored, strings.Join(good.fails, "\n"))
	}
	broken := prove(func(m *Mock) http.Handler {
		return unfiltered{m: m, keep: map[string]bool{"limit": true, "starting_after": true}}
	})
	if broken.proven != 0 {
		t.Errorf("a mock that drops filters passed %d filter proofs, want 0", broken.proven)
	}
	all := strings.Join(broken.fails, "\n")
	for _, want := range []string{"(a) status=open", "(b) status=done", "(c) external_ref=fd-charlie", "(a) created[gte]", "(a) updated_since", "(a) ids=", "(a) owner.email", "(d) q="} {
		if !strings.Contains(all, want) {
			t.Errorf("the proof of a mock that drops filters does not report %q; it reports:\n%s", want, all)
		}
	}
}
