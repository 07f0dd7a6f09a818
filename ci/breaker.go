package ci

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// DefaultOutageKinds are the fault kinds during which a breaker must open.
var defaultOutageKinds = []string{"down", "outage", "status", "error", "reset", "timeout", "reset_peer"}

// BlindOutageKinds are the outages the journal cannot count attempts in:
// the proxy in front of the mock refuses the connection (down), resets it
// (reset_peer) or swallows its data (timeout), so a request the service
// sent never reaches the mock. A breaker judged over one would pass for
// lack of data; a mock fault (status 503) is the outage to judge it by.
var BlindOutageKinds = []string{"down", "reset_peer", "timeout"}

// ErrBlindOutage is why a breaker gate cannot be judged over a blind outage.
var ErrBlindOutage = errors.New("the proxy refuses or swallows the requests before they reach the mock, so no attempt is counted: judge a breaker by a mock fault ({fault: status, status: 503}) on the system")

// BreakerOptions bound the breaker gate.
type BreakerOptions struct {
	System  string        // the failing system (required)
	MaxRate float64       // requests per second allowed once the breaker should be open
	Within  time.Duration // how long the breaker may take to open after the outage begins
	// Kinds are the fault kinds that count as an outage (down, outage,
	// status, error, reset, timeout, reset_peer when empty).
	Kinds []string
}

// Breaker is the gate "a breaker opens": during every outage of the system,
// from Within after it began to its end (a partial fault, that fails only
// some calls, is no outage), the rate of requests the system
// received stays at or below MaxRate. The journal only holds requests that
// reached the mock: faults the mock injects (status, error) are measured;
// behind a proxy that refuses connections (BlindOutageKinds) the mock sees
// nothing, so such windows are not judged, and a gate with only those
// fails for lack of data instead of passing "0 req/s". A system that
// received no request at all fails the same way.
func Breaker(entries []toolkit.Entry, windows []FaultWindow, o BreakerOptions) Gate {
	g := Gate{Name: "breaker opens" + onSystem(o.System), Kind: KindResilience}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = defaultOutageKinds
	}
	j := inbound(entries, o.System)
	worst, judged, partial := -1.0, 0, 0
	var blind []string
	for _, w := range windows {
		if w.Target != o.System || !slices.Contains(kinds, w.Kind) {
			continue
		}
		if w.Partial {
			// Some calls still go through: a breaker counting failures
			// need not open, and one that did would be wrong as often.
			partial++
			continue
		}
		if slices.Contains(BlindOutageKinds, w.Kind) {
			blind = append(blind, w.Kind)
			continue
		}
		from := w.Start.Add(o.Within)
		span := w.End.Sub(from)
		if span <= 0 {
			continue
		}
		n := 0
		for i := range j {
			if !j[i].Time.Before(from) && j[i].Time.Before(w.End) {
				n++
			}
		}
		// A rate under the bound cannot show in a window shorter than one
		// interval of the bound: one request (a breaker's probe) in the
		// last 600 ms of a cut-short outage is no 1.6/s. Such a window is
		// read as one interval long.
		over := span
		if o.MaxRate > 0 {
			over = max(span, time.Duration(float64(time.Second)/o.MaxRate))
		}
		rate := float64(n) / over.Seconds()
		judged++
		worst = max(worst, rate)
		if rate > o.MaxRate {
			g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s outage %s–%s: %d requests in the last %s, %.1f/s > %.1f/s",
				w.Kind, w.Start.Format("15:04:05.000"), w.End.Format("15:04:05.000"), n, ms(span), rate, o.MaxRate))
		}
	}
	switch {
	case judged == 0 && len(blind) > 0:
		// Not a pass: nothing was measured.
		g.Measured = fmt.Sprintf("no data: %d %s outages of %s, none a mock could see", len(blind), strings.Join(slices.Compact(slices.Sorted(slices.Values(blind))), "/"), o.System)
		g.Reason = "no data: " + ErrBlindOutage.Error()
		return g
	case judged == 0:
		g.Skipped = true
		g.Measured = "no outage of " + o.System + " longer than " + ms(o.Within)
		if partial > 0 {
			g.Measured += fmt.Sprintf("; %d partial faults (a rate under 1, one operation) are no outage", partial)
		}
		g.Reason = "not exercised"
		return g
	case len(j) == 0:
		g.Measured = "no data: " + o.System + " received no request in the whole run"
		g.Reason = "no data: without any request to the system a breaker cannot be told from a service that never called"
		return g
	}
	g.Measured = fmt.Sprintf("%.1f req/s at most during %d outages, %s after they began (bound %.1f/s)", worst, judged, ms(o.Within), o.MaxRate)
	if partial > 0 {
		g.Measured += fmt.Sprintf("; %d partial faults not judged", partial)
	}
	g.Passed = len(g.Detail) == 0
	if g.Passed {
		g.Reason = "the request rate to the failing system dropped under the bound"
	} else {
		g.Reason = "the integration kept calling the failing system: no breaker opened"
	}
	return g
}

// TimeoutOptions bound the timeouts gate.
type TimeoutOptions struct {
	System string        // "" for every system
	Max    time.Duration // the longest a call may wait
}

// Timeouts is the gate "no call waits longer than Max". What it measures:
// how long the mock took to answer (the entry's Duration), cut short where
// the client sent the same logical request again before the answer (it
// gave up and retried). A client that gave up without retrying is not in
// the journal, so the figure is an upper bound of the wait; delay added
// between the client and the mock (a proxy's latency) is not in it either.
func Timeouts(entries []toolkit.Entry, o TimeoutOptions) Gate {
	g := Gate{Name: "calls time out" + onSystem(o.System), Kind: KindResilience}
	j := inbound(entries, o.System)
	same := j.nextSame()
	var longest time.Duration
	over := 0
	for i := range j {
		e := &j[i]
		wait := e.Duration
		if n := same[i]; n >= 0 && j[n].Time.Before(e.Time.Add(wait)) {
			wait = j[n].Time.Sub(e.Time) // the client gave up and sent it again
		}
		longest = max(longest, wait)
		if wait > o.Max {
			over++
			g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s at %s waited %s", describe(e), e.Time.Format("15:04:05.000"), ms(wait)))
		}
	}
	if len(j) == 0 {
		g.Skipped = true
		g.Measured = "no calls"
		g.Reason = "not exercised"
		return g
	}
	g.Measured = fmt.Sprintf("longest wait %s over %d calls (bound %s)", ms(longest), len(j), ms(o.Max))
	g.Passed = over == 0
	if g.Passed {
		g.Reason = "every call ended within the bound"
	} else {
		g.Reason = fmt.Sprintf("%d calls waited longer than %s: the client has no timeout", over, ms(o.Max))
	}
	return g
}

// RecoveryOptions bound the recovery gate.
type RecoveryOptions struct {
	System string        // the system the faults targeted ("" for every fault)
	Within time.Duration // how long after the last fault ended recovery may take
	// CaughtUpAt is when the integration had caught up (a settled
	// consistency check's end, say). Zero: read from the journal, as when
	// the backlog drained: the last success of a logical request that had
	// failed by the end of the fault (the end itself when none failed).
	CaughtUpAt time.Time
	// Probe, if set, must report the integration healthy now (its health
	// endpoint, a dead-letter queue that is empty).
	Probe func(ctx context.Context) error
	// Zero is when the attack started: the reports' one time base, on
	// which the gate says when the last fault ended ("+20.003s"). Unset,
	// it says the time of day.
	Zero time.Time
}

// Recovery is the gate "the integration recovers": after the last fault
// ends, it succeeds again against the system and is caught up within a bound.
func Recovery(ctx context.Context, entries []toolkit.Entry, windows []FaultWindow, o RecoveryOptions) Gate {
	g := Gate{Name: "recovers after faults" + onSystem(o.System), Kind: KindResilience}
	var end time.Time
	for _, w := range windows {
		if (o.System == "" || w.Target == o.System) && w.End.After(end) {
			end = w.End
		}
	}
	if end.IsZero() {
		g.Skipped, g.Measured, g.Reason = true, "no fault", "not exercised"
		return g
	}
	j := inbound(entries, o.System)
	var first time.Time
	for _, e := range j {
		if !e.Time.Before(end) && e.Status/100 == 2 {
			first = e.Time
			break
		}
	}
	caught, stuck := o.CaughtUpAt, 0
	if caught.IsZero() {
		caught, stuck = backlogDrained(j, end)
	}
	var problems []string
	switch {
	case stuck > 0:
		problems = append(problems, fmt.Sprintf("never caught up: %d requests that failed by the end of the fault never went through", stuck))
	case caught.Sub(end) > o.Within:
		problems = append(problems, fmt.Sprintf("caught up %s after the fault, bound %s", ms(caught.Sub(end)), ms(o.Within)))
	}
	switch {
	case first.IsZero():
		problems = append(problems, "no successful request after the last fault ended")
	case first.Sub(end) > o.Within:
		problems = append(problems, fmt.Sprintf("first success %s after the fault, bound %s", ms(first.Sub(end)), ms(o.Within)))
	}
	if o.Probe != nil {
		if err := o.Probe(ctx); err != nil {
			problems = append(problems, "probe: "+err.Error())
		}
	}
	g.Measured = "last fault ended at " + offset(o.Zero, end)
	if !first.IsZero() {
		g.Measured += fmt.Sprintf("; first success after %s", ms(first.Sub(end)))
	}
	if stuck == 0 {
		g.Measured += fmt.Sprintf("; caught up after %s", ms(max(caught.Sub(end), 0)))
	}
	g.Passed = len(problems) == 0
	g.Detail = problems
	if g.Passed {
		g.Reason = fmt.Sprintf("healthy and caught up within %s", ms(o.Within))
	} else {
		g.Reason = problems[0]
	}
	return g
}

// backlogDrained finds when the requests that failed by end finally went
// through, and how many never did.
func backlogDrained(j journal, end time.Time) (time.Time, int) {
	pending := map[string]bool{}
	for i := range j {
		e := &j[i]
		if e.Time.After(end) {
			break
		}
		k := logical(e)
		if failed(e) {
			pending[k] = true
		} else {
			delete(pending, k)
		}
	}
	drained := end
	for i := range j {
		e := &j[i]
		if !e.Time.After(end) || failed(e) {
			continue
		}
		if k := logical(e); pending[k] {
			delete(pending, k)
			drained = e.Time
		}
	}
	return drained, len(pending)
}
