package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleContractsLintClean keeps the example's contracts free of every
// problem lint knows: they are what users copy.
func TestExampleContractsLintClean(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/ordersync/contracts/*")
	if err != nil || len(files) != 3 {
		t.Fatalf("example contracts: %v %v", files, err)
	}
	code, out, errOut := runCLI(t, context.Background(), append([]string{"contract", "lint"}, files...)...)
	if code != 0 || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("lint: exit %d\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"flagship.yaml", "baseline.yaml", "peak3x.yaml", "accounting-latency.yaml", "accounting-timeouts.yaml", "crm-503-bursts.yaml", "accounting-rate-limited.yaml"} {
		if code, out, _ := runCLI(t, context.Background(), "validate", "../../examples/ordersync/scenarios/"+s); code != 0 {
			t.Errorf("validate %s: %s", s, out)
		}
	}
}
