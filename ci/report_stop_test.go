package ci

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"sync"
	"testing"
)

// renderAll renders every report file of r, by name.
func renderAll(t *testing.T, r Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range ReportFiles() {
		var buf bytes.Buffer
		if err := reportFiles[name](&buf, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = buf.String()
	}
	return out
}

// junitCounts reads the counts of a junit.xml.
func junitCounts(t *testing.T, doc string) junitSuites {
	t.Helper()
	var s junitSuites
	if err := xml.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatalf("junit.xml: %v\n%s", err, doc)
	}
	return s
}

// summaryOf reads summary.json.
func summaryOf(t *testing.T, doc string) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return s
}

// TestStoppedRunReportsSayWhy: an interrupted run and a run that failed to
// set up say so in every report: exit code 130 or 3, gates never judged
// "not run" (not failed), one errored JUnit case naming the cause. The
// same gates, judged, are the control: a failure, exit 1.
func TestStoppedRunReportsSayWhy(t *testing.T) {
	t.Parallel()
	judged := sampleReport(t)
	files := renderAll(t, judged)
	if s := summaryOf(t, files["summary.json"]); s.ExitCode != ExitFail || s.Verdict != "fail" || s.NotRun != 0 {
		t.Fatalf("the judged control: verdict %s, exit %d, not run %d", s.Verdict, s.ExitCode, s.NotRun)
	}
	if j := junitCounts(t, files["junit.xml"]); j.Failures == 0 || j.Errors != 0 {
		t.Fatalf("the judged control: junit %d failures, %d errors", j.Failures, j.Errors)
	}
	for _, tc := range []struct {
		code                  ExitCode
		cause, verdict, words string
	}{
		{ExitInterrupted, "interrupted by a signal at +12.0s (attack)", "interrupted", "INTERRUPTED"},
		{ExitSetup, `service "sync" exited with status 7 at +2.0s`, "setup", "SET-UP FAILED"},
	} {
		t.Run(tc.verdict, func(t *testing.T) {
			t.Parallel()
			r := sampleReport(t)
			r.Gates = NotRun(r.Gates, tc.cause)
			r.Stopped = &Stopped{Code: tc.code, Cause: tc.cause}
			files := renderAll(t, r)
			s := summaryOf(t, files["summary.json"])
			if s.ExitCode != tc.code || s.Verdict != tc.verdict || s.Cause != tc.cause || s.Failed != 0 {
				t.Errorf("summary.json: verdict %s, exit %d, cause %q, failed %d", s.Verdict, s.ExitCode, s.Cause, s.Failed)
			}
			skipped := 0
			for _, g := range r.Gates {
				if g.Skipped {
					skipped++
				}
			}
			if s.NotRun != len(r.Gates)-skipped || s.NotRun == 0 {
				t.Errorf("summary.json: %d gates not run, want %d", s.NotRun, len(r.Gates)-skipped)
			}
			j := junitCounts(t, files["junit.xml"])
			if j.Failures != 0 || j.Errors != 1 || j.Skipped != len(r.Gates) || j.Tests != len(r.Gates)+1 {
				t.Errorf("junit.xml: %d tests, %d failures, %d errors, %d skipped", j.Tests, j.Failures, j.Errors, j.Skipped)
			}
			if !strings.Contains(files["junit.xml"], tc.cause) && !strings.Contains(files["junit.xml"], xmlEscape(tc.cause)) {
				t.Errorf("junit.xml does not name the cause:\n%s", files["junit.xml"])
			}
			for _, name := range []string{"summary.md", "report.html"} {
				doc := files[name]
				if strings.Contains(doc, "(fail)") || strings.Contains(doc, "❌ failed") || strings.Contains(doc, `class="verdict fail"`) {
					t.Errorf("%s calls a stopped run a failure:\n%s", name, head(doc))
				}
				if !strings.Contains(strings.ToUpper(doc), tc.words) || !strings.Contains(doc, "("+tc.verdict+")") {
					t.Errorf("%s does not say %s (%s):\n%s", name, tc.words, tc.verdict, head(doc))
				}
			}
		})
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func head(s string) string {
	if i := strings.Index(s, "<h2>Load"); i > 0 {
		return s[:i]
	}
	if len(s) > 1500 {
		return s[:1500]
	}
	return s
}

// failingFiles keeps what it is given in memory and fails on one name.
type failingFiles struct {
	mu    sync.Mutex
	fail  string
	files map[string][]byte
}

var errDiskFull = errors.New("no space left on device")

func (f *failingFiles) WriteFile(name string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == f.fail {
		return errDiskFull
	}
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[name] = data
	return nil
}

// TestWriteFilesFailureIsNeverAPass: a passing run whose summary.md cannot
// be written is a set-up failure, and every file that could be written
// says so, not pass. The control: the same run written whole passes.
func TestWriteFilesFailureIsNeverAPass(t *testing.T) {
	t.Parallel()
	pass := sampleReport(t)
	pass.Gates = pass.Gates[:1]
	whole := &failingFiles{}
	if out, err := WriteFiles(whole, pass); err != nil || !out.Verdict().Passed {
		t.Fatalf("the control: %v, verdict %+v", err, out.Verdict())
	}
	if s := summaryOf(t, string(whole.files["summary.json"])); s.ExitCode != ExitPass {
		t.Fatalf("the control: summary.json exit %d", s.ExitCode)
	}
	fs := &failingFiles{fail: "summary.md"}
	out, err := WriteFiles(fs, pass)
	if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "summary.md") {
		t.Fatalf("WriteFiles: %v", err)
	}
	if v := out.Verdict(); v.Passed || v.Code != ExitSetup {
		t.Errorf("the report as written: %+v", v)
	}
	s := summaryOf(t, string(fs.files["summary.json"]))
	if s.ExitCode != ExitSetup || s.Verdict != "setup" || !strings.Contains(s.Cause, "summary.md") {
		t.Errorf("summary.json: verdict %s, exit %d, cause %q", s.Verdict, s.ExitCode, s.Cause)
	}
	j := junitCounts(t, string(fs.files["junit.xml"]))
	if j.Errors != 1 || !strings.Contains(string(fs.files["junit.xml"]), "summary.md") {
		t.Errorf("junit.xml: %d errors\n%s", j.Errors, fs.files["junit.xml"])
	}
	if html := string(fs.files["report.html"]); strings.Contains(html, "PASSED") || !strings.Contains(html, "SET-UP FAILED") {
		t.Errorf("report.html:\n%s", head(html))
	}
}

// TestReadJSONRendersTheSameReports writes summary.json for each state a
// run ends in, reads it back and renders every report again: each must be
// byte for byte the report written from the run, so firedrill report can
// write a run folder's reports again and compare runs from their folders.
func TestReadJSONRendersTheSameReports(t *testing.T) {
	t.Parallel()
	traced := sampleReport(t)
	res := traced.Consistency[0]
	TraceResult(&res, traceJournal(), TraceOptions{Source: "shop", Zero: traced.Zero(), Faults: traced.Faults})
	traced.Consistency = []Result{res}
	traced.Gates = append(traced.Gates, res.Gate())
	cases := map[string]Report{"traced": traced}
	for _, st := range reportStates(t) {
		cases[st.name] = st.r
	}
	for name, r := range cases {
		want := renderAll(t, r)
		back, err := ReadJSON(strings.NewReader(want["summary.json"]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := renderAll(t, back)
		for file := range want {
			if got[file] != want[file] {
				t.Errorf("%s: %s written again from summary.json differs", name, file)
			}
		}
	}
	if _, err := ReadJSON(strings.NewReader(`{"verdict":"pass","exit_code":0,"gates":[{"name":"g","kind":"load","passed":false}]}`)); err == nil {
		t.Error("a summary.json whose exit code its gates contradict was read")
	}
}
