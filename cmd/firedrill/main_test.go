package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs a firedrill command line in-process and returns its exit code
// and what it wrote.
func runCLI(t testing.TB, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, context.Background(), "version")
	if code != 0 || !strings.HasPrefix(out, "firedrill ") {
		t.Fatalf("version: code %d, out %q", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"no-such-command"},
		{"version", "--no-such-flag"},
		{"version", "extra-arg"},
	} {
		code, _, errOut := runCLI(t, context.Background(), args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if !strings.Contains(errOut, "firedrill:") {
			t.Errorf("%v: stderr %q does not explain the error", args, errOut)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	root := newRootCmd(&state{})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("command %q has no example in its --help", c.Name())
		}
		for _, sub := range c.Commands() {
			if strings.TrimSpace(sub.Example) == "" {
				t.Errorf("command %q %q has no example in its --help", c.Name(), sub.Name())
			}
		}
	}
}
