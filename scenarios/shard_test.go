package scenarios

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

func newTestCoordinator(t *testing.T, n int) (*Coordinator, string) {
	t.Helper()
	c, err := NewCoordinator(n, t.TempDir(), 50*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv.URL
}

// Every shard gets the one start, and only once all have joined.
func TestBarrierStartsEveryShardTogether(t *testing.T) {
	const n = 4
	_, url := newTestCoordinator(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	starts := make([]time.Time, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n - 1 {
		wg.Go(func() { starts[i], errs[i] = JoinBarrier(ctx, url, load.Shard{Index: i, Count: n}, "sha256:x", 7) })
	}
	// Three joined: nobody may start yet.
	time.Sleep(200 * time.Millisecond)
	for i := range n - 1 {
		if !starts[i].IsZero() || errs[i] != nil {
			t.Fatalf("shard %d/%d left the barrier before every shard joined: %v %v", i, n, starts[i], errs[i])
		}
	}
	joinedLast := time.Now()
	starts[n-1], errs[n-1] = JoinBarrier(ctx, url, load.Shard{Index: n - 1, Count: n}, "sha256:x", 7)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("shard %d: %v", i, errs[i])
		}
		if !starts[i].Equal(starts[0]) {
			t.Fatalf("shard %d starts at %s, shard 0 at %s", i, starts[i], starts[0])
		}
	}
	if starts[0].Before(joinedLast) {
		t.Fatalf("start %s is before the last join %s", starts[0], joinedLast)
	}
	// A shard that joins again (a dropped connection) gets the same start.
	again, err := JoinBarrier(ctx, url, load.Shard{Index: 1, Count: n}, "sha256:x", 7)
	if err != nil || !again.Equal(starts[0]) {
		t.Fatalf("rejoin: %s %v, want %s", again, err, starts[0])
	}
}

// Shards that would not add up to one run are refused at the barrier.
func TestBarrierRefusesShardsOfAnotherRun(t *testing.T) {
	_, url := newTestCoordinator(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _, _ = JoinBarrier(ctx, url, load.Shard{Index: 0, Count: 3}, "sha256:a", 7) }()
	time.Sleep(100 * time.Millisecond)
	for _, tc := range []struct {
		shard  load.Shard
		digest string
		seed   int64
		want   string
	}{
		{load.Shard{Index: 1, Count: 3}, "sha256:b", 7, "runs scenario sha256:b"},
		{load.Shard{Index: 1, Count: 3}, "sha256:a", 8, "has seed 8"},
		{load.Shard{Index: 1, Count: 4}, "sha256:a", 7, "this run has 3 shards"},
	} {
		_, err := JoinBarrier(ctx, url, tc.shard, tc.digest, tc.seed)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("join %s %s seed %d: %v, want %q", tc.shard, tc.digest, tc.seed, err, tc.want)
		}
	}
}

// A coordinator not yet up (its pod starts after the shards') is waited
// for; one that never answers ends the wait at the barrier timeout.
func TestBarrierWaitsForTheCoordinator(t *testing.T) {
	ln := httptest.NewUnstartedServer(nil)
	url := "http://" + ln.Listener.Addr().String()
	c, err := NewCoordinator(1, t.TempDir(), 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln.Config.Handler = c
	time.AfterFunc(300*time.Millisecond, ln.Start)
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := JoinBarrier(ctx, url, load.Shard{Index: 0, Count: 1}, "d", 1); err != nil {
		t.Fatalf("join once the coordinator is up: %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := JoinBarrier(short, "http://127.0.0.1:1", load.Shard{Index: 0, Count: 1}, "d", 1); err == nil || !strings.Contains(err.Error(), "waited for the others") {
		t.Fatalf("unreachable coordinator: %v", err)
	}
}

func writeShardFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The coordinator collects every shard's files; Wait names the shards
// that never sent theirs, and whether they had joined.
func TestCoordinatorCollectsAndNamesTheMissing(t *testing.T) {
	c, url := newTestCoordinator(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { _, _ = JoinBarrier(ctx, url, load.Shard{Index: i, Count: 3}, "d", 1) })
	}
	time.Sleep(100 * time.Millisecond)
	go func() { _, _ = JoinBarrier(ctx, url, load.Shard{Index: 2, Count: 3}, "d", 1) }()
	wg.Wait()
	dir := writeShardFolder(t, map[string]string{load.HistogramsFile: "#[hlog]\n", load.SummaryFile: "{}", "results.bin": "not sent"})
	if err := UploadShard(ctx, url, load.Shard{Index: 0, Count: 3}, dir); err != nil {
		t.Fatal(err)
	}
	if err := UploadShard(ctx, url, load.Shard{Index: 0, Count: 3}, dir); err == nil || !strings.Contains(err.Error(), "already sent") {
		t.Fatalf("second upload of shard 0: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(c.out, "shard-0", load.HistogramsFile))
	if err != nil || string(got) != "#[hlog]\n" {
		t.Fatalf("shard 0's histograms: %q %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(c.out, "shard-0", "results.bin")); !os.IsNotExist(err) {
		t.Fatalf("results.bin was sent: %v", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer wcancel()
	_, err = c.Wait(wctx)
	if err == nil {
		t.Fatal("Wait returned with two shards missing")
	}
	for _, want := range []string{"2 of 3 shards missing", "shard 1/3 joined at", "shard 2/3 joined at", "never sent its results"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Wait: %v\nwant %q", err, want)
		}
	}
	for i := 1; i < 3; i++ {
		if err := UploadShard(ctx, url, load.Shard{Index: i, Count: 3}, dir); err != nil {
			t.Fatal(err)
		}
	}
	dirs, err := c.Wait(ctx)
	if err != nil || len(dirs) != 3 || filepath.Base(dirs[2]) != "shard-2" {
		t.Fatalf("Wait: %v %v", dirs, err)
	}
}

// A shard that stops before the start (its set-up failed) sends its
// folder: the shards still at the barrier are told, and do not start.
func TestCoordinatorStopsTheOthersWhenAShardFailsToSetUp(t *testing.T) {
	c, url := newTestCoordinator(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := JoinBarrier(ctx, url, load.Shard{Index: 0, Count: 2}, "d", 1)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	var summary bytes.Buffer
	if err := ci.WriteJSON(&summary, ci.Report{Scenario: "s", Stopped: &ci.Stopped{Code: ci.ExitSetup, Cause: "the service never got healthy"}}); err != nil {
		t.Fatal(err)
	}
	dir := writeShardFolder(t, map[string]string{"summary.json": summary.String()})
	if err := UploadShard(ctx, url, load.Shard{Index: 1, Count: 2}, dir); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	if err == nil || !strings.Contains(err.Error(), "shard 1/2 stopped before the start: the service never got healthy") {
		t.Fatalf("shard 0 at the barrier: %v", err)
	}
	if s := c.status(); s.Refusal == "" || !s.Start.IsZero() {
		t.Fatalf("status: %+v", s)
	}
}

// An upload holding anything but a shard's files is refused whole.
func TestCoordinatorRefusesStrangeUploads(t *testing.T) {
	c, url := newTestCoordinator(t, 1)
	for name, body := range map[string][]byte{
		"not gzip":    []byte("hello"),
		"other entry": tarGz(t, map[string]string{"../escape": "x"}),
		"results.bin": tarGz(t, map[string]string{"results.bin": "x"}),
	} {
		req, _ := http.NewRequest(http.MethodPut, url+"/shards/0?of=1", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, resp.Status)
		}
	}
	if entries, _ := os.ReadDir(c.out); len(entries) != 0 {
		t.Fatalf("refused uploads left %v", entries)
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// A start time too far ahead or already past is refused: the shards
// would not start together.
func TestWaitUntilRefusesAStartThatCannotLineUp(t *testing.T) {
	ctx := context.Background()
	if err := WaitUntil(ctx, time.Now().Add(2*time.Hour)); err == nil {
		t.Error("a start two hours away was accepted")
	}
	if err := WaitUntil(ctx, time.Now().Add(-5*time.Second)); err == nil || !strings.Contains(err.Error(), "would not start together") {
		t.Errorf("a start 5 s past: %v", err)
	}
	begin := time.Now()
	if err := WaitUntil(ctx, begin.Add(150*time.Millisecond)); err != nil || time.Since(begin) < 150*time.Millisecond {
		t.Errorf("WaitUntil returned after %s: %v", time.Since(begin), err)
	}
}

// A sharded run without a seed every shard shares, or without load, is
// refused before anything starts.
func TestShardedRunNeedsASeedAndALoad(t *testing.T) {
	s := &Scenario{Name: "x", Load: &Load{}}
	r := &run{s: s, o: Options{Shard: load.Shard{Index: 0, Count: 2}}}
	if err := r.checkShard(); err == nil || !strings.Contains(err.Error(), "needs a seed every shard shares") {
		t.Errorf("no seed: %v", err)
	}
	r.o.Seed = 7
	if err := r.checkShard(); err != nil {
		t.Errorf("seeded: %v", err)
	}
	r.o.Shard = load.Shard{Index: 2, Count: 2}
	if err := r.checkShard(); err == nil || !strings.Contains(err.Error(), "counts from 0") {
		t.Errorf("shard 2/2: %v", err)
	}
	r.o.Shard = load.Shard{Index: 0, Count: 2}
	r.o.Barrier, r.o.StartAt = "http://x", time.Now()
	if err := r.checkShard(); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("barrier and start: %v", err)
	}
	r.s.Load = nil
	r.o.StartAt = time.Time{}
	if err := r.checkShard(); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Errorf("no load: %v", err)
	}
}
