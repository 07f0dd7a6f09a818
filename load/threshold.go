package load

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Threshold is one pass/fail condition on a run, parsed from text such as
// "p99 < 800ms", "p95 <= 1s", "success >= 99.5%", "rate >= 0.98 * target",
// "errors < 10", `step "create order" p99 < 300ms` (or step:create) or
// "iteration p99 < 2s". It keeps its source text so reports can quote it.
//
// What it reads (Scope): with no prefix, every request of every step,
// except rate and throughput, which count iterations as the target does;
// "step NAME", that step's requests; "iteration", whole passes through
// the flow, each from its first step's start to its last step's end.
type Threshold struct {
	Source string
	Scope  Scope
	// Step names the step the threshold reads when Scope is ScopeStep.
	Step   string
	Metric string // p50 p90 p95 p99 p99.9 max mean success rate throughput errors requests
	Op     string // < <= > >=
	// Value is in the metric's unit: seconds for latencies, a ratio in
	// [0, 1] for success, per second for rate and throughput, a count for
	// errors and requests. When OfTarget, it is a fraction of the target rate.
	Value    float64
	OfTarget bool
	// Window, when set ("over any 10s"), judges every span of that many
	// consecutive whole seconds of the run, sliding by a second, and fails
	// on the worst; 0 judges the whole run.
	Window time.Duration
}

// Scope is what a threshold measures.
type Scope string

// The scopes.
const (
	ScopeRequest   Scope = "request"   // every request of every step
	ScopeStep      Scope = "step"      // the requests of one step
	ScopeIteration Scope = "iteration" // whole iterations of the flow
)

// Reads says what t measures, for a report: "per request", "per request
// of step create", "per iteration".
func (t Threshold) Reads() string {
	switch t.scope() {
	case ScopeStep:
		return "per request of step " + strconv.Quote(t.Step)
	case ScopeIteration:
		return "per iteration"
	}
	return "per request"
}

// scope is the scope t reads: a named step's, and unprefixed rate and
// throughput count iterations, as the target rate does.
func (t Threshold) scope() Scope {
	if t.Step != "" {
		return ScopeStep
	}
	if (t.Scope == ScopeRequest || t.Scope == "") && (t.Metric == "rate" || t.Metric == "throughput") {
		return ScopeIteration
	}
	if t.Scope == "" {
		return ScopeRequest
	}
	return t.Scope
}

// stats picks the measures t reads from r.
func (t Threshold) stats(r *Report) (Stats, bool) {
	switch t.scope() {
	case ScopeStep:
		return r.Step(t.Step)
	case ScopeIteration:
		return r.Flow, true
	}
	return r.Requests, true
}

// metricKind says how a metric's value is written and read.
type metricKind int

const (
	kindLatency metricKind = iota
	kindRatio
	kindRate
	kindCount
)

var metrics = map[string]metricKind{
	"p50": kindLatency, "p90": kindLatency, "p95": kindLatency, "p99": kindLatency, "p99.9": kindLatency,
	"max": kindLatency, "mean": kindLatency,
	"success": kindRatio, "rate": kindRate, "throughput": kindRate,
	"errors": kindCount, "requests": kindCount,
}

// ErrBadThreshold wraps every threshold parse error.
var ErrBadThreshold = errors.New("load: bad threshold")

// ParseThreshold reads one threshold. Errors name the 1-based column.
func ParseThreshold(src string) (Threshold, error) {
	t := Threshold{Source: src, Scope: ScopeRequest}
	fail := func(col int, format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %q: column %d: %s", ErrBadThreshold, src, col+1, fmt.Sprintf(format, args...))
	}
	toks := tokenize(src)
	if len(toks) == 0 {
		return fail(0, "empty (write e.g. \"p99 < 800ms\")")
	}
	switch first := toks[0].s; {
	case strings.HasPrefix(first, "step:"):
		name := strings.TrimPrefix(first, "step:")
		if !validVarName(name) {
			return fail(toks[0].at, "step name missing or bad after \"step:\" (a name with spaces: step \"create order\")")
		}
		t.Scope, t.Step, toks = ScopeStep, name, toks[1:]
	case first == "step":
		if len(toks) < 2 {
			return fail(len(src), `want the step's name after "step", e.g. step "create order" p99 < 300ms`)
		}
		name := toks[1].s
		if strings.HasPrefix(name, `"`) {
			var err error
			if name, err = strconv.Unquote(name); err != nil {
				return fail(toks[1].at, "the step's name %s has no closing quote", toks[1].s)
			}
		}
		if strings.TrimSpace(name) == "" {
			return fail(toks[1].at, "the step's name is empty")
		}
		t.Scope, t.Step, toks = ScopeStep, name, toks[2:]
	case first == "iteration":
		t.Scope, toks = ScopeIteration, toks[1:]
	}
	if n := len(toks); n >= 3 && toks[n-3].s == "over" && toks[n-2].s == "any" {
		w, err := parseWindow(toks[n-1].s)
		if err != nil {
			return fail(toks[n-1].at, "%v", err)
		}
		t.Window, toks = w, toks[:n-3]
	}
	if len(toks) < 3 {
		return fail(len(src), "want <metric> <op> <value>, e.g. \"p99 < 800ms\"")
	}
	kind, ok := metrics[toks[0].s]
	if !ok {
		return fail(toks[0].at, "unknown metric %q (p50 p90 p95 p99 p99.9 max mean success rate throughput errors requests, after an optional step \"NAME\" or iteration)", toks[0].s)
	}
	t.Metric = toks[0].s
	switch toks[1].s {
	case "<", "<=", ">", ">=":
		t.Op = toks[1].s
	default:
		return fail(toks[1].at, "unknown operator %q (< <= > >=)", toks[1].s)
	}
	val, rest := toks[2], toks[3:]
	var err error
	switch kind {
	case kindLatency:
		var d time.Duration
		d, err = time.ParseDuration(val.s)
		t.Value = d.Seconds()
		if err == nil && d < 0 {
			err = errors.New("negative")
		}
		if err != nil {
			return fail(val.at, "%q is not a duration such as 800ms or 1.5s", val.s)
		}
	case kindRatio:
		t.Value, err = parseRatio(val.s)
		if err != nil {
			return fail(val.at, "%v", err)
		}
	case kindRate:
		if len(rest) == 2 && rest[0].s == "*" && rest[1].s == "target" {
			t.OfTarget, rest = true, nil
		}
		t.Value, err = strconv.ParseFloat(strings.TrimSuffix(val.s, "/s"), 64)
		if err != nil || t.Value < 0 || math.IsInf(t.Value, 0) || math.IsNaN(t.Value) {
			return fail(val.at, "%q is not a rate such as 120/s or 0.98 * target", val.s)
		}
	case kindCount:
		n, err := strconv.ParseUint(val.s, 10, 64)
		if err != nil {
			return fail(val.at, "%q is not a whole number", val.s)
		}
		t.Value = float64(n)
	}
	if len(rest) > 0 {
		return fail(rest[0].at, "unexpected %q after the value", rest[0].s)
	}
	return t, nil
}

func parseRatio(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a ratio such as 99.5%% or 0.995", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("%q is outside 0%%..100%%", s)
	}
	return v, nil
}

type token struct {
	s  string
	at int // byte offset
}

// tokenize splits on spaces and around operators and '*'; a quoted
// string ("create order") is one token, quotes included (an unclosed one
// runs to the end).
func tokenize(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			out = append(out, token{s[i:j], i})
			i = j
		case c == '<' || c == '>' || c == '=' || c == '!':
			j := i + 1
			for j < len(s) && strings.IndexByte("<>=!", s[j]) >= 0 {
				j++
			}
			out = append(out, token{s[i:j], i})
			i = j
		case c == '*':
			out = append(out, token{"*", i})
			i++
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && strings.IndexByte("<>=!*", s[j]) < 0 {
				j++
			}
			out = append(out, token{s[i:j], i})
			i = j
		}
	}
	return out
}

// ParseThresholds reads several thresholds; the error lists every bad one.
func ParseThresholds(srcs ...string) ([]Threshold, error) {
	var out []Threshold
	var errs []error
	for _, s := range srcs {
		t, err := ParseThreshold(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

func (t Threshold) String() string { return t.Source }

// Verdict is a threshold checked against a report.
type Verdict struct {
	Threshold Threshold
	Measured  string // the measured value, formatted like the threshold's
	Pass      bool
	// Message reads "p99 < 800ms: measured 912ms per request — failed".
	Message string
}

// Check evaluates t against r.
func (t Threshold) Check(r *Report) Verdict {
	s, ok := t.stats(r)
	if !ok {
		return t.missing("no step " + strconv.Quote(t.Step) + " in the results")
	}
	if t.OfTarget && r.Target <= 0 {
		return t.missing("no target rate known")
	}
	limit := t.Value
	if t.OfTarget {
		limit *= r.Target
	}
	if t.Window > 0 {
		return t.checkWindows(r, s, limit)
	}
	v := t.measure(s)
	var pass bool
	switch t.Op {
	case "<":
		pass = v < limit
	case "<=":
		pass = v <= limit
	case ">":
		pass = v > limit
	case ">=":
		pass = v >= limit
	}
	if s.Requests == 0 && t.Metric != "requests" && t.Metric != "errors" {
		return t.missing("no requests (" + t.Reads() + ")")
	}
	m := t.format(v)
	if t.OfTarget {
		m += fmt.Sprintf(" (limit %s)", t.format(limit))
	}
	return t.verdict(m, pass)
}

// missing is the failed verdict of a threshold with nothing to measure: a
// gate without data never passes.
func (t Threshold) missing(why string) Verdict {
	return Verdict{Threshold: t, Measured: why, Message: fmt.Sprintf("%s: %s — failed", t.Source, why)}
}

func (t Threshold) verdict(measured string, pass bool) Verdict {
	word := "failed"
	if pass {
		word = "passed"
	}
	return Verdict{Threshold: t, Measured: measured, Pass: pass,
		Message: fmt.Sprintf("%s: measured %s %s — %s", t.Source, measured, t.Reads(), word)}
}

func (t Threshold) measure(s Stats) float64 {
	switch t.Metric {
	case "p50":
		return s.P50.Seconds()
	case "p90":
		return s.P90.Seconds()
	case "p95":
		return s.P95.Seconds()
	case "p99":
		return s.P99.Seconds()
	case "p99.9":
		return s.P999.Seconds()
	case "max":
		return s.Max.Seconds()
	case "mean":
		return s.Mean.Seconds()
	case "success":
		return s.Success
	case "rate":
		return s.Rate
	case "throughput":
		return s.Throughput
	case "errors":
		return float64(s.Errors)
	}
	return float64(s.Requests)
}

func (t Threshold) format(v float64) string {
	switch metrics[t.Metric] {
	case kindLatency:
		return time.Duration(v * float64(time.Second)).Round(10 * time.Microsecond).String()
	case kindRatio:
		return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
	case kindRate:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// doomed reports whether t can no longer pass, given the live counters of
// its step (or flow) and the number of requests the schedule will send.
// Errors and max only grow; success falls below its bound for good once the
// errors exceed what the whole schedule allows.
func (t Threshold) doomed(errs uint64, max time.Duration, planned float64) bool {
	if t.Window > 0 && t.Metric != "max" { // run-wide counts say nothing of one window
		return false
	}
	switch {
	case t.Metric == "errors" && t.Op == "<":
		return float64(errs) >= t.Value
	case t.Metric == "errors" && t.Op == "<=":
		return float64(errs) > t.Value
	case t.Metric == "max" && t.Op == "<":
		return max.Seconds() >= t.Value
	case t.Metric == "max" && t.Op == "<=":
		return max.Seconds() > t.Value
	case t.Metric == "success" && (t.Op == ">=" || t.Op == ">") && planned > 0:
		return float64(errs) > (1-t.Value)*planned
	}
	return false
}

// CheckAll evaluates every threshold and returns the verdicts and whether
// all passed.
func CheckAll(r *Report, ts []Threshold) ([]Verdict, bool) {
	all := true
	out := make([]Verdict, 0, len(ts))
	for _, t := range ts {
		v := t.Check(r)
		all = all && v.Pass
		out = append(out, v)
	}
	return out, all
}
