package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// backoffGates checks the options of every backoff gate: they apply only
// to backoff: exponential, thresholds that can be met, windows inside the
// attack and faults to be during.
func (v *validator) backoffGates() {
	for i, r := range v.s.Gates.Resilience {
		path := fmt.Sprintf("gates.resilience[%d]", i)
		if r.Backoff != "exponential" {
			for field, set := range map[string]bool{
				"min_growth": r.MinGrowth != 0, "give_up_after": r.GiveUpAfter.D() != 0, "retry_after_grace": r.RetryAfterGrace.D() != 0,
				"operation": r.Operation != "", "window": r.Window != nil, "during_faults": r.DuringFaults,
			} {
				if set {
					v.addf(path+"."+field, "set backoff: exponential", "%s applies to the backoff gate, which this entry does not ask for", field)
				}
			}
		}
		if r.MinGrowth != 0 && r.MinGrowth < 1 {
			v.addf(path+".min_growth", "exponential backoff doubles: 2; the default is 1.4", "min_growth %v is below 1: intervals that shrink are no backoff", r.MinGrowth)
		}
		for field, d := range map[string]Duration{"give_up_after": r.GiveUpAfter, "retry_after_grace": r.RetryAfterGrace} {
			if d.D() < 0 {
				v.addf(path+"."+field, "", "%s must not be negative", field)
			}
		}
		if g, c := r.GiveUpAfter.D(), r.MaxBackoff.D(); g > 0 && c > 0 && g <= c {
			v.addf(path+".give_up_after", "", "give_up_after %s is not longer than max_backoff %s: every capped retry would begin a new chain", r.GiveUpAfter, r.MaxBackoff)
		}
		if r.Window != nil && r.DuringFaults {
			v.addf(path+".window", "", "window and during_faults both limit the gate: choose one")
		}
		if w := r.Window; w != nil {
			switch {
			case w.From.D() < 0 || w.To.D() < 0:
				v.addf(path+".window", "", "a window counts from the start of the attack: from and to must not be negative")
			case w.To.D() > 0 && w.To.D() <= w.From.D():
				v.addf(path+".window.to", "", "the window ends (%s) before it begins (%s)", w.To, w.From)
			case v.s.Load != nil && v.s.Load.Duration.D() > 0 && w.From.D() >= v.s.Load.Duration.D():
				v.addf(path+".window.from", "", "the window begins at %s, after the attack (%s)", w.From, v.s.Load.Duration)
			}
		}
		if r.DuringFaults && !v.faultOn(r.System) {
			v.addf(path+".during_faults", "", "no fault in chaos targets %q: there is nothing to be during", r.System)
		}
	}
}

// faultOn reports whether the timeline holds a fault on system.
func (v *validator) faultOn(system string) bool {
	for _, f := range v.s.Chaos {
		if !f.data() && (f.Proxy == system || f.System == system) {
			return true // a data event is no fault: nothing is on
		}
	}
	return false
}

// fieldChecks checks how each consistency field compares: a known
// comparison, and a zone that exists and has instants to read.
func (v *validator) fieldChecks() {
	c := v.s.Gates.Consistency
	if c == nil {
		return
	}
	for i, chk := range c.Checks {
		for _, name := range sortedKeys(chk.Fields) {
			f := chk.Fields[name]
			path := fmt.Sprintf("gates.consistency.checks[%d].fields.%s", i, name)
			if f.Compare != "" && f.Compare != CompareInstant {
				v.addf(path+".compare", hintFrom(f.Compare, []string{CompareInstant}), "compare %q is unknown: the comparison is instant", f.Compare)
			}
			if f.Zone == "" {
				continue
			}
			if f.Compare == "" && f.TimeTolerance.D() == 0 {
				v.addf(path+".zone", "set compare: instant", "zone applies to instants, which this field does not compare")
			}
			if _, err := time.LoadLocation(f.Zone); err != nil {
				v.addf(path+".zone", "an IANA name such as Europe/Berlin", "zone %q is unknown", f.Zone)
			}
		}
	}
}

// breakerGates refuses a breaker gate the run could only pass for lack of
// data: one whose system's outages are all faults the mock cannot see (a
// down toxic refuses connections at the proxy), or that are all shorter
// than breaker_within.
func (v *validator) breakerGates() {
	for i, r := range v.s.Gates.Resilience {
		if r.MaxRateDuringOutage.IsZero() {
			continue
		}
		path := fmt.Sprintf("gates.resilience[%d].max_rate_during_outage", i)
		var blind []string
		seen, long := 0, 0
		for _, f := range v.s.Chaos {
			switch {
			case f.Proxy == r.System && slices.Contains(ci.BlindOutageKinds, f.Toxic):
				blind = append(blind, f.Toxic)
			case f.System == r.System && f.Fault == "status":
				seen++
				if f.For.D() > r.BreakerWithin.D() {
					long++
				}
			}
		}
		hint := fmt.Sprintf("add {at: 10s, for: 10s, system: %s, fault: status, status: 503}", r.System)
		switch {
		case seen == 0 && len(blind) > 0:
			v.addf(path, hint, "the breaker gate cannot be judged behind a %s toxic: %v", blind[0], ci.ErrBlindOutage)
		case seen == 0:
			v.addf(path, hint, "no outage of %q on the timeline: the breaker gate would have nothing to judge", r.System)
		case long == 0:
			v.addf(fmt.Sprintf("gates.resilience[%d].breaker_within", i), "", "every outage of %q is %s or shorter: nothing is left to judge after breaker_within", r.System, r.BreakerWithin)
		}
	}
}

// probe checks what a probe expects: a status that exists and an
// expression that compiles.
func (v *validator) probe(path string, p Probe) {
	if p.Expect != 0 && (p.Expect < 100 || p.Expect > 599) {
		v.addf(path+".expect", "", "%d is not an HTTP status", p.Expect)
	}
	if p.JSON != "" {
		if err := ci.CompileProbe(p.JSON); err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			v.addf(path+".json", "a CEL expression over body and status: body.count == 0", "%s", strings.TrimPrefix(first, "ERROR: "))
		}
	}
	if p.Within != nil && p.Within.D() < 0 {
		v.addf(path+".within", "", "within must not be negative")
	}
}

// hasService reports whether a system is the service under test.
func (s *Scenario) hasService() bool {
	for _, sys := range s.Systems {
		if sys != nil && sys.Service != nil {
			return true
		}
	}
	return false
}

// Runtimes are the runtimes a run can use today.
var Runtimes = []string{"embedded", "docker", "staging"}

// runtimeAndThresholds checks what run refuses before anything starts: a
// runtime that is not built, and load thresholds that do not parse.
func (v *validator) runtimeAndThresholds() {
	if r := v.s.Runtime; (r == "docker" || r == "staging") && !slices.Contains(Runtimes, r) {
		v.addf("runtime", "remove it: embedded is the default", "the %s runtime is not available in this firedrill: the runtimes are %s", r, strings.Join(Runtimes, ", "))
	}
	for i, t := range v.s.Gates.Load {
		if strings.TrimSpace(t) == "" {
			continue // reported as empty
		}
		th, err := load.ParseThreshold(t)
		if err != nil {
			v.addf(fmt.Sprintf("gates.load[%d]", i), `e.g. "p99 < 800ms", "success >= 99.9%", "iteration p99 < 2s", step "create order" p99 < 300ms`, "%s", strings.TrimPrefix(err.Error(), "load: "))
			continue
		}
		if th.Scope != load.ScopeStep || v.s.Load == nil {
			continue
		}
		var names []string
		for _, st := range v.s.Load.Flow {
			names = append(names, st.Name)
		}
		if !slices.Contains(names, th.Step) {
			v.addf(fmt.Sprintf("gates.load[%d]", i), "the flow's steps are "+strings.Join(quoteAll(names), ", "), "%q names step %q, which the flow does not have", t, th.Step)
		}
	}
}

// loadContracts loads every system's contract, as run does before anything
// starts, so a document that does not load (a broken $ref, a schema that
// does not parse) is a problem of the scenario at its contract: field.
func (v *validator) loadContracts() {
	for _, name := range v.s.sortedSystems() {
		if sys := v.s.Systems[name]; sys != nil && (sys.Contract != "" || len(sys.Contracts) > 0) {
			v.contract(name)
		}
	}
}

// quoteAll quotes each name, for a hint that lists them.
func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}
