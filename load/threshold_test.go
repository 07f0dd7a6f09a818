package load

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		want Threshold
	}{
		{"p99 < 800ms", Threshold{Scope: ScopeRequest, Metric: "p99", Op: "<", Value: 0.8}},
		{"p95 <= 1s", Threshold{Scope: ScopeRequest, Metric: "p95", Op: "<=", Value: 1}},
		{"success >= 99.5%", Threshold{Scope: ScopeRequest, Metric: "success", Op: ">=", Value: 0.995}},
		{"success>=0.9", Threshold{Scope: ScopeRequest, Metric: "success", Op: ">=", Value: 0.9}},
		{"rate >= 0.98 * target", Threshold{Scope: ScopeRequest, Metric: "rate", Op: ">=", Value: 0.98, OfTarget: true}},
		{"rate>=0.98*target", Threshold{Scope: ScopeRequest, Metric: "rate", Op: ">=", Value: 0.98, OfTarget: true}},
		{"throughput > 100/s", Threshold{Scope: ScopeRequest, Metric: "throughput", Op: ">", Value: 100}},
		{"errors < 10", Threshold{Scope: ScopeRequest, Metric: "errors", Op: "<", Value: 10}},
		{"step:create p99 < 500ms", Threshold{Scope: ScopeStep, Step: "create", Metric: "p99", Op: "<", Value: 0.5}},
		{`step "create order" p99 < 300ms`, Threshold{Scope: ScopeStep, Step: "create order", Metric: "p99", Op: "<", Value: 0.3}},
		{`step create p99.9 <= 1s`, Threshold{Scope: ScopeStep, Step: "create", Metric: "p99.9", Op: "<=", Value: 1}},
		{"iteration p99 < 2s", Threshold{Scope: ScopeIteration, Metric: "p99", Op: "<", Value: 2}},
		{"iteration success >= 99%", Threshold{Scope: ScopeIteration, Metric: "success", Op: ">=", Value: 0.99}},
	} {
		got, err := ParseThreshold(tc.src)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		tc.want.Source = tc.src
		if got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.src, got, tc.want)
		}
	}
}

func TestParseThresholdErrorsNamePosition(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"":                      "column 1: empty",
		"p98 < 1s":              `column 1: unknown metric "p98"`,
		"p99 = 1s":              `column 5: unknown operator "="`,
		"p99 < 8x0ms":           `column 7: "8x0ms" is not a duration`,
		"success >= 101%":       `column 12: "101%" is outside`,
		"errors < 2.5":          `column 10: "2.5" is not a whole number`,
		"p99 < 1s please":       `column 10: unexpected "please"`,
		"step: p99 < 1s":        "column 1: step name missing",
		"p99 <":                 "want <metric> <op> <value>",
		"rate >= 0.98 * budget": `column 14: unexpected "*"`,
		`step "create p99 < 1s`: `column 6: the step's name "create p99 < 1s has no closing quote`,
		`step "" p99 < 1s`:      "column 6: the step's name is empty",
		"step":                  `want the step's name after "step"`,
		"iteration p98 < 1s":    `column 11: unknown metric "p98"`,
	} {
		_, err := ParseThreshold(src)
		if err == nil || !errors.Is(err, ErrBadThreshold) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", src, err, want)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p99 < 800ms", "success >= 99.5%", "rate >= 0.98 * target", "step:a errors <= 3", "<<=*", "p99 < 1s over any 10s", "errors < 3 over any"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			if !strings.Contains(err.Error(), "column ") {
				t.Fatalf("%q: error without a column: %v", s, err)
			}
			return
		}
		if th.Source != s || metrics[th.Metric] < kindLatency {
			t.Fatalf("%q: %+v", s, th)
		}
		th.Check(&Report{Target: 1}) // never panics
	})
}

func TestThresholdCheckQuotesMeasuredValue(t *testing.T) {
	t.Parallel()
	// Three measures that disagree, as they do on a two-step flow: each
	// threshold reads the one its prefix names.
	rep := &Report{Target: 100,
		Requests: Stats{Requests: 2000, Errors: 12, Success: 0.994, P99: 480 * time.Millisecond, Rate: 194},
		Flow:     Stats{Requests: 1000, Errors: 12, Success: 0.988, P99: 912 * time.Millisecond, Rate: 97},
		Steps:    []Stats{{Name: "create order", Requests: 1000, P99: 300 * time.Millisecond}, {Name: "read", Requests: 1000, P99: 20 * time.Millisecond}}}
	for src, want := range map[string]string{
		"p99 < 800ms":                  "p99 < 800ms: measured 480ms per request — passed",
		"iteration p99 < 800ms":        "iteration p99 < 800ms: measured 912ms per iteration — failed",
		"p99 < 1s":                     "p99 < 1s: measured 480ms per request — passed",
		"success >= 99.5%":             "success >= 99.5%: measured 99.40% per request — failed",
		"iteration success >= 98.5%":   "iteration success >= 98.5%: measured 98.80% per iteration — passed",
		"errors < 10":                  "errors < 10: measured 12 per request — failed",
		"rate >= 0.98 * target":        "rate >= 0.98 * target: measured 97.0/s (limit 98.0/s) per iteration — failed",
		"rate >= 0.95 * target":        "rate >= 0.95 * target: measured 97.0/s (limit 95.0/s) per iteration — passed",
		`step "create order" p99 < 1s`: `step "create order" p99 < 1s: measured 300ms per request of step "create order" — passed`,
		"step:read p99 < 10ms":         `step:read p99 < 10ms: measured 20ms per request of step "read" — failed`,
		"step:get p99 < 1s":            `step:get p99 < 1s: no step "get" in the results — failed`,
	} {
		th, err := ParseThreshold(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Check(rep).Message; got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
}

// The proof of the thresholds: the same thresholds pass on a fast target
// and fail on one slowed by latency (the negative control), each naming the
// value it measured.
func TestThresholdsPassFastFailSlow(t *testing.T) {
	t.Parallel()
	ths, err := ParseThresholds("p99 < 800ms", "success >= 99%", "step:get p95 <= 800ms")
	if err != nil {
		t.Fatal(err)
	}
	run := func(delay time.Duration) []Verdict {
		_, srv := newFakeStore(t, delay)
		rep, err := Run(context.Background(), Plan{
			Flow:  Flow{Steps: []Step{{Name: "get", URL: srv.URL + "/health"}}},
			Shape: Constant(50), Duration: time.Second, Thresholds: ths})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := CheckAll(rep, ths)
		return v
	}
	for _, v := range run(0) {
		if !v.Pass {
			t.Errorf("fast target: %s", v.Message)
		}
	}
	// A busy CI machine can add hundreds of ms to a fast answer: the slow
	// target is slower than any such noise.
	slow := run(1200 * time.Millisecond)
	for i, want := range []bool{false, true, false} {
		if slow[i].Pass != want {
			t.Errorf("slow target: %s (want pass=%v)", slow[i].Message, want)
		}
	}
	if d, err := time.ParseDuration(slow[0].Measured); err != nil || d < 1200*time.Millisecond ||
		!strings.Contains(slow[0].Message, "measured "+slow[0].Measured) || !strings.HasSuffix(slow[0].Message, "failed") {
		t.Errorf("slow p99 message %q lacks the measured ≥ 1.2s", slow[0].Message)
	}
}

func TestThresholdAbortsRunEarly(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStore(t, 0)
	ths, _ := ParseThresholds("errors < 10")
	start := time.Now()
	rep, err := Run(context.Background(), Plan{
		Flow:  Flow{Steps: []Step{{Name: "get", URL: srv.URL + "/orders/none", Expect: 200}}},
		Shape: Constant(100), Duration: 20 * time.Second, Thresholds: ths})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second || rep.Aborted != `threshold "errors < 10" can no longer pass` {
		t.Fatalf("after %s: aborted %q", time.Since(start), rep.Aborted)
	}
	if v := ths[0].Check(rep); v.Pass {
		t.Fatalf("verdict %s", v.Message)
	}
	// Negative control: the same threshold on a healthy target runs to the end.
	_, ok := newFakeStore(t, 0)
	rep, err = Run(context.Background(), Plan{
		Flow:  Flow{Steps: []Step{{Name: "get", URL: ok.URL + "/health"}}},
		Shape: Constant(100), Duration: time.Second, Thresholds: ths})
	if err != nil || rep.Aborted != "" {
		t.Fatalf("healthy run aborted %q (err %v)", rep.Aborted, err)
	}
}
