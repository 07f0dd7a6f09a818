package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunAnnotatesFailedGatesInGitHubActions: with GITHUB_ACTIONS=true a
// failing run prints an ::error annotation for its failed gate; without it,
// none (the negative control).
func TestRunAnnotatesFailedGatesInGitHubActions(t *testing.T) {
	t.Parallel()
	for _, gha := range []bool{true, false} {
		var out, errb bytes.Buffer
		st := &state{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
			getenv: func(k string) string {
				if k == "GITHUB_ACTIONS" && gha {
					return "true"
				}
				return ""
			},
			logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		code := st.execute(context.Background(), []string{"run", "../../scenarios/testdata/e2e/mock-only-strict.yaml", "--out", filepath.Join(t.TempDir(), "run")})
		if code != 1 {
			t.Fatalf("the strict run: exit %d, want 1\n%s%s", code, out.String(), errb.String())
		}
		has := strings.Contains(out.String(), "::error") && strings.Contains(out.String(), "p99 < 1ms")
		if has != gha {
			t.Errorf("GITHUB_ACTIONS=%v: annotation printed %v\n%s", gha, has, out.String())
		}
	}
}
