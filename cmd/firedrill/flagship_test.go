package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrdersyncDrills runs five drills of the example the way make demo
// does, with the firedrill binary (built without the race detector, which
// would slow the harness itself and falsify the latency gate). Against the
// service both pass every gate; against its naive build (ORDERSYNC_NAIVE=1)
// the flagship loses the orders of the outage, the slow-accounting drill
// duplicates invoices after blind retries, and the CRM-503, rate-limit and
// shop-webhooks drills lose orders, each failing with its reason. In the
// shop-webhooks drill the orders reach the service only as the shop mock's
// own webhook deliveries: every order invoiced proves they all arrived.
func TestOrdersyncDrills(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	// One after the other: a drill pushes 120 requests a second and
	// measures latency; two at once on a small machine measure each other.
	drill(t, bin, "flagship.yaml", "every order invoiced exactly once", "missing")
	drill(t, bin, "accounting-timeouts.yaml", "every order invoiced exactly once", "duplicated")
	drill(t, bin, "crm-503-bursts.yaml", "every order invoiced exactly once", "missing")
	drill(t, bin, "accounting-rate-limited.yaml", "every order invoiced exactly once", "missing")
	drill(t, bin, "shop-webhooks.yaml", "every order invoiced exactly once", "missing")
}

// drill runs a scenario of the example against the service, then against
// its naive build, which must fail the named gate with the given word.
func drill(t *testing.T, bin, file, gate, word string) {
	t.Helper()
	scenario, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "scenarios", file))
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
	if code, out := run(false); code != 0 || !strings.Contains(out, "PASS  7 gates, 0 failed") {
		t.Fatalf("%s: the service fails: exit %d\n%s", file, code, tail(out, 30))
	}
	code, out := run(true)
	if code != 1 {
		t.Fatalf("%s: the naive service: exit %d, want 1\n%s", file, code, tail(out, 30))
	}
	for _, want := range []string{"fail  consistency  " + gate, word, "fail  resilience  idempotency keys (accounting)"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: the naive run's verdict lacks %q:\n%s", file, want, tail(out, 30))
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
