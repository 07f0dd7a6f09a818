package ci

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport is a deterministic run: 40 s at 3x peak with an accounting
// outage from 10 s to 20 s, against a service that duplicates invoices.
func sampleReport(t testing.TB) Report {
	t.Helper()
	r := Report{
		Scenario: "order sync holds at 3x peak through an accounting outage",
		Owner:    "integrations@example.com",
		Version:  "v0.3.0", ScenarioFile: "scenarios/flagship.yaml",
		ScenarioDigest: "sha256:9f2c4e1b7a3d5f60818293a4b5c6d7e8f9012345678901234567890abcdef012",
		Start:          t0, End: t0.Add(41 * time.Second),
		Systems: []System{
			{Name: "shop", Kind: "mock", URL: "http://127.0.0.1:41001", Contract: "contracts/shop.openapi.yaml",
				Contracts: []ContractFile{{Path: "contracts/shop.openapi.yaml", Digest: "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"}}},
			{Name: "sync", Kind: "service", URL: "http://127.0.0.1:41000"},
			{Name: "accounting", Kind: "mock", URL: "http://127.0.0.1:41002", Proxy: "127.0.0.1:42002", Contract: "contracts/accounting.openapi.yaml"},
			{Name: "crm", Kind: "mock", URL: "http://127.0.0.1:41003", Proxy: "127.0.0.1:42003", Contract: "contracts/crm.graphql"},
		},
		Flows: []Flow{
			{Name: "order webhook", From: "shop", To: "sync", Rate: "120/s"},
			{Name: "create invoice", From: "sync", To: "accounting"},
			{Name: "upsert customer", From: "sync", To: "crm"},
		},
		Faults: outage,
		Audit: []string{
			"12:00:10.000 accounting status 503 rate=1 applied",
			"12:00:20.000 accounting status 503 reverted",
		},
	}
	for s := range 40 {
		sec := Second{At: t0.Add(time.Duration(s) * time.Second), Requests: 120, P50: 40 * time.Millisecond, P99: 180 * time.Millisecond}
		if s >= 10 && s < 20 {
			sec.Errors, sec.P50, sec.P99 = 6+s%3, 90*time.Millisecond, 1400*time.Millisecond
		}
		r.Series = append(r.Series, sec)
	}
	dup := append(invoices(), map[string]any{"reference": "2", "amount_cents": 2000, "email": "bob@example.com", "issued": "2026-01-02T10:00:00Z"})
	dup[2]["amount_cents"] = 3125
	res := runCheck(t, orderCheck(orders(), dup, ExactlyOnce))
	res.Elapsed, res.Attempts = 12*time.Millisecond, 3
	r.Consistency = []Result{res}
	r.Downstream = []Downstream{DownstreamOf(resilientJournal(), "accounting", t0, r.End)}
	r.Latency = []LatencyRow{
		{Of: "request", Requests: 9600, Errors: 91, Success: 0.9905, P50: 41 * time.Millisecond, P90: 88 * time.Millisecond, P99: 1310 * time.Millisecond, P999: 1390 * time.Millisecond, Max: 1402 * time.Millisecond},
		{Of: `step "order webhook"`, Requests: 4800, Errors: 91, Success: 0.981, P50: 40 * time.Millisecond, P90: 90 * time.Millisecond, P99: 1400 * time.Millisecond, P999: 1400 * time.Millisecond, Max: 1402 * time.Millisecond},
		{Of: "iteration", Requests: 4800, Errors: 91, Success: 0.981, P50: 95 * time.Millisecond, P90: 180 * time.Millisecond, P99: 1450 * time.Millisecond, P999: 1490 * time.Millisecond, Max: 1502 * time.Millisecond},
	}
	r.Gates = []Gate{
		{Name: "p99 < 1.5s", Kind: KindLoad, Passed: true, Measured: "p99 1.4s", Reason: "p99 1.4s < 1.5s"},
		{Name: "success >= 99.9%", Kind: KindLoad, Passed: false, Measured: "success 98.1%", Reason: "success 98.1% < 99.9%"},
		Conformance(resilientJournal(), ConformanceOptions{}),
		res.Gate(),
		Backoff(naiveJournal(), BackoffOptions{System: "accounting"}),
		RetryAfter(resilientJournal(), RetryAfterOptions{System: "accounting"}),
		Breaker(resilientJournal(), outage, BreakerOptions{System: "accounting", MaxRate: 1, Within: 2 * time.Second}),
		Idempotency(nil, IdempotencyOptions{System: "accounting"}),
	}
	return r
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	for _, name := range ReportFiles() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := reportFiles[name](&buf, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "report", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ci -run TestReportGolden -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%s differs from %s (rerun with -update if the change is meant)", name, golden)
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	if err := WriteAll(dir, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.html", "junit.xml", "summary.json", "summary.md"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(filepath.Join(blocker, "run"), sampleReport(t)); err == nil || !strings.Contains(err.Error(), "ci: report folder") {
		t.Fatalf("WriteAll under a file: %v", err)
	}
}

// TestJUnitShape checks junit.xml against the shape of the common JUnit
// schema (testsuites > testsuite > testcase, with the counts CI servers
// read), on a failing and a passing report.
func TestJUnitShape(t *testing.T) {
	t.Parallel()
	pass := sampleReport(t)
	pass.Gates = pass.Gates[:1]
	for name, r := range map[string]Report{"failing": sampleReport(t), "passing": pass} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, r); err != nil {
				t.Fatal(err)
			}
			var doc junitSuites
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if err := checkJUnit(doc); err != nil {
				t.Fatal(err)
			}
			v := r.Verdict()
			if doc.Failures != v.Failed || doc.Tests != len(r.Gates) {
				t.Fatalf("failures %d tests %d, verdict %+v", doc.Failures, doc.Tests, v)
			}
		})
	}
	bad := junitSuites{Tests: 2, Suites: []junitSuite{{Name: "x", Tests: 1, Time: "0", Cases: []junitCase{{Name: "a"}}}}}
	if checkJUnit(bad) == nil {
		t.Fatal("an inconsistent document passed the shape check")
	}
}

// checkJUnit returns an error listing every way doc breaks the JUnit shape.
func checkJUnit(doc junitSuites) error {
	var errs []string
	tests, failures, skipped := 0, 0, 0
	for i, s := range doc.Suites {
		if s.Name == "" || s.Time == "" {
			errs = append(errs, "testsuite without name or time")
		}
		f, sk := 0, 0
		for _, c := range s.Cases {
			if c.Name == "" || c.Classname == "" || c.Time == "" {
				errs = append(errs, "testcase "+c.Name+" without name, classname or time")
			}
			if c.Failure != nil {
				f++
				if c.Failure.Message == "" {
					errs = append(errs, "failure without message in "+c.Name)
				}
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != sk {
			errs = append(errs, "testsuite "+s.Name+" counts disagree with its testcases")
		}
		_ = i
		tests, failures, skipped = tests+s.Tests, failures+s.Failures, skipped+s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Skipped != skipped {
		errs = append(errs, "testsuites counts disagree with the suites")
	}
	if len(errs) > 0 {
		return &shapeError{errs}
	}
	return nil
}

type shapeError struct{ problems []string }

func (e *shapeError) Error() string { return "junit shape: " + strings.Join(e.problems, "; ") }

func TestSummaryJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Verdict  string `json:"verdict"`
		ExitCode int    `json:"exit_code"`
		Gates    []Gate `json:"gates"`
	}
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Verdict != "fail" || s.ExitCode != 1 || len(s.Gates) != 8 || s.Gates[1].Measured != "success 98.1%" {
		t.Fatalf("%+v", s)
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.Gates = append(r.Gates, Gate{Name: "p99: a, b", Kind: KindLoad, Measured: "100%", Reason: "line1\nline2"})
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != r.Verdict().Failed {
		t.Fatalf("%d annotations for %d failures:\n%s", len(lines), r.Verdict().Failed, buf.String())
	}
	last := lines[len(lines)-1]
	if last != "::error title=firedrill load gate%3A p99%3A a%2C b::line1%0Aline2 (measured: 100%25)" {
		t.Fatalf("annotation %q", last)
	}
	if !GitHubActions(func(string) string { return "true" }) || GitHubActions(func(string) string { return "" }) {
		t.Fatal("GitHubActions")
	}
}

func TestReportHTMLSelfContained(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, forbidden := range []string{"<script", "<link", "src=\"http", "@import", "url(http"} {
		if strings.Contains(page, forbidden) {
			t.Errorf("report.html holds %q: it must open without network", forbidden)
		}
	}
	if n := strings.Count(page, `<svg class="chart"`); n != 3 {
		t.Errorf("%d charts, want the load's two and accounting's downstream", n)
	}
	if !strings.Contains(page, `class="verdict fail"`) || strings.Index(page, "success &gt;= 99.9%") > strings.Index(page, `id="gates"`) {
		t.Error("the failing gate is not named at the top")
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	pass := Gate{Name: "a", Kind: KindLoad, Passed: true}
	fail := Gate{Name: "b", Kind: KindLoad, Reason: "too slow", Measured: "2s"}
	skip := Gate{Name: "c", Kind: KindResilience, Skipped: true}
	tests := []struct {
		name  string
		gates []Gate
		code  ExitCode
		err   string
	}{
		{"all pass", []Gate{pass, skip}, ExitPass, ""},
		{"one fails", []Gate{pass, fail, skip}, ExitFail, `load "b": too slow (measured: 2s)`},
		{"nothing evaluated", []Gate{skip}, ExitFail, "no gate was evaluated"},
		{"no gates", nil, ExitFail, "no gate was evaluated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := Judge(tt.gates...)
			err := v.Err()
			if v.Code != tt.code || CodeOf(err) != tt.code {
				t.Fatalf("code %v, err code %v, want %v", v.Code, CodeOf(err), tt.code)
			}
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err %v, want %q", err, tt.err)
			}
		})
	}
}

var _ = context.Background

// TestReportWebhooks: what a mock delivered as webhooks shows in every
// report that lists systems, lost deliveries marked; a report without
// webhooks has no such section (the golden files prove the latter too).
func TestReportWebhooks(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.Systems[0].Webhooks = &Deliveries{Delivered: 118, Failed: 2, Pending: 1}
	var md, html, js bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "### Webhooks") || !strings.Contains(md.String(), "| shop ⚠️ | 118 | 2 | 0 | 1 |") {
		t.Errorf("summary.md lacks the webhook figures:\n%s", md.String())
	}
	if !strings.Contains(html.String(), "⚠ webhooks: 118 delivered, 2 failed, 0 dropped, 1 pending") {
		t.Error("report.html lacks the webhook figures")
	}
	var s struct {
		Systems []System `json:"systems"`
	}
	if err := json.Unmarshal(js.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if w := s.Systems[0].Webhooks; w == nil || *w != (Deliveries{Delivered: 118, Failed: 2, Pending: 1}) {
		t.Errorf("summary.json webhooks %+v", w)
	}

	r.Systems[0].Webhooks = &Deliveries{Delivered: 120}
	md.Reset()
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| shop | 120 | 0 | 0 | 0 |") {
		t.Errorf("a mock that lost nothing is marked or missing:\n%s", md.String())
	}
	r.Systems[0].Webhooks = nil
	md.Reset()
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Webhooks") {
		t.Error("summary.md shows a webhooks section for a run without webhooks")
	}
}

// TestReportIdentity checks that every report format names the firedrill
// version, the scenario's digest and each contract's, which tell two runs
// apart, and says nothing of them when the run did not know them.
func TestReportIdentity(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	want := map[string][]string{
		"summary.json": {`"version": "v0.3.0"`, `"scenario_file": "scenarios/flagship.yaml"`, `"scenario_digest": "` + r.ScenarioDigest + `"`,
			`"digest": "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"`},
		"summary.md":  {"firedrill v0.3.0 · scenario sha256:9f2c4e1b7a3d · shop contract sha256:0a1b2c3d4e5f"},
		"junit.xml":   {`name="firedrill.version" value="v0.3.0"`, `name="scenario.digest" value="` + r.ScenarioDigest + `"`, `name="contract.shop.contracts/shop.openapi.yaml" value="sha256:0a1b2c3d4e5f`},
		"report.html": {"firedrill v0.3.0 · scenario sha256:9f2c4e1b7a3d · shop contract sha256:0a1b2c3d4e5f", `title="sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"`},
	}
	bare := r
	bare.Version, bare.ScenarioFile, bare.ScenarioDigest = "", "", ""
	bare.Systems = []System{{Name: "shop", Kind: "mock", Contract: "contracts/shop.openapi.yaml"}}
	for name, texts := range want {
		var full, none bytes.Buffer
		if err := reportFiles[name](&full, r); err != nil {
			t.Fatal(err)
		}
		if err := reportFiles[name](&none, bare); err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			if !strings.Contains(full.String(), s) {
				t.Errorf("%s lacks %s", name, s)
			}
		}
		for _, s := range []string{"sha256:", "firedrill.version", "scenario_digest", `class="meta identity"`} {
			if strings.Contains(none.String(), s) {
				t.Errorf("%s of a run that knows no digest says %q", name, s)
			}
		}
	}
}
