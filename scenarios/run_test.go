package scenarios

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	out, err := Run(context.Background(), s, Options{Out: dir, Progress: &progress, Runtime: rt, Version: "v9.8.7"})
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("run: %v\ngates: %+v", err, out)
	}
	if !out.Verdict.Passed || len(out.Verdict.Gates) != 4 {
		t.Fatalf("verdict %+v", out.Verdict)
	}
	checkRunIdentity(t, dir, filepath.Join("testdata", "e2e", "mock-only.yaml"), "v9.8.7",
		map[string]string{"shop": filepath.Join("..", "examples", "ordersync", "contracts", "shop.openapi.yaml")})
	checkOneTimeBase(t, dir, progress.String(), time.Second)
	checkLatencyRows(t, dir, []string{"request", `step "create order"`, `step "read order"`, "iteration"})
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

// panicking is a runtime whose services panic as they start: a bug in the
// harness, halfway through bringing the systems up.
type panicking struct{ *Embedded }

func (p panicking) StartService(context.Context, ProcessSpec) (RunningService, error) {
	panic("a bug while starting the service")
}

// TestRunDownsOnPanicAndDeadline: down runs when a panic unwinds the run
// (then the panic goes on) and when the run's context ends mid-attack.
func TestRunDownsOnPanicAndDeadline(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "unhealthy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rt := panicking{&Embedded{}}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		Run(context.Background(), s, Options{Out: t.TempDir(), Runtime: rt})
	}()
	if !rt.closed {
		t.Error("the runtime was not closed when the panic unwound the run")
	}
	if rt.tp == nil {
		t.Fatal("the run never got to start Toxiproxy: the check proves nothing")
	}
	if _, err := rt.tp.Version(context.Background()); err == nil {
		t.Error("Toxiproxy still answers after the panic")
	}

	s, err = ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	emb := &Embedded{}
	_, err = Run(ctx, s, Options{Out: t.TempDir(), Runtime: emb})
	if ci.CodeOf(err) != ci.ExitInterrupted || !emb.closed {
		t.Errorf("a run whose context ended: exit %v (%v), runtime closed %v", ci.CodeOf(err), err, emb.closed)
	}
}

// TestRunChecksReferences: references: true reaches the mock. The flow
// expects an invoice for an unknown customer to be refused (400) and one
// for a customer it created to go through (201); with the option off the
// first step gets 201 and the load gate fails (the negative control).
func TestRunChecksReferences(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		s, err := ReadFile(filepath.Join("testdata", "e2e", "references.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		s.Systems["billing"].Mock.References = on
		var progress strings.Builder
		out, err := Run(context.Background(), s, Options{Out: t.TempDir(), Progress: &progress, Runtime: &Embedded{}})
		if out == nil || out.Load == nil || out.Load.Flow.Requests == 0 {
			t.Fatalf("references %v: the flow did not run: %v\n%s", on, err, progress.String())
		}
		if out.Verdict.Passed != on {
			t.Errorf("references %v: verdict passed %v, want %v\n%s", on, out.Verdict.Passed, on, progress.String())
		}
		for _, g := range out.Verdict.Gates {
			if g.Kind == "contract" && !g.Passed {
				t.Errorf("references %v: %s: %s", on, g.Name, g.Measured) // a 400 for a valid request is the vendor's answer, not a broken contract
			}
		}
	}
}

// checkRunIdentity reads the run folder's summary.json and checks it names
// the firedrill version, the scenario file's digest and, for each system,
// its contract file's digest, each the SHA-256 of the file's bytes.
func checkRunIdentity(t *testing.T, dir, scenario, version string, contractFiles map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Version string `json:"version"`
		File    string `json:"scenario_file"`
		Digest  string `json:"scenario_digest"`
		Systems []ci.System
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	fileDigest := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(h[:])
	}
	if sum.Version != version || sum.File != scenario || sum.Digest != fileDigest(scenario) {
		t.Errorf("summary.json names version %q, file %q, digest %q; want %q, %q, %q", sum.Version, sum.File, sum.Digest, version, scenario, fileDigest(scenario))
	}
	for name, path := range contractFiles {
		var got []ci.ContractFile
		for _, s := range sum.Systems {
			if s.Name == name {
				got = s.Contracts
			}
		}
		if len(got) != 1 || got[0].Digest != fileDigest(path) {
			t.Errorf("system %s: contracts %+v, want one with the digest of %s (%s)", name, got, path, fileDigest(path))
		}
	}
}

// checkOneTimeBase checks that a run's reports count time from one zero,
// the start of the attack: summary.json's first chart bucket is stamped
// with it, the fault the scenario puts at `at` starts at +at in the
// summary, the faults tables of summary.md and report.html and the audit
// log (each a moment later: the time its apply took), and the progress
// lines put the attack at 0.0s.
func checkOneTimeBase(t *testing.T, dir, progress string, at time.Duration) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Start       time.Time        `json:"start"`
		AttackStart time.Time        `json:"attack_start"`
		Series      []ci.Second      `json:"series"`
		Faults      []ci.FaultWindow `json:"faults"`
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	const slack = 100 * time.Millisecond // the load starts a moment after the timeline
	switch {
	case sum.AttackStart.IsZero() || !sum.AttackStart.After(sum.Start):
		t.Fatalf("attack_start %v, run start %v: the attack starts after the set-up", sum.AttackStart, sum.Start)
	case len(sum.Series) == 0 || sum.Series[0].At.Sub(sum.AttackStart) < 0 || sum.Series[0].At.Sub(sum.AttackStart) > slack:
		t.Fatalf("the first chart bucket is not stamped with the attack's start %v: %+v", sum.AttackStart, sum.Series[:min(1, len(sum.Series))])
	case len(sum.Faults) == 0:
		t.Fatalf("no fault in the summary")
	case !within(sum.Faults[0].Start.Sub(sum.AttackStart), at, slack) || !within(sum.Faults[0].End.Sub(sum.AttackStart), 2*at, slack):
		// The window is the fault as the timeline applied it: from its
		// apply, a moment after at, to its revert, a moment after 2 at.
		t.Fatalf("the fault at %s for %s is on from %v to %v after the attack: %+v", at, at, sum.Faults[0].Start.Sub(sum.AttackStart), sum.Faults[0].End.Sub(sum.AttackStart), sum.Faults)
	}
	for name, row := range map[string]*regexp.Regexp{
		"summary.md":  regexp.MustCompile(`\| \+(\S+) \| \+(\S+) \|`),
		"report.html": regexp.MustCompile(`<td>\+([^<]+)</td><td>\+([^<]+)</td>`),
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m := row.FindStringSubmatch(html.UnescapeString(string(b)))
		if m == nil {
			t.Errorf("%s has no faults table row", name)
			continue
		}
		from, _ := time.ParseDuration(m[1])
		to, _ := time.ParseDuration(m[2])
		if !within(from, at, slack) || !within(to, 2*at, slack) {
			t.Errorf("%s's faults table puts the fault at +%s to +%s, want about +%s to +%s", name, m[1], m[2], at, 2*at)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	audit := regexp.MustCompile(`\+(\d+(?:\.\d+)?)(ms|s)\s+apply`).FindStringSubmatch(html.UnescapeString(string(page)))
	if audit == nil {
		t.Fatalf("report.html's audit log shows no apply with its offset")
	}
	off, _ := time.ParseDuration(audit[1] + audit[2])
	if off < at || off > at+slack {
		t.Errorf("the audit log applies the fault at +%s, want +%s", off, at)
	}
	if !regexp.MustCompile(`(?m)^\s+0\.0s  attack `).MatchString(progress) {
		t.Errorf("the progress does not put the attack at 0.0s:\n%s", progress)
	}
	if !regexp.MustCompile(`(?m)^\s+setup \d+\.\ds  plan `).MatchString(progress) {
		t.Errorf("the progress does not show set-up lines on their own clock:\n%s", progress)
	}
}

// within reports whether d is want or at most slack later.
func within(d, want, slack time.Duration) bool { return d >= want && d <= want+slack }

// checkLatencyRows checks summary.json's latency table: a row for each
// thing a threshold can read, named by what one sample is, and an
// iteration, which holds every step, never quicker than a step.
func checkLatencyRows(t *testing.T, dir string, want []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct{ Latency []ci.LatencyRow }
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sum.Latency {
		got = append(got, r.Of)
		if r.Requests == 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
			t.Errorf("latency row %+v: not a measure", r)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("latency rows %q, want %q", got, want)
	}
	it := sum.Latency[len(sum.Latency)-1]
	for _, r := range sum.Latency[1 : len(sum.Latency)-1] {
		if it.P50 < r.P50 || it.Requests != r.Requests {
			t.Errorf("an iteration (p50 %v, %d) is quicker than %s (p50 %v, %d)", it.P50, it.Requests, r.Of, r.P50, r.Requests)
		}
	}
}

// TestRunDownstreamCountsRefusedConnections: while a proxy is down, the
// connections it refuses reach no journal; the run reads them from the
// proxy and the downstream chart counts them in the fault's seconds.
func TestRunDownstreamCountsRefusedConnections(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "down.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Run(context.Background(), s, Options{Out: dir}); err != nil {
		t.Fatalf("run: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ci.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Downstream) != 1 || len(rep.Faults) != 1 {
		t.Fatalf("downstream %+v, faults %+v; want shop's, and one down", rep.Downstream, rep.Faults)
	}
	// Every count is in a bucket the band overlaps, bar the few a late
	// revert let in after the band's end.
	band := rep.Faults[0]
	inside, outside := 0, 0
	for _, sec := range rep.Downstream[0].Seconds {
		if sec.At.Add(time.Second).After(band.Start) && !sec.At.After(band.End) {
			inside += sec.Refused
		} else {
			outside += sec.Refused
		}
	}
	// 20 requests a second for 2 s: every one a new connection, refused.
	if inside < 10 || outside > 3 {
		t.Errorf("%d connections refused in the band (%v to %v), %d outside it; want 10 or more, 3 at most outside: %+v",
			inside, band.Start, band.End, outside, rep.Downstream[0].Seconds)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\| shop \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| [1-9]\d* \|`).Match(md) {
		t.Errorf("summary.md does not total shop's refused connections:\n%s", md)
	}
}
