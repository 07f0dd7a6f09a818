package main

import (
	"bytes"
	"context"
	"runtime/debug"
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

// TestVersionNamesTheCommit checks that a build without a version set at
// link time still names the commit the build info records, so the reports
// of two builds differ; a version set at link time or a module version
// wins, and with nothing known it says "dev".
func TestVersionNamesTheCommit(t *testing.T) {
	t.Parallel()
	vcs := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
		for i := 0; i < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	const rev = "a205f4456ce7bc55ca308bbc28c63dd79b28cb2f"
	for _, c := range []struct {
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"dev", vcs("vcs.revision", rev, "vcs.modified", "false"), "dev+a205f4456ce7"},
		{"dev", vcs("vcs.revision", rev, "vcs.modified", "true"), "dev+a205f4456ce7-dirty"},
		{"v1.2.3", vcs("vcs.revision", rev), "v1.2.3"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"dev", vcs(), "dev"},
		{"dev", nil, "dev"},
	} {
		if got := versionFrom(c.linked, c.info); got != c.want {
			t.Errorf("versionFrom(%q, %+v) = %q, want %q", c.linked, c.info, got, c.want)
		}
	}
}
