package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// firedrill load --shard: two shards started together send, between
// them, exactly the ${seq} one process sends, and firedrill merge judges
// their folders on the whole run: a windowed threshold passes on both
// shards' histograms together, and a threshold the run cannot meet fails.
func TestLoadShardsMergeToOneRun(t *testing.T) {
	var mu sync.Mutex
	var seqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seqs = append(seqs, r.URL.Query().Get("n"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	args := []string{"load", "--url", srv.URL + "/orders?n=${seq}", "--peak", "20/s", "--duration", "2s", "--seed", "5", "--progress-every", "1h"}
	taken := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(seqs)
		slices.Sort(out)
		seqs = seqs[:0]
		return out
	}
	if code, _, stderr := runCLI(t, context.Background(), args...); code != 0 {
		t.Fatalf("one process: exit %d\n%s", code, stderr)
	}
	one := taken()
	work := t.TempDir()
	start := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
	dirs := []string{filepath.Join(work, "0"), filepath.Join(work, "1")}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			codes[i], _, _ = runCLI(t, context.Background(), append(args, "--shard", fmt.Sprintf("%d/2", i), "--start-at", start, "--dir", dirs[i])...)
		})
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("shards exited %v", codes)
	}
	if both := taken(); !slices.Equal(one, both) || len(one) < 115 {
		t.Fatalf("the shards sent %d iterations, one process %d: %v vs %v", len(both), len(one), both, one)
	}
	code, stdout, stderr := runCLI(t, context.Background(), "merge", dirs[0], dirs[1], "--out", filepath.Join(work, "merged"),
		"--threshold", "p99 < 1s over any 1s", "--threshold", "rate >= 55/s")
	if code != 0 || !strings.Contains(stdout, "2 shards merged") {
		t.Fatalf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, context.Background(), "merge", dirs[0], dirs[1], "--out", filepath.Join(work, "merged2"), "--threshold", "rate >= 70/s")
	if code != 1 || !strings.Contains(stdout, "FAIL") {
		t.Fatalf("merge with a rate the run cannot meet: exit %d\n%s", code, stdout)
	}
	// One shard's folder alone is refused: never a verdict on half a run.
	code, stdout, _ = runCLI(t, context.Background(), "merge", dirs[0], "--out", filepath.Join(work, "half"), "--threshold", "p99 < 1s")
	if code != 3 || !strings.Contains(stdout, "NO VERDICT") || !strings.Contains(stdout, "1/2") {
		t.Fatalf("merge of one shard of two: exit %d\n%s", code, stdout)
	}
}

// The flags of a shard are checked before any load: a start without a
// shard, an index past the count, a bad time.
func TestLoadShardFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--start-at", "2026-12-07T03:00:00Z"}, "give --shard i/N too"},
		{[]string{"--shard", "2/2"}, "counts from 0"},
		{[]string{"--shard", "0/2", "--start-at", "tomorrow"}, "RFC 3339"},
		{[]string{"--shard", "0/2", "--barrier", "http://127.0.0.1:1"}, "give --dir too"},
	} {
		args := append([]string{"load", "--url", "http://127.0.0.1:1/x", "--peak", "1/s", "--duration", "1s"}, tc.args...)
		code, _, stderr := runCLI(t, context.Background(), args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
}
