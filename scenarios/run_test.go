package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

func TestRunMockOnlyScenarioPasses(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var progress strings.Builder
	rt := &Embedded{}
	out, err := Run(context.Background(), s, Options{Out: dir, Progress: &progress, Runtime: rt})
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("run: %v\ngates: %+v", err, out)
	}
	if !out.Verdict.Passed || len(out.Verdict.Gates) != 4 {
		t.Fatalf("verdict %+v", out.Verdict)
	}
	if !strings.Contains(progress.String(), "faults: latency on shop") {
		t.Errorf("the progress never showed the active fault:\n%s", progress.String())
	}
	if out.Load == nil || out.Load.Flow.Requests < 50 {
		t.Fatalf("load ran %v iterations, want about 60", out.Load)
	}
	// The audit log shows the toxic switched on and off.
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var actions []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if a := rec["action"].(string); a == "apply" || a == "revert" {
			actions = append(actions, a)
		}
	}
	if strings.Join(actions, ",") != "apply,revert" {
		t.Errorf("audit actions %v, want apply then revert", actions)
	}
	for _, name := range []string{"summary.json", "summary.md", "junit.xml", "report.html", "results.bin", "audit.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run folder lacks %s", name)
		}
	}
}

// TestRunFailsAGateWithExit1 is the negative control: the same scenario
// with a latency gate the toxic breaks.
func TestRunFailsAGateWithExit1(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Gates.Load = []string{"p99 < 100ms"}
	out, err := Run(context.Background(), s, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitFail {
		t.Fatalf("want exit 1, got %v (%v)", ci.CodeOf(err), err)
	}
	g := out.Verdict.Gates[0]
	if g.Passed || !strings.Contains(g.Reason, "p99 < 100ms") {
		t.Errorf("gate %+v", g)
	}
}

// TestRunUnhealthyServiceExits3WithItsLogs: a service that never answers
// its health check is a setup failure (exit 3), reported with its output.
func TestRunUnhealthyServiceExits3WithItsLogs(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "unhealthy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), s, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitSetup {
		t.Fatalf("want exit 3, got %v: %v", ci.CodeOf(err), err)
	}
	for _, want := range []string{"sync", "SHOP_WEBHOOK_SECRET is not set", "connecting to http://127.0.0.1:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not show %q:\n%v", want, err)
		}
	}
}
