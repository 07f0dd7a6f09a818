package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagship runs the flagship drill the way make demo does, with the
// firedrill binary (built without the race detector, which would slow the
// harness itself and falsify the latency gate): against the service it
// passes every gate; against its naive build (ORDERSYNC_NAIVE=1) it fails,
// losing the orders of the outage and writing without idempotency keys.
func TestFlagship(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	scenario, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "scenarios", "flagship.yaml"))
	run := func(naive bool) (int, string) {
		cmd := exec.Command(bin, "run", scenario, "--out", t.TempDir())
		cmd.Env = append(os.Environ(), "ORDERSYNC_NAIVE=0")
		if naive {
			cmd.Env = append(os.Environ(), "ORDERSYNC_NAIVE=1")
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), out.String()
	}
	// One after the other: the drill pushes 120 requests a second and
	// measures latency; two at once on a small machine measure each other.
	if code, out := run(false); code != 0 || !strings.Contains(out, "PASS  7 gates, 0 failed") {
		t.Fatalf("the service fails the flagship: exit %d\n%s", code, tail(out, 30))
	}
	code, out := run(true)
	if code != 1 {
		t.Fatalf("the naive service: exit %d, want 1\n%s", code, tail(out, 30))
	}
	for _, want := range []string{
		"fail  consistency  every order invoiced exactly once",
		"missing",
		"fail  resilience  idempotency keys (accounting)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the naive run's verdict lacks %q:\n%s", want, tail(out, 30))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
