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
	ledger, err := filepath.Glob("../../examples/ledgersync/contracts/*")
	if err != nil || len(ledger) != 2 {
		t.Fatalf("ledgersync contracts: %v %v", ledger, err)
	}
	files = append(files, ledger...)
	code, out, errOut := runCLI(t, context.Background(), append([]string{"contract", "lint"}, files...)...)
	if code != 0 || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("lint: exit %d\n%s%s", code, out, errOut)
	}
	scenarios, err := filepath.Glob("../../examples/ordersync/scenarios/*.yaml")
	if err != nil || len(scenarios) < 8 {
		t.Fatalf("example scenarios: %v %v", scenarios, err)
	}
	ledgerScenarios, err := filepath.Glob("../../examples/ledgersync/scenarios/*.yaml")
	if err != nil || len(ledgerScenarios) != len(ledgersyncScenarios) {
		t.Fatalf("ledgersync scenarios: %v %v", ledgerScenarios, err)
	}
	for _, s := range append(scenarios, ledgerScenarios...) {
		if code, out, _ := runCLI(t, context.Background(), "validate", s); code != 0 {
			t.Errorf("validate %s: %s", s, out)
		}
	}
}
