package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRunUsesTheContractsValidateLoaded: reading a scenario validates it,
// loading its contracts; the run that follows serves those, without
// loading them again (here the file is broken after the read, and the run
// still plans). The next run of the same scenario loads its own, and sees
// the broken file.
func TestRunUsesTheContractsValidateLoaded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "examples", "ordersync", "contracts", "shop.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	contract := filepath.Join(dir, "shop.openapi.yaml")
	if err := os.WriteFile(contract, src, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	doc := "name: once\nsystems:\n  shop: {contract: shop.openapi.yaml, mock: {stateful: true}}\n"
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(contract, []byte("openapi: 3.0.0\npaths: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := newRun(s, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatalf("the run validated the contract again: %v", err)
	}
	if err := r.plan(context.Background()); err != nil || r.systems[0].openapi == nil {
		t.Fatalf("the run loaded the contract again: %v", err)
	}
	if _, err := newRun(s, Options{Out: t.TempDir()}); err == nil {
		t.Fatal("the next run reused the first run's contract: it must load its own")
	}
}
