package ci

import (
	"net/http"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Downstream is the traffic the service sent one mocked system, second by
// second: what the load's charts cannot show, since a failure between the
// service and a vendor never reaches the load's own requests. A missing
// backoff shows as a wall of retries under a fault band; a breaker that
// never opened as requests that go on through an outage.
type Downstream struct {
	System  string             `json:"system"`
	Seconds []DownstreamSecond `json:"seconds"`
}

// DownstreamSecond counts one second of a system's inbound requests by
// outcome. Every request is in exactly one of OK, ClientErrors,
// Throttled, ServerErrors, Faults and Failed; Retries and Waiting count
// across them. Refused counts the connections the system's proxy refused
// while down: they never reached the mock, so they are not requests.
type DownstreamSecond struct {
	At           time.Time `json:"at"`
	Requests     int       `json:"requests"`
	OK           int       `json:"ok"`            // 2xx and 3xx, from the mock itself
	ClientErrors int       `json:"client_errors"` // 4xx other than 429: the request was wrong
	Throttled    int       `json:"throttled"`     // 429, or throttled by query cost
	ServerErrors int       `json:"server_errors"` // 5xx the mock answered itself
	Faults       int       `json:"faults"`        // answered by an injected fault
	Failed       int       `json:"failed"`        // no answer written (the connection ended first)
	// Retries are requests that repeat an earlier one (the same logical
	// request: target and idempotency key, or body) after it failed.
	Retries int `json:"retries"`
	// Waiting is how many logical requests were inside a wait their last
	// answer asked for (Retry-After, or a cost throttle's restore time)
	// at any moment of the second.
	Waiting int `json:"waiting"`
	// Refused is how many connections the proxy in front of the system
	// reset as soon as it accepted them, being down (see AddRefused).
	// The proxy cannot tell whose they were: where the load reaches the
	// system through the proxy, its connections are among them. A
	// request retried after one is not among Retries: the refused
	// attempt is in no journal.
	Refused int `json:"refused"`
}

// DownstreamOf buckets the service's requests to system (the load's own
// left out) into seconds counted from zero, over [zero, end): every second
// is there, quiet ones with zero counts, so a chart's gap is a real gap.
// What a proxy refused before it reached the mock is not in any journal:
// AddRefused adds a down proxy's counts; what a reset_peer or timeout
// toxic cut is in neither, and the fault bands show where that was.
func DownstreamOf(entries []toolkit.Entry, system string, zero, end time.Time) Downstream {
	d := Downstream{System: system}
	if zero.IsZero() || !end.After(zero) {
		return d
	}
	n := int(end.Sub(zero) / time.Second)
	if end.Sub(zero)%time.Second != 0 {
		n++
	}
	d.Seconds = make([]DownstreamSecond, n)
	for i := range d.Seconds {
		d.Seconds[i].At = zero.Add(time.Duration(i) * time.Second)
	}
	sec := func(t time.Time) int {
		if t.Before(zero) {
			return -1
		}
		return int(t.Sub(zero) / time.Second)
	}
	j := inbound(entries, system)
	prevFailed := map[string]bool{} // logical request → its last attempt failed
	for i := range j {
		e := &j[i]
		k := logical(e)
		retry := prevFailed[k]
		prevFailed[k] = failed(e)
		answered := e.Time.Add(e.Duration)
		if wait, ok := askedWait(e, answered); ok && wait > 0 {
			from, to := max(sec(answered), 0), sec(answered.Add(wait))
			for s := from; s <= to && s < n; s++ {
				if s >= 0 {
					d.Seconds[s].Waiting++
				}
			}
		}
		s := sec(e.Time)
		if s < 0 || s >= n {
			continue
		}
		b := &d.Seconds[s]
		b.Requests++
		if retry {
			b.Retries++
		}
		switch {
		case e.Fault != "":
			b.Faults++
		case e.Status == 0 || e.Error != "":
			b.Failed++
		case e.Status == http.StatusTooManyRequests || e.Throttled:
			b.Throttled++
		case e.Status >= 500:
			b.ServerErrors++
		case e.Status >= 400:
			b.ClientErrors++
		default:
			b.OK++
		}
	}
	return d
}

// AddRefused counts the connections the system's proxy refused while
// down (chaos.Toxiproxy.Refusals) in the chart's seconds. The proxy counts
// per whole second, the chart from the attack's start: a count goes to
// the bucket holding the middle of the part of its second the system was
// down in (faults: the run's windows; those of other targets or kinds are
// ignored), or the middle of its second when no down window overlaps it.
// Counts outside the seconds of d are left out.
func (d *Downstream) AddRefused(refused []chaos.Refused, faults []FaultWindow) {
	if len(d.Seconds) == 0 {
		return
	}
	zero := d.Seconds[0].At
	for _, r := range refused {
		from, to := r.At, r.At.Add(time.Second)
		for _, w := range faults {
			if w.Target == d.System && w.Kind == chaos.Down && w.Start.Before(to) && w.End.After(from) {
				from, to = laterOf(from, w.Start), earlierOf(to, w.End)
				break
			}
		}
		mid := from.Add(to.Sub(from) / 2)
		if mid.Before(zero) {
			continue
		}
		if i := int(mid.Sub(zero) / time.Second); i < len(d.Seconds) {
			d.Seconds[i].Refused += r.Count
		}
	}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// total is how many requests the service sent the system, and connections
// the proxy refused.
func (d Downstream) total() int {
	n := 0
	for _, s := range d.Seconds {
		n += s.Requests + s.Refused
	}
	return n
}

// chart draws one system's downstream traffic under the fault bands.
func (d Downstream) chart(zero time.Time, faults []FaultWindow) chart {
	c := chart{Title: "→ " + d.System, Unit: "/s", Faults: faults, Start: zero}
	cols := []struct {
		name, color string
		dash        bool
		v           func(DownstreamSecond) int
	}{
		{"2xx", "#059669", false, func(s DownstreamSecond) int { return s.OK }},
		{"4xx", "#d97706", false, func(s DownstreamSecond) int { return s.ClientErrors }},
		{"429", "#ca8a04", false, func(s DownstreamSecond) int { return s.Throttled }},
		{"5xx, none", "#dc2626", false, func(s DownstreamSecond) int { return s.ServerErrors + s.Failed }},
		{"fault", "#9333ea", false, func(s DownstreamSecond) int { return s.Faults }},
		{"refused", "#111827", false, func(s DownstreamSecond) int { return s.Refused }},
		{"retries", "#2563eb", true, func(s DownstreamSecond) int { return s.Retries }},
		{"waiting", "#64748b", true, func(s DownstreamSecond) int { return s.Waiting }},
	}
	for _, s := range d.Seconds {
		c.X = append(c.X, s.At.Sub(zero).Seconds())
	}
	for _, col := range cols {
		l := line{Name: col.name, Color: col.color, Dash: col.dash, Y: make([]float64, len(d.Seconds))}
		for i, s := range d.Seconds {
			l.Y[i] = float64(col.v(s))
		}
		c.Lines = append(c.Lines, l)
	}
	return c
}
