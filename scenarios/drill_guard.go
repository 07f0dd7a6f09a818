package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// Breach is a safeguard that broke its bound during the attack: what it
// read, when, and the bound it broke.
type Breach struct {
	Safeguard string        `json:"safeguard"`
	Time      time.Time     `json:"time"`
	At        time.Duration `json:"at"` // since the attack started
	Reading   string        `json:"reading"`
	Bound     string        `json:"bound"`
}

// String says it as the report does.
func (b Breach) String() string {
	return fmt.Sprintf("safeguard %q broke at %.1fs into the attack (%s): read %s, bound %s; load stopped, every fault rolled back",
		b.Safeguard, b.At.Seconds(), b.Time.UTC().Format(time.RFC3339), b.Reading, b.Bound)
}

// guard polls a drill's safeguards during the attack. The first that
// breaks its bound stops the load and rolls every fault back at once.
type guard struct {
	r     *run
	start time.Time
	stop  func() // ends the attack: the load stops
	tl    *chaos.Timeline

	mu       sync.Mutex
	live     load.Progress // the load's last progress
	polls    map[string]int
	last     map[string]string  // each safeguard's last reading
	values   map[string]float64 // and its value: a ratio, seconds, 1 up or 0 down
	breach   *Breach
	rollback error
	wg       sync.WaitGroup
}

// startGuard starts polling the drill's safeguards, if any, until ctx
// ends; nil when the run has none.
func (r *run) startGuard(ctx context.Context, start time.Time, stop func(), tl *chaos.Timeline) *guard {
	if r.s.Drill == nil || len(r.s.Drill.Safeguards) == 0 {
		return nil
	}
	g := &guard{r: r, start: start, stop: stop, tl: tl, polls: map[string]int{}, last: map[string]string{}, values: map[string]float64{}}
	for _, sg := range r.s.Drill.Safeguards {
		g.wg.Add(1)
		go g.watch(ctx, sg)
	}
	r.auditMu.Lock()
	r.guard = g
	r.auditMu.Unlock()
	return g
}

// observe takes the load's progress, for the load safeguards. Nil-safe.
func (g *guard) observe(p load.Progress) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.live = p
	g.mu.Unlock()
}

// wait waits for every poller to end (ctx ended).
func (g *guard) wait() {
	if g != nil {
		g.wg.Wait()
	}
}

// watch polls one safeguard every interval until ctx ends or one breaks.
func (g *guard) watch(ctx context.Context, sg Safeguard) {
	defer g.wg.Done()
	t := time.NewTicker(sg.every())
	defer t.Stop()
	var before load.Progress
	for {
		final := false
		select {
		case <-ctx.Done():
			// The load's last numbers are read once more: a short attack
			// ends before a second poll.
			if sg.kind() == "url" || g.Breached() != nil {
				return
			}
			final = true
		case <-t.C:
		}
		reading, value, bound, broke, ok := g.read(ctx, sg, &before)
		if !ok || (ctx.Err() != nil && !final) {
			if final {
				return
			}
			continue
		}
		g.mu.Lock()
		g.polls[sg.Name]++
		g.last[sg.Name] = reading
		g.values[sg.Name] = value
		g.mu.Unlock()
		if broke {
			g.trip(sg, reading, bound)
			return
		}
		if final {
			return
		}
	}
}

// read polls a safeguard once: its reading as text and as a number, its
// bound, whether it broke, and whether there was anything to read (no new
// request since the last poll reads nothing).
func (g *guard) read(ctx context.Context, sg Safeguard, before *load.Progress) (reading string, value float64, bound string, broke, ok bool) {
	g.mu.Lock()
	now := g.live
	g.mu.Unlock()
	switch sg.kind() {
	case "error_ratio":
		n := now.Requests - before.Requests
		if now.Requests < before.Requests || n == 0 {
			return "", 0, "", false, false
		}
		failed := now.Errors - before.Errors
		ratio := float64(failed) / float64(n)
		*before = now
		return fmt.Sprintf("error ratio %.3f (%d of %d requests since the last poll)", ratio, failed, n), ratio,
			fmt.Sprintf("error ratio <= %v", *sg.ErrorRatio), ratio > *sg.ErrorRatio, true
	case "p99":
		if now.Requests == 0 {
			return "", 0, "", false, false
		}
		return "p99 " + now.P99.Round(time.Millisecond).String(), now.P99.Seconds(), "p99 <= " + sg.P99.D().String(), now.P99 > sg.P99.D(), true
	default:
		url, err := g.r.res.Expand(sg.URL)
		if err != nil {
			return err.Error(), 0, "a url that resolves", true, true
		}
		client := &http.Client{Timeout: min(sg.every(), 5*time.Second)}
		res := ci.Probe(ctx, ci.ProbeOptions{Name: sg.Name, URL: url, Expect: sg.Expect, JSON: sg.JSON, Client: client, Redact: g.r.secrets.Redact})
		bound = "answers 2xx"
		if sg.Expect != 0 {
			bound = fmt.Sprintf("answers %d", sg.Expect)
		}
		if sg.JSON != "" {
			bound += " and " + sg.JSON
		}
		reading, value = res.Measured, 1
		if !res.Passed {
			reading, value = res.Reason, 0
		}
		return reading, value, bound, !res.Passed, true
	}
}

// trip records the first breach, stops the load and rolls back every
// fault at once; later breaches are only counted.
func (g *guard) trip(sg Safeguard, reading, bound string) {
	now := time.Now()
	g.mu.Lock()
	if g.breach != nil {
		g.mu.Unlock()
		return
	}
	b := &Breach{Safeguard: sg.Name, Time: now, At: now.Sub(g.start), Reading: reading, Bound: bound}
	g.breach = b
	g.mu.Unlock()
	g.r.progress("SAFEGUARD %q broke: %s (bound %s): stopping the load, rolling every fault back", sg.Name, reading, bound)
	g.r.log.Warn("scenarios: safeguard broke", "safeguard", sg.Name, "reading", reading, "bound", bound)
	g.r.audit("safeguard broke", sg.Name, "ok", reading+"; bound "+bound)
	g.stop()
	err := g.tl.Rollback()
	outcome, detail := "ok", "every fault reverted"
	if err != nil {
		outcome, detail = "error", err.Error()
	}
	g.r.audit("rollback", "", outcome, detail)
	g.mu.Lock()
	g.rollback = err
	g.mu.Unlock()
}

// Breached is the breach, or nil when every safeguard held. Nil-safe.
func (g *guard) Breached() *Breach {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.breach
}

// gates are the safeguards as gates of the verdict: a broken one fails
// the drill, naming what it read and when.
func (g *guard) gates() []ci.Gate {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var gates []ci.Gate
	for _, sg := range g.r.s.Drill.Safeguards {
		gate := ci.Gate{Name: sg.Name, Kind: "safeguard", Passed: true,
			Measured: fmt.Sprintf("%d polls, last: %s", g.polls[sg.Name], g.last[sg.Name]),
			Reason:   fmt.Sprintf("held every %s during the attack", sg.every())}
		if g.polls[sg.Name] == 0 {
			gate.Passed, gate.Skipped, gate.Reason = false, true, "never read: the attack ended before its first poll, or sent no request"
		}
		if b := g.breach; b != nil && b.Safeguard == sg.Name {
			gate.Passed, gate.Reason = false, b.String()
			if g.rollback != nil {
				gate.Detail = append(gate.Detail, "rollback: "+g.rollback.Error())
			}
		}
		gates = append(gates, gate)
	}
	return gates
}
