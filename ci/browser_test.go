package ci

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// chromium finds a Chromium or Chrome binary: $FIREDRILL_CHROMIUM, then the
// usual names on PATH (Debian's package installs /usr/bin/chromium).
func chromium() string {
	if p := os.Getenv("FIREDRILL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifacts is where the test leaves what a person may want to look at:
// $FIREDRILL_ARTIFACTS when set, else the test's temporary folder.
func artifacts(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("FIREDRILL_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "ci")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// pageFacts is what the browser saw of a report.
type pageFacts struct {
	Charts       int      `json:"charts"`
	ChartHeights []int    `json:"chartHeights"`
	Points       []int    `json:"points"`
	Faults       int      `json:"faults"`
	Verdict      string   `json:"verdict"`
	VerdictClass string   `json:"verdictClass"`
	VerdictTop   int      `json:"verdictTop"`
	Failing      []string `json:"failing"`
	FailingShown bool     `json:"failingShown"`
	Map          int      `json:"map"`
	// Sections are the headings drawn with a height, in page order.
	Sections []string `json:"sections"`
	Identity string   `json:"identity"`
	NotRun   int      `json:"notRun"`
}

const factsJS = `(() => {
  const v = document.querySelector('#verdict');
  const charts = [...document.querySelectorAll('svg.chart')];
  const failing = [...document.querySelectorAll('.failing-gate')];
  const shown = failing.length > 0 && failing.every(el => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top < window.innerHeight && getComputedStyle(el).visibility === 'visible';
  });
  const id = document.querySelector('.identity');
  return {
    charts: charts.length,
    chartHeights: charts.map(c => Math.round(c.getBoundingClientRect().height)),
    points: [...document.querySelectorAll('svg.chart polyline')].map(p => p.points.numberOfItems),
    faults: document.querySelectorAll('svg.chart g.fault rect').length,
    verdict: v ? v.innerText : '',
    verdictClass: v ? v.className : '',
    verdictTop: v ? Math.round(v.getBoundingClientRect().top) : -1,
    failing: failing.map(el => el.innerText),
    failingShown: shown,
    map: document.querySelectorAll('svg.map g.system').length,
    sections: [...document.querySelectorAll('h2')].filter(h => h.getBoundingClientRect().height > 0).map(h => h.innerText),
    identity: id ? id.innerText : '',
    notRun: document.querySelectorAll('#gates tr.notrun').length,
  };
})()`

// reportStates are the four states a run's report can be in, each with
// the verdict it must show and the sections it must draw, in order.
func reportStates(t *testing.T) []struct {
	name, class, words string
	r                  Report
	sections           []string
} {
	all := []string{"Gates", "Latency", "Load over time", "Downstream traffic", "Faults", "Systems", "Consistency", "Audit log"}
	failing := sampleReport(t)
	passing := sampleReport(t)
	passing.Scenario = "baseline at peak"
	passing.Gates = passing.Gates[:1]
	setup := sampleReport(t)
	setup.Gates = NotRun(setup.Gates, "set-up failed")
	setup.Stopped = &Stopped{Code: ExitSetup, Cause: `service "sync" exited with status 7 at setup 2.0s`}
	setup.Series, setup.Downstream, setup.Consistency, setup.Audit, setup.AttackStart, setup.Latency = nil, nil, nil, nil, time.Time{}, nil
	interrupted := sampleReport(t)
	interrupted.Gates = NotRun(interrupted.Gates, "interrupted")
	interrupted.Stopped = &Stopped{Code: ExitInterrupted, Cause: "interrupted by a signal at 12.0s (attack)"}
	interrupted.Consistency = nil
	return []struct {
		name, class, words string
		r                  Report
		sections           []string
	}{
		{"failing", "fail", "FAILED: 3 of 8 gates", failing, all},
		{"passing", "pass", "PASSED", passing, all},
		{"setup-failed", "stopped", "SET-UP FAILED: service", setup, []string{"Gates", "Load over time", "Faults", "Systems"}},
		{"interrupted", "stopped", "INTERRUPTED: interrupted by a signal", interrupted, []string{"Gates", "Latency", "Load over time", "Downstream traffic", "Faults", "Systems", "Audit log"}},
	}
}

// TestReportInBrowser opens report.html from a file:// URL in Chromium
// (headless, driven by chromedp) for each state a run can end in (gate
// failure, pass, set-up failure, interrupted) and checks what a person
// sees: the verdict at the top in its colour, the sections the state must
// draw and no other, the SVG charts holding data with the fault windows
// shaded, the failing gates in the first screen, the gates a stopped run
// never judged marked as such. A screenshot of each is kept as an
// artefact.
func TestReportInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		corpustest.Missing(t, "no chromium installed: apt-get install -y chromium (.ci/run installs it in CI)")
	}
	dir := artifacts(t)
	states := reportStates(t)
	for _, st := range states {
		if err := WriteAll(filepath.Join(dir, st.name), st.r); err != nil {
			t.Fatal(err)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // start the browser without a deadline, as chromedp asks
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	open := func(name string) pageFacts {
		t.Helper()
		u := "file://" + filepath.ToSlash(filepath.Join(dir, name, "report.html"))
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("#verdict"))); err != nil {
			t.Fatalf("open %s: %v", u, err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
		if err != nil {
			t.Fatalf("read %s: %v", u, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		shot := filepath.Join(dir, name+".png")
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the %s report: %s (%d bytes)", name, shot, len(png))
		return f
	}

	for _, st := range states {
		f := open(st.name)
		if !strings.Contains(f.VerdictClass, st.class) || f.VerdictTop > 200 || !strings.Contains(f.Verdict, st.words) {
			t.Errorf("%s: verdict %q (class %q, %d px from the top), want %q in class %q at the top", st.name, f.Verdict, f.VerdictClass, f.VerdictTop, st.words, st.class)
		}
		if strings.Join(f.Sections, " | ") != strings.Join(st.sections, " | ") {
			t.Errorf("%s: sections drawn %q, want %q", st.name, f.Sections, st.sections)
		}
		for _, h := range f.ChartHeights {
			if h < 100 {
				t.Errorf("%s: a chart is %d px high: not rendered", st.name, h)
			}
		}
		if !strings.Contains(f.Identity, "firedrill v0.3.0 · scenario sha256:") {
			t.Errorf("%s: the page does not name the version and digests: %q", st.name, f.Identity)
		}
		switch st.name {
		case "failing":
			// The load's two charts and the downstream one; 4 + 8 series
			// of 40 seconds; the outage shaded on each.
			if f.Charts != 3 || len(f.Points) != 12 || f.Faults != 3 || f.Map != 4 {
				t.Errorf("charts %d, series %d, fault bands %d, map boxes %d; want 3 charts, 12 series, 3 bands, 4 boxes", f.Charts, len(f.Points), f.Faults, f.Map)
			}
			for i, n := range f.Points {
				if n < 40 {
					t.Errorf("series %d has %d points, want 40 or more", i, n)
				}
			}
			if !f.FailingShown || !strings.Contains(strings.Join(f.Failing, "\n"), "success >= 99.9%") {
				t.Errorf("failing gate not visible at the top: %+v", f)
			}
		case "passing":
			if len(f.Failing) != 0 {
				t.Errorf("a passing report lists failing gates: %v", f.Failing)
			}
		default:
			notRun := 0
			for _, g := range st.r.Gates {
				if g.NotRun {
					notRun++
				}
			}
			if notRun == 0 || f.NotRun != notRun || len(f.Failing) != 0 {
				t.Errorf("%s: %d gates marked not run, want %d; %d listed as failing", st.name, f.NotRun, notRun, len(f.Failing))
			}
		}
	}
}
