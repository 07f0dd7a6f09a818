package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDocCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	code, out, _ := runCLI(t, ctx, "doc", "../../scenarios/testdata/good.yaml")
	if code != 0 || !strings.HasPrefix(out, "# order sync holds") || !strings.Contains(out, "## Mapped fields") {
		t.Fatalf("doc: exit %d, out %q", code, out)
	}
	file := filepath.Join(t.TempDir(), "sheet.md")
	if code, _, errOut := runCLI(t, ctx, "doc", "../../scenarios/testdata/good.yaml", "--out", file); code != 0 {
		t.Fatalf("doc --out: exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != out {
		t.Errorf("--out wrote %d bytes (%v), stdout %d", len(b), err, len(out))
	}
	if code, _, errOut := runCLI(t, ctx, "doc", "../../scenarios/testdata/bad/unknown_field.yaml"); code != 2 || !strings.Contains(errOut, "unknown field") {
		t.Errorf("bad scenario: exit %d, %q", code, errOut)
	}
}
