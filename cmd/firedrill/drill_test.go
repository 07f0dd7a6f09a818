package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDrillNeedsItsOwnCommand: firedrill run refuses a drill against
// staging (its confirmation and dry run live in firedrill drill), and
// firedrill drill off a terminal refuses to start without --yes; neither
// makes a run folder.
func TestDrillNeedsItsOwnCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "drill.yaml")
	src := `name: d
runtime: staging
drill: {allow: ["127.0.0.1"]}
systems:
  crm: {url: "http://127.0.0.1:1"}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"run", file, "--out", out}, "is a drill against staging: run it with firedrill drill"},
		{[]string{"drill", file, "--out", out}, "the drill was not confirmed: nothing was changed: not on a terminal, pass --yes"},
	} {
		code, _, stderr := runCLI(t, context.Background(), c.args...)
		if code != 2 || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", c.args, code, c.says, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a run folder was made")
	}
}

// TestDrillConfirmation: on a terminal the drill shows its plan and starts
// only when the drill's name is typed back.
func TestDrillConfirmation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typed string
		ok    bool
	}{
		{"night drill\n", true},
		{"y\n", false},
		{"", false},
	} {
		var shown strings.Builder
		err := confirm(&shown, "night drill", "PLAN\n", strings.NewReader(c.typed))
		if (err == nil) != c.ok {
			t.Errorf("typed %q: %v", c.typed, err)
		}
		if !strings.HasPrefix(shown.String(), "PLAN\ntype the drill's name (night drill) to start it: ") {
			t.Errorf("shown %q", shown.String())
		}
	}
}
