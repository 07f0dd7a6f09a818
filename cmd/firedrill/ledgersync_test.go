package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

// ledgersyncDefects are the planted defects of the ledgersync example
// (LEDGERSYNC_DEFECT, examples/ledgersync/service/defects.go), each with
// the drill that exercises it, the gate it must fail and a word of that
// gate's reason. also lists the gates a defect may fail beside its own,
// for a reason of theirs: a payment dropped during an outage, or a failed
// write retried under another entry id, is also a request that never went
// through, which the recovery gate counts.
// Every gate not listed must pass (or be skipped as not exercised).
var ledgersyncDefects = []struct {
	defect, scenario, gate, reason string
	also                           []string
}{
	{"drop-on-error", "ledger-outage.yaml", "every payment booked exactly once", "missing in target", []string{"recovers after faults (ledger)"}},
	{"random-entry-id", "ledger-outage.yaml", "every payment booked exactly once", "duplicated (exactly-once breach)", []string{"recovers after faults (ledger)"}},
	{"amount-major", "baseline.yaml", "every payment booked exactly once", "with mismatched fields", nil},
	{"no-backoff", "ledger-outage.yaml", "retries back off (ledger)", "retry intervals do not grow", nil},
	{"ignore-retry-after", "ledger-rate-limited.yaml", "Retry-After honoured (ledger)", "sooner than Retry-After allowed", nil},
	{"no-breaker", "ledger-outage.yaml", "breaker opens (ledger)", "kept calling the failing system", nil},
	{"stuck-dead-letters", "ledger-outage.yaml", "no dead letters", "body.count == 0", nil},
	{"invalid-request", "baseline.yaml", "requests conform to the contracts", "requests broke their contract", nil},
	{"slow-webhook", "baseline.yaml", "p99 < 250ms", "failed", nil},
}

// ledgersyncScenarios are the example's drills, each with the gates the
// correct build must pass (a gate missing from the report fails the test:
// a gate that did not run proves nothing).
var ledgersyncScenarios = map[string][]string{
	"baseline.yaml": {"every payment booked exactly once", "requests conform to the contracts",
		"success >= 99%", "p99 < 250ms", "no dead letters"},
	"ledger-outage.yaml": {"every payment booked exactly once", "requests conform to the contracts",
		"retries back off (ledger)", "breaker opens (ledger)", "recovers after faults (ledger)", "no dead letters"},
	"ledger-rate-limited.yaml": {"every payment booked exactly once", "requests conform to the contracts",
		"Retry-After honoured (ledger)", "no dead letters"},
}

// ledgersyncRunsInARow is how many times in a row the correct build must
// pass each drill: a gate that passes a correct service only most of the
// time would fail releases at random.
const ledgersyncRunsInARow = 5

// ledgersyncAtOnce is how many drills run at the same time.
const ledgersyncAtOnce = 2

// TestLedgersyncDrills runs the ledgersync example's drills with the
// firedrill binary, when FIREDRILL_DRILLS is true (make drills): the
// correct service passes every drill five runs in a row, and each planted
// defect fails, on the drill that exercises it, the gate it belongs to
// with that gate's reason, read from summary.json. The service is built
// once.
func TestLedgersyncDrills(t *testing.T) {
	if all, _ := strconv.ParseBool(os.Getenv(drillsEnv)); !all {
		t.Skipf("the ledgersync drills run in make drills (%s=1)", drillsEnv)
	}
	t.Parallel() // beside the ordersync drills: most of a drill is waiting
	bin := buildFiredrill(t)
	svc := buildExample(t, "ledgersync")
	// Drills run ledgersyncAtOnce at a time: each spends most of its time
	// waiting (the attack, settle), and its latency gates have a margin of
	// more than ten times what three drills on two cores cost each other.
	slots := make(chan struct{}, ledgersyncAtOnce)
	slot := func(t *testing.T) {
		t.Parallel()
		slots <- struct{}{}
		t.Cleanup(func() { <-slots })
	}
	for _, file := range slices.Sorted(maps.Keys(ledgersyncScenarios)) {
		t.Run("correct/"+strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			slot(t)
			scenario := exampleScenario(t, "ledgersync", file, svc)
			for run := 1; run <= ledgersyncRunsInARow; run++ {
				rep := runExample(t, bin, scenario, "LEDGERSYNC_DEFECT", "none")
				if rep.ExitCode != 0 || len(rep.failed()) > 0 {
					recap.fatalf(t, "%s, run %d of %d: exit %d, failed gates:\n%s", file, run, ledgersyncRunsInARow, rep.ExitCode, rep.describe(rep.failed()))
				}
				rep.mustPass(t, file, run, ledgersyncScenarios[file])
			}
		})
	}
	for _, d := range ledgersyncDefects {
		t.Run(d.defect, func(t *testing.T) {
			slot(t)
			rep := runExample(t, bin, exampleScenario(t, "ledgersync", d.scenario, svc), "LEDGERSYNC_DEFECT", d.defect)
			rep.mustFailFor(t, d.defect, d.gate, d.reason, d.also)
		})
	}
}

// ledgersyncReport is the part of summary.json the drills read.
type ledgersyncReport struct {
	ExitCode int              `json:"exit_code"`
	Gates    []ledgersyncGate `json:"gates"`
	output   string
	dir      string // the run folder
}

// ledgersyncGate is a gate as summary.json writes it.
type ledgersyncGate = ci.Gate

// mustPass checks that each of the named gates is in the report of a
// correct build's run and passed: a gate skipped (not exercised, or
// inconclusive) proves nothing.
func (r *ledgersyncReport) mustPass(t *testing.T, file string, run int, gates []string) {
	t.Helper()
	for _, name := range gates {
		switch g, ok := r.gate(name); {
		case !ok:
			recap.errorf(t, "%s, run %d: no gate %q in the report: a correct build must exercise it", file, run, name)
		case !g.Passed:
			recap.errorf(t, "%s, run %d: gate %q did not pass (%s: %s; %s): a correct build must exercise it", file, run, name, g.Status(), g.Reason, g.Measured)
		}
	}
}

// mustFailFor checks a drill run with a planted defect: exit 1, the gate
// the defect belongs to failed with a reason holding reason, and no gate
// failed but that one and those in also. It returns that gate.
func (r *ledgersyncReport) mustFailFor(t *testing.T, defect, gate, reason string, also []string) ledgersyncGate {
	t.Helper()
	if r.ExitCode != 1 {
		recap.fatalf(t, "%s: exit %d, want 1 (a gate failed)\n%s", defect, r.ExitCode, r.describe(r.Gates))
	}
	g, ok := r.gate(gate)
	switch {
	case !ok:
		recap.fatalf(t, "%s: no gate %q in the report:\n%s", defect, gate, r.describe(r.Gates))
	case g.Passed || g.Skipped:
		recap.fatalf(t, "%s: gate %q did not fail: %s", defect, gate, g.Reason)
	case !strings.Contains(g.Reason, reason):
		recap.errorf(t, "%s: gate %q failed for another reason: %q, want %q", defect, gate, g.Reason, reason)
	}
	for _, f := range r.failed() {
		if f.Name != gate && !slices.Contains(also, f.Name) {
			recap.errorf(t, "%s: gate %q failed too (%s): the defect must fail only its own gate", defect, f.Name, f.Reason)
		}
	}
	return g
}

func (r *ledgersyncReport) gate(name string) (ledgersyncGate, bool) {
	for _, g := range r.Gates {
		if g.Name == name {
			return g, true
		}
	}
	return ledgersyncGate{}, false
}

func (r *ledgersyncReport) failed() []ledgersyncGate {
	var out []ledgersyncGate
	for _, g := range r.Gates {
		if !g.Passed && !g.Skipped {
			out = append(out, g)
		}
	}
	return out
}

func (r *ledgersyncReport) describe(gates []ledgersyncGate) string {
	var b strings.Builder
	for _, g := range gates {
		fmt.Fprintf(&b, "  %s %q (%s): %s\n", map[bool]string{true: "pass", false: "FAIL"}[g.Passed || g.Skipped], g.Name, g.Kind, g.Reason)
	}
	return b.String() + tail(r.output, 30)
}

// runExample runs one drill of an example with its defect variable set to
// defect, and reads its report.
func runExample(t *testing.T, bin, scenario, defectVar, defect string) *ledgersyncReport {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(bin, "run", scenario, "--out", out)
	cmd.Env = append(os.Environ(), defectVar+"="+defect)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	_ = cmd.Run()
	rep := &ledgersyncReport{output: buf.String(), dir: out}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		recap.fatalf(t, "%s (defect %s): no report (exit %d): %v\n%s", filepath.Base(scenario), defect, cmd.ProcessState.ExitCode(), err, tail(buf.String(), 30))
	}
	if err := json.Unmarshal(data, rep); err != nil {
		recap.fatalf(t, "summary.json: %v", err)
	}
	if code := cmd.ProcessState.ExitCode(); code != rep.ExitCode {
		recap.fatalf(t, "exit %d, but the report says %d", code, rep.ExitCode)
	}
	return rep
}

// exampleScenario writes a copy of a drill of examples/NAME that starts
// the prebuilt service instead of go run, with every relative path made
// absolute, so the drills do not compile the service each time.
func exampleScenario(t *testing.T, name, file, svc string) string {
	t.Helper()
	example, err := filepath.Abs(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(example, "scenarios", file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, r := range []struct {
		from, to string
		must     bool
	}{
		{"command: [go, run, ./service]", fmt.Sprintf("command: [%q]", svc), true},
		{"dir: ..\n", fmt.Sprintf("dir: %q\n", example), true},
		{"../contracts/", filepath.ToSlash(filepath.Join(example, "contracts")) + "/", true},
		{"../seed/", filepath.ToSlash(filepath.Join(example, "seed")) + "/", false},
	} {
		if r.must && !strings.Contains(text, r.from) {
			recap.fatalf(t, "%s has no %q to rewrite: update exampleScenario", file, r.from)
		}
		text = strings.ReplaceAll(text, r.from, r.to)
	}
	text = strings.Replace(text, "$schema=../../../scenarios/", "$schema=", 1)
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildExample builds the service of examples/NAME for the drills of t.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if runtime.GOOS == "windows" {
		path += ".exe"
	}
	src := filepath.Join("..", "..", "examples", name, "service")
	if out, err := exec.Command("go", "build", "-o", path, src).CombinedOutput(); err != nil {
		recap.fatalf(t, "go build %s: %v\n%s", src, err, out)
	}
	return path
}
