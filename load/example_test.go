package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/firedrill/firedrill/load"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"o-1"}`)
			return
		}
		fmt.Fprint(w, `{"id":"o-1","status":"paid"}`)
	}))
	defer srv.Close()

	thresholds, _ := load.ParseThresholds("success >= 99%", "step:get p99 < 2s")
	rep, err := load.Run(context.Background(), load.Plan{
		Flow: load.Flow{Name: "order", Steps: []load.Step{
			{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: map[string]any{"ref": "${uuid}"},
				Expect: 201, Capture: map[string]string{"id": "$.id"}},
			{Name: "get", URL: srv.URL + "/orders/${id}", Expect: 200},
		}},
		Shape:      load.Constant(load.Target(10, 2)), // peak 10/s × 2
		Duration:   time.Second,
		Thresholds: thresholds,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	verdicts, pass := load.CheckAll(rep, thresholds)
	fmt.Println("steps:", len(rep.Steps), "every iteration ran both:", rep.Steps[0].Requests == rep.Steps[1].Requests)
	fmt.Println("passed:", pass, len(verdicts))
	// Output:
	// steps: 2 every iteration ran both: true
	// passed: true 2
}

func ExampleParseThreshold() {
	th, _ := load.ParseThreshold("p99 < 800ms")
	rep := &load.Report{Requests: load.Stats{Requests: 100, P99: 912 * time.Millisecond}}
	fmt.Println(th.Check(rep).Message)
	_, err := load.ParseThreshold("p99 < 8x0ms")
	fmt.Println(err)
	// Output:
	// p99 < 800ms: measured 912ms per request — failed
	// load: bad threshold "p99 < 8x0ms": column 7: "8x0ms" is not a duration such as 800ms or 1.5s
}

func ExampleMergeRunDirs() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	plan := load.Plan{Flow: load.Flow{Steps: []load.Step{{Name: "ping", URL: srv.URL + "/ping?n=${seq}"}}},
		Shape: load.Constant(20), Duration: time.Second}
	base, _ := os.MkdirTemp("", "firedrill-shards")
	defer os.RemoveAll(base)

	// Two processes, each one shard of the run (as `--shard 0/2` and
	// `--shard 1/2` would be), each writing its run folder.
	var dirs []string
	var wg sync.WaitGroup
	for i := range 2 {
		shard := load.Shard{Index: i, Count: 2}
		dir := filepath.Join(base, "shard-"+shard.String()[:1])
		dirs = append(dirs, dir)
		wg.Go(func() {
			rep, err := load.Run(context.Background(), plan, load.WithShard(shard), load.WithSeed(1))
			if err == nil {
				err = rep.WriteRunFiles(dir, shard)
			}
			if err != nil {
				fmt.Println(err)
			}
		})
	}
	wg.Wait()

	rep, err := load.MergeRunDirs(dirs...)
	if err != nil {
		fmt.Println(err)
		return
	}
	th, _ := load.ParseThreshold("rate >= 0.9 * target over any 1s")
	fmt.Println("target:", rep.Target, "requests:", rep.Requests.Requests >= 20, "passed:", th.Check(rep).Pass)
	_, err = load.MergeRunDirs(dirs[0])
	fmt.Println(err)
	// Output:
	// target: 20 requests: true passed: true
	// load: merge run folders: shards missing or repeated: shard 1/2 missing: merged 0/2
}
