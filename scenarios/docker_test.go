package scenarios

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	for _, what := range [][]string{
		{"ps", "-a", "--format", `{{.Label "io.firedrill.run"}} {{.Names}}`},
		{"network", "ls", "--format", `{{.Label "io.firedrill.run"}} {{.Name}}`},
		{"image", "ls", "--format", `{{.Repository}}:{{.Tag}}`},
	} {
		args := append(what, "--filter", "label=io.firedrill.run")
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if what[0] == "image" {
				// An image built for a run is tagged with the run's id.
				if _, tag, _ := strings.Cut(line, ":"); strings.HasPrefix(tag, prefix) {
					t.Errorf("left behind after the runs: image %s", line)
				}
				continue
			}
			if strings.HasPrefix(line, prefix) {
				t.Errorf("left behind after the runs: docker %s: %s", what[0], line)
			}
		}
	}
}

// tinyScenario writes a scenario that runs the tiny service's image in
// docker with the given extra lines under its service, and a load of
// seconds against it.
func tinyScenario(t *testing.T, image, service string, seconds int) string {
	t.Helper()
	if image != "" {
		image = "image: " + image
	}
	doc := fmt.Sprintf(`name: tiny service in docker
seed: 1
runtime: docker
systems:
  sync:
    service:
      %s
      env: {TINY_ADDR: "0.0.0.0:${sync.port}"}
      health: /healthz
%s
load:
  flow:
    - {name: sync, url: "${sync.url}/sync", expect: 200}
  peak: 20/s
  multiplier: 1
  duration: %ds
gates:
  load: ["success >= 99%%"]
`, image, service, seconds)
	file := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// dockerRun runs file in docker with run id id.
func dockerRun(ctx context.Context, t *testing.T, file, id string) (*Outcome, error) {
	t.Helper()
	s, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	out, err := Run(ctx, s, Options{Out: t.TempDir(), Progress: &progress, Runtime: &Docker{Binary: dockertest.Firedrill(t), RunID: id}})
	t.Logf("%s:\n%s", id, progress.String())
	return out, err
}

// TestDockerServiceWaitsAndBounds: the service's container gets the memory
// and CPUs its resources: name, the run waits for its wait_log: line as
// well as its health, and a line that never comes fails the start within
// start_timeout (exit 3, naming the service and what it waited for), with
// nothing left behind on either path.
func TestDockerServiceWaitsAndBounds(t *testing.T) {
	dockertest.Need(t)
	image := tinyImage(t)
	dockerfile, err := filepath.Abs(filepath.Join("testdata", "tinyservice", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Built for the run from its Dockerfile (the binary tinyImage built is
	// in its context), and removed after it.
	file := tinyScenario(t, "", `      build: `+dockerfile+`
      wait_log: "tinyservice: serving on"
      resources: {memory: 64Mi, cpus: 0.5}`, 3)
	type bounds struct {
		seen        bool
		memory, cpu string
	}
	got := make(chan bounds, 1)
	go func() {
		// While the run is up: the service container's bounds.
		for range 200 {
			out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.firedrill.run=test-bounds", "--filter", "label=io.firedrill.kind=service").Output()
			if id := strings.TrimSpace(string(out)); id != "" {
				b, _ := exec.Command("docker", "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", id).Output()
				mem, cpu, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
				got <- bounds{true, mem, cpu}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		got <- bounds{}
	}()
	out, err := dockerRun(context.Background(), t, file, "test-bounds")
	if err != nil || !out.Verdict.Passed {
		t.Fatalf("the tiny service in docker: %v", err)
	}
	if b := <-got; !b.seen || b.memory != "67108864" || b.cpu != "500000000" {
		t.Errorf("the service container's bounds: %+v, want memory 67108864 and 500000000 nano-CPUs", b)
	}

	// No health path: the run waits for the service's port.
	noHealth := tinyScenario(t, image, "", 1)
	data, err := os.ReadFile(noHealth)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noHealth, []byte(strings.Replace(string(data), "      health: /healthz\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := dockerRun(context.Background(), t, noHealth, "test-port-wait"); err != nil || !out.Verdict.Passed {
		t.Errorf("the tiny service without a health path, waited for on its port: %v", err)
	}

	file = tinyScenario(t, image, `      wait_log: "a line it never prints"
      start_timeout: 3s`, 1)
	start := time.Now()
	_, err = dockerRun(context.Background(), t, file, "test-never-ready")
	if code := ci.CodeOf(err); code != ci.ExitSetup || !strings.Contains(fmt.Sprint(err), `service "sync"`) {
		t.Errorf("a service that never prints its line: exit %d, %v; want 3 naming the service", code, err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the failed start took %v: its start_timeout is 3s", took)
	}
	assertNothingLeft(t, "test-bounds")
	assertNothingLeft(t, "test-port-wait")
	assertNothingLeft(t, "test-never-ready")
}

// TestDockerInterruptedRunLeavesNothing cancels a docker run in the middle of
// its attack, as Ctrl-C does: the run exits 130 and down removes every
// container and the network of the run.
func TestDockerInterruptedRunLeavesNothing(t *testing.T) {
	dockertest.Need(t)
	file := tinyScenario(t, tinyImage(t), "", 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for range 600 {
			out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.firedrill.run=test-interrupted", "--filter", "label=io.firedrill.kind=service").Output()
			if strings.TrimSpace(string(out)) != "" {
				time.Sleep(2 * time.Second) // into the attack
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	_, err := dockerRun(ctx, t, file, "test-interrupted")
	if code := ci.CodeOf(err); code != ci.ExitInterrupted {
		t.Errorf("an interrupted docker run: exit %d (%v), want 130", code, err)
	}
	assertNothingLeft(t, "test-interrupted")
}

// TestParseBytes reads memory the ways Kubernetes and Docker write it.
func TestParseBytes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"64Mi": 64 << 20, "1Gi": 1 << 30, "256MiB": 256 << 20, "512m": 512 << 20, "1g": 1 << 30, " 2Ki ": 2048} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "", "-1Mi", "0", "12Mx"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) took it", in)
		}
	}
}
