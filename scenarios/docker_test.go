package scenarios

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios/dockertest"
)

// runIn runs a scenario file in the named runtime with a seed, and returns
// its outcome and run folder.
func runIn(t *testing.T, runtime, file string, seed int64) (*Outcome, string, error) {
	t.Helper()
	s, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s.Runtime = runtime
	dir := t.TempDir()
	opts := Options{Out: dir, Seed: seed}
	var progress strings.Builder
	opts.Progress = &progress
	if runtime == "docker" {
		opts.Runtime = &Docker{Binary: dockertest.Firedrill(t), RunID: fmt.Sprintf("test-%s-%d", strings.TrimSuffix(filepath.Base(file), ".yaml"), seed)}
	}
	out, err := Run(context.Background(), s, opts)
	t.Logf("%s, %s, seed %d:\n%s", filepath.Base(file), runtime, seed, progress.String())
	return out, dir, err
}

// gateVerdicts is each gate's status by kind and name.
func gateVerdicts(v ci.Verdict) map[string]string {
	m := map[string]string{}
	for _, g := range v.Gates {
		m[g.Kind+" "+g.Name] = g.Status()
	}
	return m
}

// TestRuntimesAgreeGateByGate is the runtimes' conformance suite: the same
// scenarios run embedded and in docker (mocks, Toxiproxy in containers on a
// private network, the load from this machine through published ports),
// and every gate gets the same verdict in both, over two seeds. The suite
// has its controls: mock-only passes every gate; mock-fault's load gate
// fails in both, for the mock's 503s (an HTTP fault switched through the
// mock's admin API) and the proxy's down toxic (Toxiproxy's API in its
// container), while its other gates pass.
func TestRuntimesAgreeGateByGate(t *testing.T) {
	dockertest.Need(t)
	cases := []struct {
		file   string
		failed []string // the gates that must fail, kind and name
		word   string   // what their reason names
	}{
		{file: "mock-only.yaml"},
		{file: "mock-fault.yaml", failed: []string{`load success >= 80%`}, word: "503"},
	}
	for _, c := range cases {
		file := filepath.Join("testdata", "e2e", c.file)
		for _, seed := range []int64{1, 2} {
			var verdicts [2]map[string]string
			for i, runtime := range []string{"embedded", "docker"} {
				out, dir, err := runIn(t, runtime, file, seed)
				if out == nil {
					t.Fatalf("%s in %s: no outcome: %v", c.file, runtime, err)
				}
				if code := ci.CodeOf(err); code != ci.ExitPass && code != ci.ExitFail {
					t.Fatalf("%s in %s: exit %d: %v", c.file, runtime, code, err)
				}
				verdicts[i] = gateVerdicts(out.Verdict)
				for _, g := range out.Verdict.Gates {
					want := "pass"
					for _, f := range c.failed {
						if g.Kind+" "+g.Name == f {
							want = "fail"
							if !strings.Contains(strings.Join(append([]string{g.Reason, g.Measured}, g.Detail...), " "), c.word) {
								t.Errorf("%s in %s, seed %d: gate %q fails without naming %q: %s %s %v", c.file, runtime, seed, f, c.word, g.Measured, g.Reason, g.Detail)
							}
						}
					}
					if g.Status() != want {
						t.Errorf("%s in %s, seed %d: gate %s %q: %s, want %s (%s: %s)", c.file, runtime, seed, g.Kind, g.Name, g.Status(), want, g.Measured, g.Reason)
					}
				}
				if runtime == "docker" {
					for _, log := range []string{"mock-shop.log", "toxiproxy.log", "journal-shop.jsonl"} {
						if fi, err := os.Stat(filepath.Join(dir, log)); err != nil || fi.Size() == 0 {
							t.Errorf("%s in docker: the run folder lacks %s: %v", c.file, log, err)
						}
					}
				}
			}
			if len(verdicts[0]) == 0 || len(verdicts[0]) != len(verdicts[1]) {
				t.Fatalf("%s, seed %d: gates embedded %v, docker %v", c.file, seed, verdicts[0], verdicts[1])
			}
			for gate, v := range verdicts[0] {
				if verdicts[1][gate] != v {
					t.Errorf("%s, seed %d: gate %s is %s embedded, %s in docker", c.file, seed, gate, v, verdicts[1][gate])
				}
			}
		}
	}
	assertNothingLeft(t, "test-")
}

// assertNothingLeft fails when a container or network of a run whose id
// starts with prefix is still there.
func assertNothingLeft(t *testing.T, prefix string) {
	t.Helper()
	for _, what := range [][]string{{"ps", "-a", "--format", `{{.Label "io.firedrill.run"}} {{.Names}}`}, {"network", "ls", "--format", `{{.Label "io.firedrill.run"}} {{.Name}}`}} {
		args := append(what, "--filter", "label=io.firedrill.run")
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.HasPrefix(line, prefix) {
				t.Errorf("left behind after the runs: docker %s: %s", what[0], line)
			}
		}
	}
}
