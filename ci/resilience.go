package ci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// FaultWindow is one fault the timeline held: what it targeted, when, and its kind
// (latency, down, status...). A run hands the gates the windows as the
// timeline applied them (chaos.Timeline.Windows), not as planned: a fault
// cut short by the end of the attack ends there, one that never started
// has none.
type FaultWindow struct {
	Target string    `json:"target"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Kind   string    `json:"kind"`
	// Partial marks a fault that fails only some of the calls: a rate
	// under 1, one operation, a toxicity under 1. The system still
	// answers, so it is no outage a breaker must open for.
	Partial bool `json:"partial,omitempty"`
}

// DataEvent is one data event of the timeline: records a run wrote into a
// mock at a second of the attack (an insert, an update), when it fired and
// whether it failed. It has no window: no gate reads it as a fault.
type DataEvent struct {
	Target string    `json:"target"` // the mocked system
	Kind   string    `json:"kind"`   // insert or update
	What   string    `json:"what"`   // "orders, 2 records, no webhooks", "Customer c-1"
	At     time.Time `json:"at,omitzero"`
	// Outcome is ok, error, or skipped (the attack ended before its time).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// DefaultIdempotencyHeader is the header that carries an idempotency key.
const DefaultIdempotencyHeader = "Idempotency-Key"

// maxDetail bounds the evidence lines a resilience gate keeps.
const maxDetail = 10

// journal is a time-ordered view of the requests the service sent one
// system: neither the mock's webhooks nor the load's own requests.
type journal []toolkit.Entry

// inbound keeps the requests sent to system ("" for every system), oldest first.
func inbound(entries []toolkit.Entry, system string) journal {
	var out journal
	for _, e := range entries {
		if e.Direction == "webhook" || e.FromLoad() || (system != "" && e.System != system) {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Seq < out[j].Seq
	})
	return out
}

// idempotencyKey is the key a request carried, from the journal's field or
// the header, and whether it carried one at all: a journal that masked the
// header (mocks mask names like *key*) shows that a key was sent but not
// which, so the key reads "" with present true.
func idempotencyKey(e *toolkit.Entry, header string) (key string, present bool) {
	if e.IdempotencyKey != "" {
		return e.IdempotencyKey, true
	}
	switch v := e.Header.Get(header); v {
	case "":
		return "", false
	case toolkit.Masked:
		return "", true
	default:
		return v, true
	}
}

// logical names the logical request an entry belongs to: its method, path
// and query, with its idempotency key where it carried one, else its body
// hash. Two look-ups that differ only in their query are two requests.
func logical(e *toolkit.Entry) string {
	if k, _ := idempotencyKey(e, DefaultIdempotencyHeader); k != "" {
		return target(e) + " key " + k
	}
	return sameBody(e)
}

// target is the system, method, path and query of a request.
func target(e *toolkit.Entry) string {
	t := e.System + " " + e.Method + " " + e.Path
	if e.Query != "" {
		t += "?" + e.Query
	}
	return t
}

// sameBody names a request by its target and body, whatever its key: a
// write sent again under a new key has the same. A body the journal
// dropped to stay within its body budget is named by the digest it kept.
func sameBody(e *toolkit.Entry) string {
	if len(e.BodyDigest) >= 12 {
		return target(e) + " " + e.BodyDigest[:12]
	}
	return target(e) + " " + bodyHash(e.Body)
}

// nextSame returns, for each entry, the index of the next entry of the same
// logical request, or -1.
func (j journal) nextSame() []int {
	next := make([]int, len(j))
	last := map[string]int{}
	for i := len(j) - 1; i >= 0; i-- {
		k := logical(&j[i])
		next[i] = -1
		if n, ok := last[k]; ok {
			next[i] = n
		}
		last[k] = i
	}
	return next
}

func bodyHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

// failed reports whether an attempt calls for a retry.
func failed(e *toolkit.Entry) bool {
	// Throttled covers a GraphQL mock's cost throttle, answered 200.
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Error != "" || e.Throttled
}

func describe(e *toolkit.Entry) string {
	s := fmt.Sprintf("%s %s %s", e.System, e.Method, e.Path)
	if e.Query != "" {
		s += "?" + e.Query
	}
	if k, _ := idempotencyKey(e, DefaultIdempotencyHeader); k != "" {
		s += fmt.Sprintf(" (key %s)", k)
	}
	return s
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func onSystem(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func appendBounded(d []string, line string) []string {
	if len(d) < maxDetail {
		return append(d, line)
	}
	if len(d) == maxDetail {
		return append(d, "…")
	}
	return d
}

// retryAfter reads a Retry-After value: seconds or an HTTP date, relative to at.
func retryAfter(v string, at time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e9 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(at), 0), true
	}
	return 0, false
}

// RetryAfterOptions bound the Retry-After gate.
type RetryAfterOptions struct {
	System string        // "" for every system
	Slack  time.Duration // clock and scheduling slack allowed (DefaultSlack when 0)
}

// DefaultSlack is how much earlier than asked a retry may come.
const DefaultSlack = 50 * time.Millisecond

// RetryAfter is the gate "Retry-After is honoured": after a 429 or 503 that
// carried Retry-After, the next attempt of that request (or, when it was
// never retried, the next request from that client to that system) came no
// earlier than asked, counted from when the answer was written. A
// throttled answer without Retry-After whose body holds GraphQL
// extensions.cost (a GraphQL mock throttling by query cost, Shopify's way,
// answers 200) asks for (requestedQueryCost - currentlyAvailable) /
// restoreRate seconds, and is judged the same way.
func RetryAfter(entries []toolkit.Entry, o RetryAfterOptions) Gate {
	if o.Slack <= 0 {
		o.Slack = DefaultSlack
	}
	g := Gate{Name: "Retry-After honoured" + onSystem(o.System), Kind: KindResilience}
	j := inbound(entries, o.System)
	same := j.nextSame()
	asked, honoured := 0, 0
	shortest := time.Duration(math.MaxInt64)
	for i := range j {
		e := &j[i]
		answered := e.Time.Add(e.Duration)
		ra, ok := askedWait(e, answered)
		if !ok {
			continue
		}
		next := j.nextAfter(i, same)
		if next == nil {
			continue // never followed up: nothing to judge
		}
		asked++
		wait := next.Time.Sub(answered)
		shortest = min(shortest, wait)
		if wait+o.Slack >= ra {
			honoured++
			continue
		}
		refusal := strconv.Itoa(e.Status)
		if e.Status != http.StatusTooManyRequests && e.Status != http.StatusServiceUnavailable {
			refusal = "THROTTLED"
		}
		g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s: %s asked to wait %s, next request after %s (%s)",
			describe(e), refusal, ms(ra), ms(wait), describe(next)))
	}
	if asked == 0 {
		g.Skipped = true
		g.Measured = "no 429 or 503 with Retry-After, nor throttled GraphQL query, was followed by another request"
		g.Reason = "not exercised"
		return g
	}
	g.Measured = fmt.Sprintf("%d of %d Retry-After answers honoured; shortest wait %s", honoured, asked, ms(shortest))
	g.Passed = honoured == asked
	if g.Passed {
		g.Reason = "every retry waited at least as long as Retry-After asked"
	} else {
		g.Reason = fmt.Sprintf("%d requests came sooner than Retry-After allowed", asked-honoured)
	}
	return g
}

// askedWait is how long an answer asked its client to wait: the
// Retry-After of a 429 or 503, else, for a throttled answer without
// Retry-After, what its GraphQL extensions.cost implies (costWait).
func askedWait(e *toolkit.Entry, answered time.Time) (time.Duration, bool) {
	v := e.ResponseHeader.Get("Retry-After")
	switch {
	case e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable:
		if d, ok := retryAfter(v, answered); ok || v != "" || !e.Throttled {
			return d, ok
		}
		return costWait(e.ResponseBody)
	case e.Throttled && v == "":
		return costWait(e.ResponseBody)
	}
	return 0, false
}

// costWait reads a throttled GraphQL answer's extensions.cost: the client
// must wait until the bucket holds the query's cost again,
// (requestedQueryCost - currentlyAvailable) / restoreRate seconds.
func costWait(body []byte) (time.Duration, bool) {
	var r struct {
		Extensions struct {
			Cost *struct {
				Requested float64 `json:"requestedQueryCost"`
				Throttle  *struct {
					Available   float64 `json:"currentlyAvailable"`
					RestoreRate float64 `json:"restoreRate"`
				} `json:"throttleStatus"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if len(body) == 0 || json.Unmarshal(body, &r) != nil {
		return 0, false
	}
	c := r.Extensions.Cost
	if c == nil || c.Throttle == nil || !(c.Throttle.RestoreRate > 0) {
		return 0, false
	}
	secs := max(c.Requested-c.Throttle.Available, 0) / c.Throttle.RestoreRate
	if math.IsNaN(secs) || secs > 1e9 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// nextAfter is the next attempt of j[i]'s logical request, or, when there is
// none, the next request from the same client to the same system.
func (j journal) nextAfter(i int, same []int) *toolkit.Entry {
	if n := same[i]; n >= 0 {
		return &j[n]
	}
	for n := i + 1; n < len(j); n++ {
		if j[n].System == j[i].System && clientOf(&j[n]) == clientOf(&j[i]) {
			return &j[n]
		}
	}
	return nil
}

// clientOf identifies the client of a request: the credential the journal
// names, or the remote host without its port (each connection has its own).
func clientOf(e *toolkit.Entry) string {
	if host, _, err := net.SplitHostPort(e.Client); err == nil {
		return host
	}
	return e.Client
}
