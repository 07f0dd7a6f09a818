//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios/dockertest"
)

// TestDockerKilledRunIsCleaned kills `firedrill run --runtime docker` with
// SIGKILL, which no handler sees, once its mock and Toxiproxy containers
// are up: without Ryuk (which cannot be pulled here) they stay, with their
// network. `firedrill clean --run ID`, the id the run printed, removes them
// all: docker ps -a and docker network ls show nothing of the run after it.
func TestDockerKilledRunIsCleaned(t *testing.T) {
	dockertest.Need(t)
	t.Parallel()
	bin := buildFiredrill(t)
	scenario, _ := filepath.Abs(filepath.Join("..", "..", "scenarios", "testdata", "e2e", "mock-only.yaml"))
	cmd := exec.Command(bin, "run", scenario, "--runtime", "docker", "--out", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	idLine := regexp.MustCompile(`docker run (\S+):`)
	var id string
	var seen []string
	sc := bufio.NewScanner(stderr)
	deadline := time.AfterFunc(3*time.Minute, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		if m := idLine.FindStringSubmatch(line); m != nil {
			id = m[1]
		}
		if id != "" && strings.Contains(line, "up     shop") {
			break
		}
	}
	if id == "" {
		t.Fatalf("the run never printed its docker run id:\n%s", strings.Join(seen, "\n"))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()
	if left := runObjects(t, id); len(left) < 3 {
		t.Fatalf("after the kill, run %s left %v: want its mock, its Toxiproxy and its network (is Ryuk reaping here?)", id, left)
	}
	out, err := exec.Command(bin, "clean", "--run", id).CombinedOutput()
	if err != nil {
		t.Fatalf("firedrill clean --run %s: %v\n%s", id, err, out)
	}
	if !strings.Contains(string(out), "removed") {
		t.Errorf("firedrill clean says nothing of what it removed:\n%s", out)
	}
	if left := runObjects(t, id); len(left) > 0 {
		t.Errorf("after firedrill clean, run %s still has %v", id, left)
	}
}

// runObjects lists the containers (running or not) and networks labelled
// with run id, as docker ps -a and docker network ls show them.
func runObjects(t *testing.T, id string) []string {
	t.Helper()
	var all []string
	for _, args := range [][]string{
		{"ps", "-a", "--filter", "label=io.firedrill.run=" + id, "--format", "container {{.Names}}"},
		{"network", "ls", "--filter", "label=io.firedrill.run=" + id, "--format", "network {{.Name}}"},
	} {
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				all = append(all, line)
			}
		}
	}
	return all
}

// TestDockerRunPipedToHeadLeavesNothing: `firedrill run ... | head -3`
// closes firedrill's output after three lines. A write to it then fails
// instead of killing firedrill (SIGPIPE), so the run goes on to its down
// phase: nothing of it is left in Docker.
func TestDockerRunPipedToHeadLeavesNothing(t *testing.T) {
	dockertest.Need(t)
	t.Parallel()
	bin := buildFiredrill(t)
	scenario, _ := filepath.Abs(filepath.Join("..", "..", "scenarios", "testdata", "e2e", "mock-only.yaml"))
	out := filepath.Join(t.TempDir(), "piped-to-head")
	sh := exec.Command("sh", "-c", `"$0" run "$1" --runtime docker --out "$2" 2>&1 | head -3`, bin, scenario, out)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	// head has exited; firedrill goes on until its down phase is over.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(out, "summary.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("firedrill never wrote its reports after its output was closed: was it killed?")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // the down phase follows the reports
	ps, err := exec.Command("docker", "ps", "-a", "--format", `{{.Label "io.firedrill.run"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range strings.Fields(string(ps)) {
		if strings.HasPrefix(id, "piped-to-head-") {
			t.Errorf("left behind: a container of run %s", id)
		}
	}
}
