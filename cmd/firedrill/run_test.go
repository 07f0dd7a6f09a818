package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"os"
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

// TestRunSetUpFailureSaysSoAndWritesJUnit: a service that never gets
// healthy is a set-up failure: exit 3, stdout says SET-UP FAILED with the
// cause (never "FAIL 0 gates"), and junit.xml holds one errored case naming
// it, so the CI test reporter shows the run red and why.
func TestRunSetUpFailureSaysSoAndWritesJUnit(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	st := &state{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	dir := filepath.Join(t.TempDir(), "run")
	code := st.execute(context.Background(), []string{"run", "../../scenarios/testdata/e2e/unhealthy.yaml", "--out", dir})
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "SET-UP FAILED: ") || !strings.Contains(out.String(), "SHOP_WEBHOOK_SECRET is not set") ||
		strings.Contains(out.String(), "FAIL  0 gates") {
		t.Errorf("stdout does not say the set-up failed, and why:\n%s", out.String())
	}
	suites, data := readJUnit(t, dir)
	if suites.Errors != 1 || len(suites.Suite.Cases) == 0 || suites.Suite.Cases[0].Error == nil ||
		!strings.Contains(suites.Suite.Cases[0].Error.Message, "never became healthy") {
		t.Errorf("junit.xml does not hold one errored case naming the cause:\n%s", data)
	}
}

// An invalid scenario (exit 2) leaves a junit.xml with one errored case
// naming the problems, in the folder --out names: a CI job that publishes
// it shows why, not a missing file.
func TestRunInvalidScenarioWritesJUnit(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, context.Background(), "run", "../../scenarios/testdata/bad/unknown_toxic.yaml", "--out", dir)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	suites, data := readJUnit(t, dir)
	if suites.Errors != 1 || len(suites.Suite.Cases) != 1 || suites.Suite.Cases[0].Error == nil ||
		!strings.HasPrefix(suites.Suite.Cases[0].Error.Message, "INVALID SCENARIO: ") || !strings.Contains(suites.Suite.Cases[0].Error.Message, "is unknown") {
		t.Errorf("junit.xml does not hold one errored case naming the problem:\n%s", data)
	}
}

// junitErrors is what the run tests read of a junit.xml.
type junitErrors struct {
	Errors int `xml:"errors,attr"`
	Suite  struct {
		Cases []struct {
			Name  string `xml:"name,attr"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readJUnit reads the junit.xml of a run folder, and its text for errors.
func readJUnit(t *testing.T, dir string) (junitErrors, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatalf("no junit.xml in the run folder: %v", err)
	}
	var suites junitErrors
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	return suites, data
}
