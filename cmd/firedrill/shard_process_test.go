package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// shardScenario is a scenario whose load goes to the shop's mock: every
// order carries its ${seq} and a seeded ${rand.N}, so the journals say
// which requests a run made. fault adds a chaos section.
func shardScenario(t *testing.T, fault, gates string) string {
	t.Helper()
	contract, err := filepath.Abs("../../examples/ordersync/contracts/shop.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`name: sharded orders
seed: 42
systems:
  shop:
    contract: %s
    mock: {stateful: true}
load:
  flow:
    - name: place order
      method: POST
      url: "${shop.url}/orders"
      headers: {X-Shop-Key: shpat_demo}
      body:
        number: 1
        customer: {email: "buyer-${seq}-r${rand.100000}@example.com", first_name: Ada, last_name: Lovelace}
        total_price: "49.90"
        currency: EUR
        line_items: [{sku: TEA-01, quantity: 2, price: "24.95"}]
      expect: 201
  peak: 30/s
  multiplier: 3
  duration: 3s
%s
gates:
  load: [%s]
  contract: {invalid_requests: 0}
`, contract, fault, gates)
	path := filepath.Join(t.TempDir(), "sharded.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runFiredrill runs the binary to its end and returns its exit code and
// output.
func runFiredrill(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return 0, string(out)
}

// readSummary reads a run folder's summary.json.
func readSummary(t *testing.T, dir string) ci.Report {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ci.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// passingGates are the load gates a correct run passes.
const passingGates = `"success >= 99%", "p99 < 2s", "rate >= 0.9 * target", "p99 < 2s over any 2s"`

var orderEmail = regexp.MustCompile(`buyer-\d+-r\d+@example\.com`)

// ordersSent lists the buyers' emails of the orders the shop's mock
// received in the run folders, sorted, each once per order.
func ordersSent(t *testing.T, dirs ...string) []string {
	t.Helper()
	var emails []string
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "journal-shop.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var e struct {
				Method string `json:"method"`
				Body   string `json:"body"`
			}
			if json.Unmarshal([]byte(line), &e) != nil || e.Method != "POST" {
				continue
			}
			if m := orderEmail.FindString(e.Body); m != "" {
				emails = append(emails, m)
			}
		}
	}
	slices.Sort(emails)
	return emails
}

// gateStatuses lists "kind name: status" for every gate of a report.
func gateList(r ci.Report) []string {
	var out []string
	for _, g := range r.Gates {
		out = append(out, g.Kind+" "+g.Name+": "+g.Status())
	}
	return out
}

func requestsOf(r ci.Report) uint64 {
	if len(r.Latency) == 0 {
		return 0
	}
	return r.Latency[0].Requests
}

// compareWithOneProcess checks that a merged run and one process at the
// same total rate reach the same verdict, gate by gate, on the same
// requests.
func compareWithOneProcess(t *testing.T, single string, merged string, shards []string, wantCode, singleCode, mergedCode int) {
	t.Helper()
	if singleCode != wantCode || mergedCode != wantCode {
		t.Fatalf("exit codes: one process %d, merged %d, want %d", singleCode, mergedCode, wantCode)
	}
	one, all := readSummary(t, single), readSummary(t, merged)
	if a, b := gateList(one), gateList(all); !slices.Equal(a, b) {
		t.Fatalf("verdicts differ:\none process %q\nmerged      %q", a, b)
	}
	if a, b := requestsOf(one), requestsOf(all); a != b || a < 250 {
		t.Fatalf("requests: one process %d, merged %d (want equal, 270)", a, b)
	}
	// The merged percentiles are those of every shard's raw results put
	// together, within the histograms' precision (3 significant digits).
	var files []string
	for _, dir := range shards {
		files = append(files, filepath.Join(dir, "results.bin"))
	}
	raw, err := load.Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	row := all.Latency[0]
	for _, q := range []struct {
		name        string
		merged, raw time.Duration
	}{{"p50", row.P50, raw.Requests.P50}, {"p90", row.P90, raw.Requests.P90}, {"p99", row.P99, raw.Requests.P99}, {"max", row.Max, raw.Requests.Max}} {
		if d := q.merged - q.raw; d < -q.raw/1000-time.Microsecond || d > q.raw/1000+time.Microsecond {
			t.Errorf("%s: merged %s, every shard's raw results %s: more than the histograms' 0.1%%", q.name, q.merged, q.raw)
		}
	}
	if row.Requests != raw.Requests.Requests {
		t.Errorf("requests: merged %d, raw results %d", row.Requests, raw.Requests.Requests)
	}
	for _, dir := range shards {
		for _, g := range readSummary(t, dir).Gates {
			if g.Kind == ci.KindLoad && g.Status() != "deferred" {
				t.Errorf("%s: a shard judged the whole run's load gate %q alone: %s", dir, g.Name, g.Status())
			}
		}
	}
	if a, b := ordersSent(t, single), ordersSent(t, shards...); !slices.Equal(a, b) {
		t.Fatalf("the shards did not send the orders one process sent: %d vs %d\nfirst of one process %q\nfirst of the shards %q", len(a), len(b), a[:min(5, len(a))], b[:min(5, len(b))])
	}
}

// N local shard processes, merged, reach the verdict of one process at the
// same total rate, having sent the same requests: with a start time, and
// through the coordinator (the Kubernetes path); with a fault that fails
// the success gate, both fail it.
func TestShardsMergeToTheVerdictOfOneProcess(t *testing.T) {
	t.Parallel() // processes and waits: other tests run meanwhile
	if testing.Short() {
		t.Skip("starts shard processes for seconds each")
	}
	bin := buildFiredrill(t)
	const n = 3
	for _, tc := range []struct {
		name    string
		fault   string
		gates   string
		want    int
		barrier bool
	}{
		{name: "correct, through the coordinator", want: 0, barrier: true},
		{name: "slow answers fail the p99 gate, with a start time", want: 1,
			fault: "chaos:\n  - {at: 0s, for: 3s, system: shop, fault: slow, delay: 300ms, rate: 0.2}",
			gates: `"p99 < 200ms", "p99 < 200ms over any 2s"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gates == "" {
				tc.gates = passingGates
			}
			sc := shardScenario(t, tc.fault, tc.gates)
			work := t.TempDir()
			single := filepath.Join(work, "single")
			singleCode, out := runFiredrill(t, bin, "run", sc, "--out", single)
			t.Logf("one process:\n%s", lastLines(out, 8))

			shards := make([]string, n)
			codes := make([]int, n)
			outs := make([]string, n)
			var coord *exec.Cmd
			var coordOut strings.Builder
			merged := filepath.Join(work, "merged")
			args := []string{}
			if tc.barrier {
				port := freePort(t)
				coord = exec.Command(bin, "merge", "--serve", "127.0.0.1:"+port, "--shards", fmt.Sprint(n), "--out", merged, "--timeout", "60s", "--lead", "500ms")
				coord.Stdout, coord.Stderr = &coordOut, &coordOut
				if err := coord.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = coord.Process.Kill() })
				args = append(args, "--barrier", "http://127.0.0.1:"+port)
			} else {
				args = append(args, "--start-at", time.Now().Add(3*time.Second).UTC().Format(time.RFC3339Nano))
			}
			var wg sync.WaitGroup
			for i := range n {
				shards[i] = filepath.Join(work, fmt.Sprintf("shard-%d", i))
				wg.Go(func() {
					codes[i], outs[i] = runFiredrill(t, bin, append([]string{"run", sc, "--shard", fmt.Sprintf("%d/%d", i, n), "--out", shards[i]}, args...)...)
				})
			}
			wg.Wait()
			for i := range n {
				t.Logf("shard %d/%d exit %d:\n%s", i, n, codes[i], lastLines(outs[i], 6))
			}
			mergedCode := 0
			if tc.barrier {
				err := coord.Wait()
				if ee, ok := err.(*exec.ExitError); ok {
					mergedCode = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				t.Logf("coordinator:\n%s", lastLines(coordOut.String(), 12))
			} else {
				var out string
				mergedCode, out = runFiredrill(t, bin, append(append([]string{"merge"}, shards...), "--out", merged)...)
				t.Logf("merge:\n%s", lastLines(out, 12))
			}
			compareWithOneProcess(t, single, merged, shards, tc.want, singleCode, mergedCode)
		})
	}
}

// A shard that dies makes the merge fail loudly, naming it: the
// coordinator after its timeout, a merge of the folders at once.
func TestMergeNeverPassesOnPartOfTheShards(t *testing.T) {
	t.Parallel() // mostly waiting for the coordinator's timeout
	if testing.Short() {
		t.Skip("starts shard processes for seconds each")
	}
	bin := buildFiredrill(t)
	sc := shardScenario(t, "", passingGates)
	work := t.TempDir()
	port := freePort(t)
	coord, coordOut, _ := startProcess(t, bin, "merge", "--serve", "127.0.0.1:"+port, "--shards", "3", "--out", filepath.Join(work, "merged"), "--timeout", "20s", "--lead", "500ms")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			codes[i], _ = runFiredrill(t, bin, "run", sc, "--shard", fmt.Sprintf("%d/3", i), "--out", filepath.Join(work, fmt.Sprintf("shard-%d", i)), "--barrier", "http://127.0.0.1:"+port)
		})
	}
	doomed, _, doomedErr := startProcess(t, bin, "run", sc, "--shard", "2/3", "--out", filepath.Join(work, "shard-2"), "--barrier", "http://127.0.0.1:"+port)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(doomedErr.String(), "starts at") {
		if time.Now().After(deadline) {
			t.Fatalf("shard 2/3 never passed the barrier:\n%s", doomedErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // in the attack
	_ = doomed.Process.Signal(syscall.SIGKILL)
	_ = doomed.Wait()
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("the surviving shards exited %v, want 0 (they passed on their own)", codes)
	}
	var stdout strings.Builder
	for coordOut.Scan() {
		stdout.WriteString(coordOut.Text() + "\n")
	}
	if code := waitExit(t, coord); code != int(ci.ExitSetup) {
		t.Fatalf("coordinator exit %d, want 3:\n%s", code, stdout.String())
	}
	for _, want := range []string{"NO VERDICT", "1 of 3 shards missing", "shard 2/3 joined at", "never sent its results"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("coordinator said:\n%s\nwant %q", stdout.String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "merged", "summary.json")); !os.IsNotExist(err) {
		t.Errorf("the coordinator wrote a verdict on part of the run: %v", err)
	}
	// The folders of two shards of three: refused, naming the missing one.
	code, out := runFiredrill(t, bin, "merge", filepath.Join(work, "merged", "shard-0"), filepath.Join(work, "merged", "shard-1"), "--out", filepath.Join(work, "partial"))
	if code != int(ci.ExitSetup) || !strings.Contains(out, "2/3") {
		t.Fatalf("merge of two shards of three: exit %d\n%s", code, out)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
