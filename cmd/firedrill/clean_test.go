package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/scenarios/firedrill"
)

// TestCleanRun: firedrill clean --run removes the run's network and says
// so; run again, it finds nothing.
func TestCleanRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := firedrill.Ping(ctx); err != nil {
		corpustest.Missing(t, "firedrill clean needs a Docker engine: %v", err)
	}
	run := "cmd-clean-" + time.Now().Format("150405.000000")
	nw, err := firedrill.NewNetwork(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Remove(context.Background()) })
	code, stdout, stderr := runCLI(t, ctx, "clean", "--run", run)
	if code != 0 || !strings.Contains(stdout, "network "+nw.Name+"\n") || !strings.Contains(stdout, "removed 0 container(s), 1 network(s), 0 image(s)") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the network named and counted", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, ctx, "clean", "--run", run, "--images"); code != 0 || stdout != "removed 0 container(s), 0 network(s), 0 image(s)\n" {
		t.Errorf("a second clean: exit %d, %q", code, stdout)
	}
}

// TestCleanWithoutEngine: with no engine to reach, firedrill clean says so
// and exits 3. It runs the binary: testcontainers-go settles where the
// engine is once per process.
func TestCleanWithoutEngine(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	cmd := exec.Command(bin, "clean", "--run", "none")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=tcp://127.0.0.1:1", "TESTCONTAINERS_RYUK_DISABLED=true")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3; output %s", err, out)
	}
	if !strings.Contains(string(out), "no Docker engine answers") || strings.Contains(string(out), "goroutine") {
		t.Errorf("output %q, want a clear message", out)
	}
}
