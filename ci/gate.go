package ci

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of gate a verdict weighs.
const (
	KindLoad        = "load"
	KindContract    = "contract"
	KindConsistency = "consistency"
	KindResilience  = "resilience"
)

// Gate is one pass/fail decision with the figure it rests on.
type Gate struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"` // not exercised by the run: neither passes nor fails the verdict
	// NotRun marks a gate a stopped run never judged (interrupted, or a
	// set-up failure): it neither passes nor fails, and the verdict says why.
	NotRun bool `json:"not_run,omitempty"`
	// Deferred marks a gate judged elsewhere: a shard's load gates, which
	// firedrill merge judges on the whole run. It neither passes nor
	// fails here; a verdict whose gates are all deferred is DEFERRED, exit 0.
	Deferred bool   `json:"deferred,omitempty"`
	Measured string `json:"measured"` // the value measured, as a person reads it
	Reason   string `json:"reason"`   // why it passed or failed
	// Detail lists the evidence behind a failure (bounded): violations,
	// diffs, the journal entries at fault.
	Detail []string `json:"detail,omitempty"`
}

// Status is "pass", "fail", "skip", "deferred" or "not run".
func (g Gate) Status() string {
	switch {
	case g.NotRun:
		return "not run"
	case g.Deferred:
		return "deferred"
	case g.Skipped:
		return "skip"
	case g.Passed:
		return "pass"
	}
	return "fail"
}

// Verdict is the outcome of a run: every gate and the exit code they add up to.
type Verdict struct {
	Passed bool     `json:"passed"`
	Code   ExitCode `json:"exit_code"`
	Gates  []Gate   `json:"gates"`
	Failed int      `json:"failed"`
	// Deferred is set when no gate was judged here but some are judged
	// elsewhere (a shard's, by firedrill merge) and none failed: not a
	// pass, and no failure either (exit 0).
	Deferred bool `json:"deferred,omitempty"`
	// Stopped is set when the run ended before its gates could be judged,
	// or could not keep its evidence: then Code is its code, never a pass.
	Stopped *Stopped `json:"stopped,omitempty"`
}

// Stopped says why a run did not end with a judgement of its gates: it
// was interrupted (ExitInterrupted), could not set up or could not write
// its reports (ExitSetup), or could not run the scenario (ExitUsage).
type Stopped struct {
	Code  ExitCode `json:"exit_code"`
	Cause string   `json:"cause"`
}

// Stop returns the verdict of a run that stopped for s: not passed,
// with s's code. Gates keep their status: a caller that did not judge them
// marks them NotRun (see NotRun).
func (v Verdict) Stop(s Stopped) Verdict {
	v.Passed, v.Code, v.Stopped = false, s.Code, &s
	return v
}

// NotRun returns gates marked as never judged, with why in their reason
// and nothing measured: a stopped run's partial figures are no measure.
func NotRun(gates []Gate, why string) []Gate {
	out := make([]Gate, len(gates))
	for i, g := range gates {
		if !g.Skipped {
			g.NotRun, g.Passed, g.Deferred = true, false, false
			g.Measured, g.Reason, g.Detail = "not measured", "not run: "+why, nil
		}
		out[i] = g
	}
	return out
}

// Headline is the verdict in a word or two, for the terminal and the
// reports: PASS, FAIL, INTERRUPTED or SET-UP FAILED.
func (v Verdict) Headline() string {
	switch {
	case v.Stopped != nil && v.Code == ExitInterrupted:
		return "INTERRUPTED"
	case v.Stopped != nil && v.Code == ExitUsage:
		return "INVALID SCENARIO"
	case v.Stopped != nil:
		return "SET-UP FAILED"
	case v.Passed:
		return "PASS"
	case v.Deferred:
		return "DEFERRED"
	}
	return "FAIL"
}

// Judge weighs gates into a verdict: it fails when any gate that was not
// skipped failed. No gates at all is a failure: a run that checked nothing
// proves nothing.
func Judge(gates ...Gate) Verdict {
	v := Verdict{Gates: gates}
	active, deferred := 0, 0
	for _, g := range gates {
		if g.Deferred && !g.NotRun {
			deferred++
			continue
		}
		if g.Skipped || g.NotRun {
			continue
		}
		active++
		if !g.Passed {
			v.Failed++
		}
	}
	v.Passed = active > 0 && v.Failed == 0
	v.Deferred = active == 0 && deferred > 0
	v.Code = ExitPass
	if !v.Passed && !v.Deferred {
		v.Code = ExitFail
	}
	return v
}

// ErrNoGates is the reason a verdict over no active gate fails.
var ErrNoGates = errors.New("ci: no gate was evaluated")

// Err is nil when the verdict passed, else one error listing every failed
// gate, carrying ExitFail. The same call ends a test (t.Fatal(v.Err())) and a
// CI run.
func (v Verdict) Err() error {
	if v.Passed || (v.Deferred && v.Stopped == nil) {
		return nil
	}
	if v.Stopped != nil {
		return WithExit(v.Code, errors.New(v.Stopped.Cause))
	}
	if v.Failed == 0 {
		return WithExit(ExitFail, ErrNoGates)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ci: %d of %d gates failed", v.Failed, len(v.Gates))
	for _, g := range v.Gates {
		if g.Status() == "fail" {
			fmt.Fprintf(&b, "\n  %s %q: %s (measured: %s)", g.Kind, g.Name, g.Reason, g.Measured)
		}
	}
	return WithExit(ExitFail, errors.New(b.String()))
}
