package ci

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Window is a span of time a gate is limited to; a zero bound leaves that
// side open.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func (w Window) holds(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || t.Before(w.To))
}

// BackoffOptions bound the retries gate.
type BackoffOptions struct {
	System string // "" for every system
	// Operation limits the gate to one operation: an operationId,
	// "METHOD /template" or "METHOD /path" ("" for every operation).
	Operation string
	// Windows limit the gate to the chains that began within one of them
	// (none: every chain).
	Windows []Window
	// MinGrowth is the least growth per retry of the wait before it
	// (DefaultMinGrowth when 0), as growth measures it: exponential
	// backoff doubles it, with any jitter (full jitter scatters each wait
	// under a ceiling that doubles); fixed delays and immediate retries
	// keep it at 1.
	MinGrowth float64
	// Cap is the longest interval allowed (0: not checked); once a chain's
	// wait comes within Jitter of the cap, it has stopped growing and its
	// later waits are left out of the growth.
	Cap    time.Duration
	Jitter float64 // DefaultJitter when 0
	// GiveUp is the longest gap inside a chain: the service gave up on a
	// request it did not send again within it, and a later attempt (a
	// dead-letter queue's redrive, a reconciliation) begins a new chain.
	// When 0: 2 × Cap × (1 + Jitter) with a cap, DefaultGiveUp without.
	GiveUp time.Duration
	// RetryAfterGrace is how much later than a Retry-After (or a GraphQL
	// cost throttle) asked a retry may come and still be the vendor's
	// pacing, not the client's backoff: such intervals are left out of the
	// growth and the cap (DefaultRetryAfterGrace when 0).
	RetryAfterGrace time.Duration
}

// Defaults of BackoffOptions.
const (
	DefaultMinGrowth       = 1.4
	DefaultJitter          = 0.5
	DefaultGiveUp          = time.Minute
	DefaultRetryAfterGrace = time.Second
)

func (o *BackoffOptions) defaults() {
	if o.MinGrowth <= 0 {
		o.MinGrowth = DefaultMinGrowth
	}
	if o.Jitter <= 0 {
		o.Jitter = DefaultJitter
	}
	if o.RetryAfterGrace <= 0 {
		o.RetryAfterGrace = DefaultRetryAfterGrace
	}
	switch {
	case o.GiveUp > 0:
	case o.Cap > 0:
		o.GiveUp = time.Duration(2 * float64(o.Cap) * (1 + o.Jitter))
	default:
		o.GiveUp = DefaultGiveUp
	}
}

// chain is the attempts of one logical request, each after a failed one.
type chain struct {
	attempts []*toolkit.Entry
	rekeyed  []*toolkit.Entry // attempts sent under another key than the one before
	closed   bool
}

func (c *chain) last() *toolkit.Entry { return c.attempts[len(c.attempts)-1] }

// chains groups the journal into retry chains: attempts of one logical
// request (logical), each after a failed one. A chain ends with a success,
// or when the service gives up: an attempt more than giveUp after the one
// before begins a new chain (restarts counts those). A write sent again,
// after a failure, with the same body under a new idempotency key
// continues its chain and is kept in rekeyed.
func (j journal) chains(giveUp time.Duration) (out []*chain, restarts int) {
	open := map[string]*chain{}   // by logical request
	byBody := map[string]*chain{} // keyed writes, by sameBody
	end := func(c *chain) {
		if !c.closed {
			c.closed = true
			if len(c.attempts) > 1 {
				out = append(out, c)
			}
		}
	}
	for i := range j {
		e := &j[i]
		k, body := logical(e), sameBody(e)
		key, _ := idempotencyKey(e, DefaultIdempotencyHeader)
		keyed := key != "" && unsafeMethod(e.Method)
		c, rekeyed := open[k], false
		if c == nil && keyed {
			if p := byBody[body]; p != nil && !p.closed {
				c, rekeyed = p, true
			}
		}
		if c != nil && e.Time.Sub(c.last().Time) > giveUp {
			end(c)
			restarts++
			c, rekeyed = nil, false
		}
		if c == nil {
			c = &chain{}
		}
		if rekeyed {
			delete(open, logical(c.last()))
			c.rekeyed = append(c.rekeyed, e)
		}
		c.attempts = append(c.attempts, e)
		if !failed(e) {
			end(c)
			delete(open, k)
			continue
		}
		open[k] = c
		if keyed {
			byBody[body] = c
		}
	}
	rest := make([]*chain, 0, len(open))
	for _, c := range open {
		rest = append(rest, c)
	}
	sort.Slice(rest, func(a, b int) bool { return rest[a].attempts[0].Seq < rest[b].attempts[0].Seq })
	for _, c := range rest {
		end(c)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].attempts[0].Time.Before(out[b].attempts[0].Time) })
	return out, restarts
}

// paced reports whether the interval from prev to next is the vendor's
// pacing: prev asked for a wait (Retry-After, a cost throttle) and next
// came no earlier than asked and within grace after.
func paced(prev, next *toolkit.Entry, grace time.Duration) bool {
	answered := prev.Time.Add(prev.Duration)
	asked, ok := askedWait(prev, answered)
	wait := next.Time.Sub(answered)
	return ok && wait+DefaultSlack >= asked && wait <= asked+grace
}

// measure reads one chain's waits: before each retry, the wait from the
// answer to the attempt before (the mock's own time to answer is not the
// client's choice), by retry number, up to the first that reaches the cap
// band (once the backoff is capped it stops growing). It returns the
// chain's intervals, start to start, the intervals over the cap, and how
// many intervals a Retry-After paced (the vendor's, left out).
func (o *BackoffOptions) measure(c *chain) (w *waits, iv []time.Duration, over []time.Duration, vendor int) {
	first := c.attempts[0]
	w = &waits{op: first.Operation}
	if w.op == "" {
		w.op = first.Method + " " + cmp.Or(first.Template, first.Path)
	}
	capped := false
	for i := 1; i < len(c.attempts); i++ {
		prev, next := c.attempts[i-1], c.attempts[i]
		d := next.Time.Sub(prev.Time)
		iv = append(iv, d)
		if paced(prev, next, o.RetryAfterGrace) {
			vendor++
			continue
		}
		if o.Cap > 0 && float64(d) > float64(o.Cap)*(1+o.Jitter) {
			over = append(over, d)
		}
		if capped {
			continue
		}
		wait := max(next.Time.Sub(prev.Time.Add(prev.Duration)), 0)
		w.add(i, wait)
		capped = o.Cap > 0 && float64(wait) >= float64(o.Cap)*(1-o.Jitter)
	}
	return w, iv, over, vendor
}

// Backoff is the gate "retries back off": the waits between attempts of
// the same logical request (same method, path and query, and the same
// idempotency key, or the same body without one) grow, exponentially with
// any jitter, up to the cap and not over it. A wait runs from the mock's
// answer to the next attempt; the growth is the median slope of the waits'
// log over the retry number, pair by pair within each chain (see growth),
// judged with its bootstrap band (see band): a growth that chance could
// have given either way is inconclusive, a skip that names it, never a
// pass. An operation whose waits surely do not grow fails the gate however
// the others do.
// Intervals a Retry-After paced are the vendor's and left out; the cap is
// checked on intervals start to start. A retry under a new idempotency
// key is a finding of its own.
func Backoff(entries []toolkit.Entry, o BackoffOptions) Gate {
	o.defaults()
	g := Gate{Name: "retries back off" + onSystem(o.System), Kind: KindResilience}
	if o.Operation != "" {
		g.Name += " on " + o.Operation
	}
	chains, restarts := inbound(entries, o.System).only(o.Operation).chains(o.GiveUp)
	var each []*waits
	var ops []string
	byOp := map[string][]*waits{}
	var retries, requests, vendor, rekeyed int
	var longest time.Duration
	type line struct {
		retries int
		text    string
	}
	var lines []line
	var overCap, rekeys []string
	for _, c := range chains {
		if !o.within(c.attempts[0].Time) {
			continue
		}
		requests++
		w, iv, over, v := o.measure(c)
		each = append(each, w)
		if byOp[w.op] == nil {
			ops = append(ops, w.op)
		}
		byOp[w.op] = append(byOp[w.op], w)
		retries, vendor = retries+len(iv), vendor+v
		longest = max(longest, slices.Max(iv))
		for _, d := range over {
			overCap = append(overCap, fmt.Sprintf("%s: interval %s over the cap %s", describe(c.attempts[0]), ms(d), ms(o.Cap)))
		}
		for _, e := range c.rekeyed {
			rekeys = append(rekeys, fmt.Sprintf("%s at %s: retried under a new key", describe(e), e.Time.Format("15:04:05.000")))
		}
		rekeyed += len(c.rekeyed)
		lines = append(lines, line{len(iv), fmt.Sprintf("%s: retried after %s", describe(c.attempts[0]), intervals(iv))})
	}
	all := judge(each)
	if !all.measured && len(overCap) == 0 && rekeyed == 0 {
		g.Skipped = true
		g.Measured = fmt.Sprintf("%d retries in %d chains", retries, requests)
		g.Reason = "not exercised: no request was retried twice by the client's own backoff, so no growth can be measured"
		return g
	}
	g.Measured = fmt.Sprintf("growth %s over %d retries of %d requests; mean wait by retry %s; longest interval %s", all, retries, requests, meanWaits(each), ms(longest))
	if vendor > 0 {
		g.Measured += fmt.Sprintf("; %d intervals paced by Retry-After", vendor)
	}
	if restarts > 0 {
		g.Measured += fmt.Sprintf("; %d attempts after a gap over %s began new chains", restarts, ms(o.GiveUp))
	}
	// An operation that surely does not back off fails the gate, whatever
	// the others do.
	var flatOps []string
	if len(ops) > 1 {
		for _, op := range ops {
			if j := judge(byOp[op]); j.flat(o.MinGrowth) {
				flatOps = append(flatOps, fmt.Sprintf("%s %s", op, j))
			}
		}
	}
	var reasons []string
	// The growth is judged on its band: a fail must not be chance (the
	// band is all under MinGrowth), nor a pass (the band is all over 1:
	// the waits do grow). A growth that would pass or fail only by the
	// luck of which requests failed is inconclusive: neither.
	inconclusive := ""
	switch {
	case !all.measured:
	case all.flat(o.MinGrowth) || len(flatOps) > 0:
		if all.flat(o.MinGrowth) {
			reasons = append(reasons, fmt.Sprintf("retry intervals do not grow: ×%.2f < ×%.2f", all.growth, o.MinGrowth))
		} else {
			reasons = append(reasons, fmt.Sprintf("retry intervals do not grow on %s (< ×%.2f)", strings.Join(flatOps, ", "), o.MinGrowth))
		}
		sort.SliceStable(lines, func(a, b int) bool { return lines[a].retries > lines[b].retries })
		for _, l := range lines {
			g.Detail = appendBounded(g.Detail, l.text)
		}
	case !all.banded:
		inconclusive = fmt.Sprintf("fewer than %d requests were retried twice or more, too few to tell backoff from chance", MinBackoffChains)
	case all.growth < o.MinGrowth:
		inconclusive = fmt.Sprintf("growth ×%.2f < ×%.2f, but its band reaches ×%.2f", all.growth, o.MinGrowth, all.hi)
	case all.lo <= 1:
		inconclusive = fmt.Sprintf("growth ×%.2f ≥ ×%.2f, but its band reaches down to ×%.2f, no growth", all.growth, o.MinGrowth, all.lo)
	}
	if len(overCap) > 0 {
		reasons = append(reasons, fmt.Sprintf("retry intervals exceed the cap %s (+%.0f%% jitter)", ms(o.Cap), o.Jitter*100))
		for _, l := range overCap {
			g.Detail = appendBounded(g.Detail, l)
		}
	}
	if rekeyed > 0 {
		reasons = append(reasons, fmt.Sprintf("%d retries changed their idempotency key", rekeyed))
		for _, l := range rekeys {
			g.Detail = appendBounded(g.Detail, l)
		}
	}
	if len(reasons) > 0 {
		g.Reason = strings.Join(reasons, "; ")
		return g
	}
	if inconclusive != "" {
		g.Skipped = true
		g.Reason = "inconclusive: " + inconclusive + "; a longer fault, or more traffic through it, gives more retries to judge"
		return g
	}
	g.Passed = true
	g.Reason = fmt.Sprintf("retry intervals grow ×%.2f ≥ ×%.2f", all.growth, o.MinGrowth)
	if o.Cap > 0 {
		g.Reason += fmt.Sprintf(" and stay under the cap %s", ms(o.Cap))
	}
	return g
}

func (o *BackoffOptions) within(t time.Time) bool {
	if len(o.Windows) == 0 {
		return true
	}
	for _, w := range o.Windows {
		if w.holds(t) {
			return true
		}
	}
	return false
}

// only keeps the requests to one operation ("" keeps every one).
func (j journal) only(op string) journal {
	if op == "" {
		return j
	}
	var out journal
	for i := range j {
		if requires(&j[i], []string{op}) {
			out = append(out, j[i])
		}
	}
	return out
}

// intervals lists the first intervals of a chain for a detail line.
func intervals(iv []time.Duration) string {
	parts := make([]string, 0, 7)
	for i, d := range iv {
		if i == 6 {
			parts = append(parts, fmt.Sprintf("… %d more", len(iv)-6))
			break
		}
		parts = append(parts, ms(d))
	}
	return strings.Join(parts, ", ")
}
