package scenarios

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

// TestFlagship runs the flagship drill of examples/ordersync twice, at once:
// the service passes every gate; built naive (ORDERSYNC_NAIVE=1) it fails,
// losing the orders of the outage and sending writes without keys.
func TestFlagship(t *testing.T) {
	t.Parallel()
	file := filepath.Join("..", "examples", "ordersync", "scenarios", "flagship.yaml")
	for _, naive := range []bool{false, true} {
		name := map[bool]string{false: "service passes", true: "naive service fails"}[naive]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) (string, bool) {
				if k == "ORDERSYNC_NAIVE" && naive {
					return "1", true
				}
				return "", false
			}
			out, err := Run(context.Background(), s, Options{Out: t.TempDir(), Getenv: getenv})
			if out == nil {
				t.Fatalf("no outcome: %v", err)
			}
			failed := map[string]string{}
			for _, g := range out.Verdict.Gates {
				if !g.Passed && !g.Skipped {
					failed[g.Name] = g.Measured
					t.Logf("failed gate %q: %s; %s\n  %s", g.Name, g.Measured, g.Reason, strings.Join(g.Detail, "\n  "))
				}
			}
			if !naive {
				if err != nil || len(failed) > 0 {
					t.Fatalf("the service failed the flagship: %v %v", err, failed)
				}
				return
			}
			if ci.CodeOf(err) != ci.ExitFail {
				t.Fatalf("the naive service: exit %v, want 1 (%v)", ci.CodeOf(err), err)
			}
			lost, keys := failed["every order invoiced exactly once"], failed["idempotency keys (accounting)"]
			if !strings.Contains(lost, "missing") || keys == "" {
				t.Errorf("the naive service must fail on lost invoices and missing keys; failed gates: %v", failed)
			}
		})
	}
}
