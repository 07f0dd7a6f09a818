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
}

const factsJS = `(() => {
  const v = document.querySelector('#verdict');
  const charts = [...document.querySelectorAll('svg.chart')];
  const failing = [...document.querySelectorAll('.failing-gate')];
  const shown = failing.length > 0 && failing.every(el => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top < window.innerHeight && getComputedStyle(el).visibility === 'visible';
  });
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
  };
})()`

// TestReportInBrowser opens report.html from a file:// URL in Chromium
// (headless, driven by chromedp) and checks that it renders, that the SVG
// charts hold data with the fault window shaded, and that a failing gate is
// visible in the first screen; a passing report is the negative control.
// The screenshot is kept as an artefact.
func TestReportInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		corpustest.Missing(t, "no chromium installed: apt-get install -y chromium (.ci/run installs it in CI)")
	}
	dir := artifacts(t)
	failing := sampleReport(t)
	passing := sampleReport(t)
	passing.Scenario = "baseline at peak"
	passing.Gates = passing.Gates[:1]
	for name, r := range map[string]Report{"failing": failing, "passing": passing} {
		if err := WriteAll(filepath.Join(dir, name), r); err != nil {
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
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
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
		return f
	}

	f := open("failing")
	if f.Charts != 2 || len(f.Points) != 4 || f.Faults != 2 || f.Map != 4 {
		t.Errorf("charts %d, series %v, fault bands %d, map boxes %d; want 2 charts, 4 series, 2 bands, 4 boxes", f.Charts, f.Points, f.Faults, f.Map)
	}
	for i, n := range f.Points {
		if n != 40 {
			t.Errorf("series %d has %d points, want 40", i, n)
		}
	}
	for _, h := range f.ChartHeights {
		if h < 100 {
			t.Errorf("a chart is %d px high: not rendered", h)
		}
	}
	if !strings.Contains(f.VerdictClass, "fail") || f.VerdictTop > 200 || !f.FailingShown ||
		!strings.Contains(strings.Join(f.Failing, "\n"), "success >= 99.9%") {
		t.Errorf("failing gate not visible at the top: %+v", f)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the failing report: %s (%d bytes)", shot, len(png))

	p := open("passing")
	if !strings.Contains(p.VerdictClass, "pass") || len(p.Failing) != 0 || !strings.Contains(p.Verdict, "PASSED") {
		t.Errorf("passing report: %+v", p)
	}
}
