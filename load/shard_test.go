package load

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

func TestParseShard(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0/1": "0/1", "3/4": "3/4", " 1 / 2 ": "1/2", "1023/1024": "1023/1024",
		"4/4": "shard 4/4: the index counts from 0, so 0/4 to 3/4", "-1/4": "the index counts from 0",
		"0/0": "the count must be from 1 to 1024", "0/1025": "from 1 to 1024", "2": "want i/N", "a/b": "whole numbers"} {
		s, err := ParseShard(in)
		got := s.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("ParseShard(%q) = %q, want %q", in, got, want)
		}
	}
	if (Shard{}).String() != "0/1" || (Shard{}).Sharded() || !(Shard{1, 2}).Sharded() {
		t.Error("the zero Shard is not the whole run 0/1")
	}
	if err := WithShard(Shard{4, 4})(&runner{}); err == nil || !strings.Contains(err.Error(), "0/4 to 3/4") {
		t.Errorf("WithShard(4/4): %v", err)
	}
}

// simulateShard runs the first step's real pacer (segPacer) of shard s
// on a virtual clock and returns the times of its hits.
func simulateShard(t *testing.T, shape Shape, d time.Duration, s Shard) []time.Duration {
	t.Helper()
	e := &execution{r: &runner{shard: s.norm()}, plan: Plan{Shape: shape, Duration: d}, stop: make(chan struct{})}
	p := &segPacer{e: e, end: d, ended: make(chan struct{})}
	var at time.Duration
	var times []time.Duration
	for hits := uint64(0); ; hits++ {
		wait, stop := p.Pace(at, hits)
		if stop {
			return times
		}
		if wait < 0 || hits > 1e6 {
			t.Errorf("shard %s: wait %v at hit %d (%v): the schedule goes back or never ends", s, wait, hits, at)
			return times
		}
		at += wait
		times = append(times, at)
	}
}

// TestShardsPaceTheWholeSchedule: the hits of n shards, put together, are
// the one process's hits at the same times, for constant, ramp, staged
// and sine shapes; each shard sends its share.
func TestShardsPaceTheWholeSchedule(t *testing.T) {
	t.Parallel()
	stages, err := Stages(Stage{3 * time.Second, 200}, Stage{2 * time.Second, 200}, Stage{3 * time.Second, 30})
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string]Shape{"constant": Constant(137), "ramp": Ramp(300, 4*time.Second, 8*time.Second), "stages": stages,
		"sine": Sine(100, 60, 3*time.Second)} {
		d := 8 * time.Second
		one := simulateShard(t, shape, d, Shard{})
		for _, n := range []int{2, 3, 7} {
			var all []time.Duration
			for i := range n {
				ts := simulateShard(t, shape, d, Shard{i, n})
				if want := (Shard{i, n}).share(uint64(len(one))); uint64(len(ts)) != want {
					t.Errorf("%s: shard %d/%d sent %d hits, want its share %d", name, i, n, len(ts), want)
				}
				all = append(all, ts...)
			}
			slices.Sort(all)
			if !slices.Equal(all, one) {
				t.Errorf("%s: %d shards sent %d hits, one process %d, or at other times", name, n, len(all), len(one))
			}
		}
	}
}

// TestShardsSendWhatOneProcessWould runs a plan whole and in 2, 3 and 7
// shards against one server: with the same seed, the shards together send
// the same bodies (${seq}, ${rand}, ${uuid}) as the one process, each
// once.
func TestShardsSendWhatOneProcessWould(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.Header.Get("X-Run")] = append(got[r.Header.Get("X-Run")], string(b))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	at := time.Now().Add(300 * time.Millisecond).Truncate(time.Millisecond) // the start barrier
	run := func(label string, s Shard) *Report {
		rep, err := Run(context.Background(), Plan{
			Flow: Flow{Steps: []Step{{Name: "post", Method: "POST", URL: srv.URL, Header: map[string]string{"X-Run": label},
				Body: `{"seq":${seq},"rand":"${rand}","buyer":"${rand.8}","id":"${uuid}"}`}}},
			Shape: Constant(50), Duration: 2 * time.Second}, WithSeed(42), WithShard(s), WithStartAt(at))
		if err != nil {
			t.Error(err)
		}
		return rep
	}
	var wg sync.WaitGroup
	reps := map[string]*Report{}
	var rmu sync.Mutex
	for _, n := range []int{1, 2, 3, 7} {
		for i := range n {
			wg.Go(func() {
				rep := run(fmt.Sprint(n), Shard{i, n})
				rmu.Lock()
				reps[fmt.Sprintf("%d/%d", i, n)] = rep
				rmu.Unlock()
			})
		}
	}
	wg.Wait()
	one := slices.Sorted(slices.Values(got["1"]))
	if len(one) < 100 || len(slices.Compact(slices.Clone(one))) != len(one) {
		t.Fatalf("one process sent %d bodies (%d distinct), want about 100", len(one), len(slices.Compact(slices.Clone(one))))
	}
	for _, n := range []int{2, 3, 7} {
		all := slices.Sorted(slices.Values(got[fmt.Sprint(n)]))
		if !slices.Equal(all, one) {
			t.Errorf("%d shards sent %d bodies, one process %d; first difference near %q", n, len(all), len(one), firstDiff(all, one))
		}
		var sent, sched uint64
		for i := range n {
			r := reps[fmt.Sprintf("%d/%d", i, n)]
			if r == nil {
				continue
			}
			sent, sched = sent+r.Sent, sched+r.Scheduled
			if r.Target != 50 || r.Shard != (Shard{i, n}) {
				t.Errorf("shard %d/%d: target %g, shard %v; want the whole run's 50/s", i, n, r.Target, r.Shard)
			}
		}
		if sent != uint64(len(one)) || sched != reps["0/1"].Scheduled {
			t.Errorf("%d shards: sent %d, scheduled %d; one process %d, %d", n, sent, sched, len(one), reps["0/1"].Scheduled)
		}
		// Their run folders merge into the one process's counts.
		var dirs []string
		for i := range n {
			d := filepath.Join(t.TempDir(), fmt.Sprint(i))
			if r := reps[fmt.Sprintf("%d/%d", i, n)]; r != nil {
				must(t, r.WriteRunFiles(d, r.Shard))
				if !r.Start.Equal(at) {
					t.Errorf("shard %d/%d started at %v, want the barrier's %v", i, n, r.Start, at)
				}
			}
			dirs = append(dirs, d)
		}
		m, err := MergeRunDirs(dirs...)
		if err != nil || m.Requests.Requests != uint64(len(one)) || m.Sent != uint64(len(one)) || !m.Start.Equal(at) {
			t.Errorf("%d shards merged: %v, %+v", n, err, m)
		}
	}
	if _, err := Run(context.Background(), Plan{Flow: Flow{Steps: []Step{{Name: "x", URL: srv.URL}}}, Shape: Constant(1), Duration: time.Second},
		WithStartAt(time.Now().Add(-time.Minute))); err == nil || !strings.Contains(err.Error(), "passed 1m0") {
		t.Errorf("a start time a minute ago: %v", err)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return ""
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "1/1025", "x", "1/2/3", " 2 / 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseShard(in)
		if err != nil {
			return
		}
		if s.Index < 0 || s.Index >= s.Count || s.Count > MaxShards {
			t.Fatalf("ParseShard(%q) = %+v: out of range", in, s)
		}
		back, err := ParseShard(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseShard(%q) = %v; its String %q reads back as %v, %v", in, s, s.String(), back, err)
		}
	})
}
