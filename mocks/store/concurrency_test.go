package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/mocks/store"
)

const (
	workers   = 16
	perWorker = 200
)

// TestConcurrentCreates: no create is lost and no id is given twice.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				if _, err := s.Create("orders", nil, store.Record{"total": float64(w*perWorker + i)}); err != nil {
					errs <- err
					return
				}
				if i%20 == 0 { // readers run alongside the writers
					if _, _, err := s.List("orders", nil, store.PageRequest{Limit: 10}); err != nil {
						errs <- err
						return
					}
					if _, err := s.Snapshot("orders"); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := s.Len("orders"); n != workers*perWorker {
		t.Fatalf("len = %d, want %d", n, workers*perWorker)
	}
	snap, _ := s.Snapshot("orders")
	ids, totals := map[int64]bool{}, map[float64]bool{}
	for _, r := range snap {
		ids[r["id"].(int64)] = true
		totals[r["total"].(float64)] = true
	}
	if len(ids) != workers*perWorker || len(totals) != workers*perWorker {
		t.Fatalf("%d distinct ids and %d distinct records, want %d", len(ids), len(totals), workers*perWorker)
	}
	for id := range int64(workers * perWorker) {
		if !ids[id+1] {
			t.Fatalf("id %d missing from the sequence", id+1)
		}
	}
}

// TestConcurrentPatches: every goroutine patches its own field of one
// record; every last write is there.
func TestConcurrentPatches(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	if _, err := s.Create("orders", nil, store.Record{"id": 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				if _, err := s.Patch("orders", nil, "1", map[string]any{fmt.Sprint("g", w): float64(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rec, _ := s.Get("orders", nil, "1")
	for w := range workers {
		if v := rec[fmt.Sprint("g", w)]; v != float64(perWorker-1) {
			t.Errorf("field g%d = %v, want %d: a write was lost", w, v, perWorker-1)
		}
	}
}

// TestConcurrentConflicts: of several creates with the same id, exactly one wins.
func TestConcurrentConflicts(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	const ids = 100
	var mu sync.Mutex
	won, lost := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range ids {
				_, err := s.Create("customers.addresses", []string{"c"}, store.Record{"id": fmt.Sprint("a", k)})
				mu.Lock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, store.ErrConflict):
					lost++
				default:
					t.Error(err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != ids || lost != 7*ids {
		t.Fatalf("%d creates won and %d conflicted, want %d and %d", won, lost, ids, 7*ids)
	}
}

// TestConcurrentDeletes: creates and deletes across parents leave exact counts.
func TestConcurrentDeletes(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			parent := []string{fmt.Sprint("c", w%4)}
			for i := range perWorker {
				id := fmt.Sprint(w, "-", i)
				if _, err := s.Create("customers.addresses", parent, store.Record{"id": id}); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 1 {
					if err := s.Delete("customers.addresses", parent, id); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if n := s.Len("customers.addresses"); n != workers*perWorker/2 {
		t.Fatalf("len = %d, want %d", n, workers*perWorker/2)
	}
	for p := range 4 {
		_, page, _ := s.List("customers.addresses", []string{fmt.Sprint("c", p)}, store.PageRequest{})
		if page.Total != workers/4*perWorker/2 {
			t.Fatalf("parent c%d holds %d, want %d", p, page.Total, workers/4*perWorker/2)
		}
	}
}

// TestConcurrentUpserts: of concurrent upserts of one id, exactly one creates.
func TestConcurrentUpserts(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	var mu sync.Mutex
	created := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := range 50 {
				id := fmt.Sprint(k)
				_, c, err := s.Upsert("orders", nil, id, store.Record{"by": w})
				if err != nil {
					t.Error(err)
					return
				}
				if c {
					mu.Lock()
					created[id]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(created) != 50 || s.Len("orders") != 50 {
		t.Fatalf("%d ids created, %d records; want 50", len(created), s.Len("orders"))
	}
	for id, n := range created {
		if n != 1 {
			t.Fatalf("id %s created %d times", id, n)
		}
	}
}
