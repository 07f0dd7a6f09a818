package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "drill.yaml")
	shop := "../../examples/ordersync/contracts/shop.openapi.yaml"
	crm := "../../examples/ordersync/contracts/crm.graphql"
	code, _, errOut := runCLI(t, ctx, "init", shop, crm, "--out", file)
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, ctx, "validate", file); code != 0 {
		t.Fatalf("the file init wrote does not validate: %s %s", out, errOut)
	}
	if code, _, errOut := runCLI(t, ctx, "init", shop, "--out", file); code != 2 || !strings.Contains(errOut, "--force") {
		t.Errorf("overwrite without --force: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, ctx, "init", "no/such.yaml"); code != 2 || !strings.Contains(errOut, "no/such.yaml") {
		t.Errorf("missing contract: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCLI(t, ctx, "init", shop); code != 0 || !strings.Contains(out, "contract: \"../../examples/ordersync/contracts/shop.openapi.yaml\"") {
		t.Errorf("stdout: exit %d, paths must be relative to the working directory:\n%s", code, out)
	}
}
