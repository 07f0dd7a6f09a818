package main

import (
	"context"
	"strings"
	"testing"
)

// TestCheckCommandFlags covers what the command adds to
// scenarios.CheckConsistency (tested against running mocks there): flag
// parsing and exit codes.
func TestCheckCommandFlags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := "../../scenarios/testdata/check/orders-invoiced.yaml"
	if code, _, errOut := runCLI(t, ctx, "check", file, "--url", "shop"); code != 2 || !strings.Contains(errOut, "SYSTEM=URL") {
		t.Errorf("bad --url: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, ctx, "check", file); code != 2 || !strings.Contains(errOut, "has no address") {
		t.Errorf("no address: exit %d, %q", code, errOut)
	}
	// Nothing listens on port 1: the check fails (exit 1) with the reason.
	code, out, _ := runCLI(t, ctx, "check", file, "--only", "every order invoiced exactly once",
		"--url", "shop=http://127.0.0.1:1", "--url", "accounting=http://127.0.0.1:1")
	if code != 1 || !strings.Contains(out, "FAIL") {
		t.Errorf("unreachable systems: exit %d, out %q", code, out)
	}
}
