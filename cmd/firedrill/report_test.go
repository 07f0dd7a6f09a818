package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// twoRuns writes the run folders of two runs of one scenario: the second
// by a build that loses orders, against a contract that changed.
func twoRuns(t *testing.T) (string, string) {
	t.Helper()
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	run := func(version, contract string, lost int) string {
		r := ci.Report{Scenario: "order sync", Version: version, ScenarioDigest: "sha256:" + strings.Repeat("ab", 32),
			Start: start, End: start.Add(time.Minute), AttackStart: start.Add(2 * time.Second),
			Systems: []ci.System{{Name: "accounting", Kind: "mock", Contract: "accounting.yaml",
				Contracts: []ci.ContractFile{{Path: "accounting.yaml", Digest: "sha256:" + strings.Repeat(contract, 64)}}}},
			Gates: []ci.Gate{
				{Name: "p99 < 1s", Kind: ci.KindLoad, Passed: true, Measured: "120ms"},
				{Name: "every order invoiced", Kind: ci.KindConsistency, Passed: lost == 0, Measured: strings.Repeat("x", lost)},
			}}
		dir := filepath.Join(t.TempDir(), "run")
		if err := ci.WriteAll(dir, r); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return run("v0.3.0", "1", 0), run("v0.4.0", "2", 3)
}

// TestReportSideBySide compares two run folders: what differs in what ran,
// and the gate that broke, named as such.
func TestReportSideBySide(t *testing.T) {
	t.Parallel()
	a, b := twoRuns(t)
	code, out, errOut := runCLI(t, context.Background(), "report", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"| firedrill | v0.3.0 | v0.4.0 | differs |",
		"| scenario | sha256:abababababab | sha256:abababababab |  |",
		"| contract of accounting | sha256:111111111111 | sha256:222222222222 | differs |",
		"| verdict | ✅ passed | ❌ failed (1 of 2 gates) | differs |",
		"| every order invoiced | consistency | ✅ pass:  | ❌ fail: xxx | newly failing |",
		"| p99 < 1s | load | ✅ pass: 120ms | ✅ pass: 120ms |  |",
		"1 newly failing.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runCLI(t, context.Background(), "report", a, t.TempDir()); code != 2 || !strings.Contains(errOut, "not a run folder") {
		t.Errorf("a folder without summary.json: exit %d, %q", code, errOut)
	}
}

// TestReportWritesARunFolderAgain deletes a run folder's reports but
// summary.json and has firedrill report write them again, as they were.
func TestReportWritesARunFolderAgain(t *testing.T) {
	t.Parallel()
	_, dir := twoRuns(t)
	want := map[string][]byte{}
	for _, name := range ci.ReportFiles() {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want[name] = data
		if name != "summary.json" {
			os.Remove(filepath.Join(dir, name))
		}
	}
	out := filepath.Join(t.TempDir(), "again")
	for _, args := range [][]string{{"report", dir}, {"report", dir, "--out", out}} {
		if code, _, errOut := runCLI(t, context.Background(), args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	for _, d := range []string{dir, out} {
		for name, w := range want {
			got, err := os.ReadFile(filepath.Join(d, name))
			if err != nil || string(got) != string(w) {
				t.Errorf("%s written again differs (%v)", filepath.Join(d, name), err)
			}
		}
	}
}
