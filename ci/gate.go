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
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Passed   bool   `json:"passed"`
	Skipped  bool   `json:"skipped,omitempty"` // not exercised by the run: neither passes nor fails the verdict
	Measured string `json:"measured"`          // the value measured, as a person reads it
	Reason   string `json:"reason"`            // why it passed or failed
	// Detail lists the evidence behind a failure (bounded): violations,
	// diffs, the journal entries at fault.
	Detail []string `json:"detail,omitempty"`
}

// Status is "pass", "fail" or "skip".
func (g Gate) Status() string {
	switch {
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
}

// Judge weighs gates into a verdict: it fails when any gate that was not
// skipped failed. No gates at all is a failure: a run that checked nothing
// proves nothing.
func Judge(gates ...Gate) Verdict {
	v := Verdict{Gates: gates}
	active := 0
	for _, g := range gates {
		if g.Skipped {
			continue
		}
		active++
		if !g.Passed {
			v.Failed++
		}
	}
	v.Passed = active > 0 && v.Failed == 0
	v.Code = ExitPass
	if !v.Passed {
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
	if v.Passed {
		return nil
	}
	if v.Failed == 0 {
		return WithExit(ExitFail, ErrNoGates)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ci: %d of %d gates failed", v.Failed, len(v.Gates))
	for _, g := range v.Gates {
		if !g.Passed && !g.Skipped {
			fmt.Fprintf(&b, "\n  %s %q: %s (measured: %s)", g.Kind, g.Name, g.Reason, g.Measured)
		}
	}
	return WithExit(ExitFail, errors.New(b.String()))
}
