package ci

import (
	"context"
	"strconv"
	"sync"
	"testing"
)

// TestFeedHelpsWhenWorkersAreBusy: while every worker is stuck on a batch
// and the queue is full, the reader maps batches itself (as worker w.n);
// every batch is mapped once, whoever maps it, for a streamed source (whose
// buffers are recycled, emptied) and for one read whole.
func TestFeedHelpsWhenWorkersAreBusy(t *testing.T) {
	t.Parallel()
	const n = 40*batchSize + 17
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"id": float64(i)}
	}
	for _, src := range []Source{Static(recs), genSource{n: n}} {
		w := newWorkers(1)
		release := make(chan struct{})
		var once sync.Once
		var mu sync.Mutex
		seen := map[int]int{}
		helped := 0
		got, err := each(context.Background(), w, src, func(worker int, in batchIn) {
			if worker == w.n {
				helped++ // only the reader's goroutine
				once.Do(func() { close(release) })
			} else {
				<-release
			}
			mu.Lock()
			defer mu.Unlock()
			for i, r := range in.recs {
				if r == nil {
					t.Errorf("batch %d record %d: nil (a recycled buffer handed out unread?)", in.seq, i)
					return
				}
				want := strconv.Itoa(in.seq*batchSize + i)
				if id := strconv.FormatFloat(r["id"].(float64), 'f', -1, 64); id != want {
					t.Errorf("batch %d record %d: id %s, want %s", in.seq, i, id, want)
				}
			}
			seen[in.seq] += len(in.recs)
		})
		if err != nil || got != n {
			t.Fatalf("%T: read %d records, err %v", src, got, err)
		}
		total := 0
		for seq, c := range seen {
			if want := min(batchSize, n-seq*batchSize); c != want {
				t.Errorf("%T: batch %d mapped with %d records, want %d", src, seq, c, want)
			}
			total += c
		}
		if total != n || len(seen) != (n+batchSize-1)/batchSize || helped == 0 {
			t.Errorf("%T: %d records in %d batches, %d mapped by the reader", src, total, len(seen), helped)
		}
	}
}
