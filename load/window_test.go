package load

import (
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestParseWindowedThreshold(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"p99 < 500ms over any 10s":                   "10s",
		"success >= 99% over any 30s":                "30s",
		`step "create order" errors < 5 over any 1m`: "1m0s",
		"iteration p99 < 2s over any 10s":            "10s",
		"rate >= 0.98 * target over any 10s":         "10s",
		"p99 < 500ms over any 1.5s":                  "whole number of seconds",
		"p99 < 500ms over any 500ms":                 "at least 1s",
		"p99 < 500ms over any 31m":                   "longer than the longest run",
		"p99 < 500ms over any ten":                   "not a duration",
		"p99 < 500ms over 10s":                       "unexpected",
	} {
		th, err := ParseThreshold(src)
		got := th.Window.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("%q: %s, want %s", src, got, want)
		}
	}
	if th, _ := ParseThreshold("errors < 5 over any 10s"); th.doomed(10, 0, 100) {
		t.Error("a windowed error count is doomed by the whole run's errors")
	}
}

// windowReport is a 60 s run at 100 requests per second of 10 ms, with
// slow seconds [slowFrom, slowFrom+slowFor) where 5% take 900 ms and
// fail, and no request in the seconds of gap.
func windowReport(slowFrom, slowFor int, gap ...int) *Report {
	start := time.Unix(1_790_000_000, 0)
	b := newBuilder("flow", []string{"one"}, start)
	for sec := range 60 {
		if len(gap) > 0 && sec >= gap[0] && sec < gap[1] {
			continue
		}
		for i := range 100 {
			r := vegeta.Result{Attack: "one", Code: 200, Timestamp: start.Add(time.Duration(sec)*time.Second + time.Duration(i)*10*time.Millisecond),
				Latency: 10 * time.Millisecond}
			if sec >= slowFrom && sec < slowFrom+slowFor && i%20 == 0 {
				r.Latency, r.Code, r.Error = 900*time.Millisecond, 500, "boom"
			}
			b.add(&r)
		}
	}
	rep := b.report()
	rep.Duration, rep.Target = 60*time.Second, 100
	return rep
}

// TestWindowedThresholdsSeeASpike: a 3 s spike is 0.25% of the run, so
// the whole run's p99 passes, but 1.5% of the 10 s windows around it:
// "over any 10s" fails and names the window; a run without the spike
// passes; a window without requests fails.
func TestWindowedThresholdsSeeASpike(t *testing.T) {
	t.Parallel()
	spike, calm, gap := windowReport(20, 3), windowReport(99, 0), windowReport(99, 0, 30, 42)
	for _, c := range []struct {
		th   string
		rep  *Report
		pass bool
		want string
	}{
		{"p99 < 500ms", spike, true, "10.01ms"},
		{"p99 < 500ms over any 10s", spike, false, "900ms in 00:13–00:23"},
		{"p99 < 500ms over any 10s", calm, true, "10ms in 00:00–00:10"},
		{"success >= 99% over any 10s", spike, false, "98.50% in 00:13–00:23"},
		{"success >= 99%", spike, true, "99.75%"},
		{"errors < 5 over any 10s", spike, false, "15 in 00:13–00:23"},
		{"errors < 16 over any 10s", spike, true, "15 in 00:13–00:23"},
		{"max < 1s over any 10s", spike, true, "900ms"},
		{"mean < 20ms over any 5s", spike, false, "in 00:18–00:23"},
		{"rate >= 0.98 * target over any 10s", calm, true, "100.0/s in 00:00–00:10 (limit 98.0/s)"},
		{"rate >= 0.98 * target over any 10s", gap, false, "no requests in 00:30–00:40"},
		{"requests >= 1 over any 10s", gap, false, "0 in 00:30–00:40"},
		{"p99 < 500ms over any 2m", spike, true, "10.01ms in the whole run (00:00–01:00, shorter than 2m0s)"},
		{"p99 < 5ms over any 2m", spike, false, "the whole run"},
	} {
		th, err := ParseThreshold(c.th)
		if err != nil {
			t.Fatal(err)
		}
		v := th.Check(c.rep)
		if v.Pass != c.pass || !strings.Contains(v.Message, c.want) {
			t.Errorf("%s: %s; want pass=%v and %q", c.th, v.Message, c.pass, c.want)
		}
	}
	// A report built by hand has no per-second histograms: a windowed
	// latency gate says so instead of passing.
	th, _ := ParseThreshold("p99 < 1s over any 10s")
	if v := th.Check(&Report{Requests: Stats{Requests: 10, Series: []Bucket{{Second: 0, Requests: 10}}}}); v.Pass || !strings.Contains(v.Message, "no per-second histograms") {
		t.Errorf("hand-built report: %s", v.Message)
	}
}
