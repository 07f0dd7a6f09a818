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
// (latency, down, status...).
type FaultWindow struct {
	Target string    `json:"target"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Kind   string    `json:"kind"`
}

// DefaultIdempotencyHeader is the header that carries an idempotency key.
const DefaultIdempotencyHeader = "Idempotency-Key"

// maxDetail bounds the evidence lines a resilience gate keeps.
const maxDetail = 10

// journal is a time-ordered view of the inbound requests to one system.
type journal []toolkit.Entry

// inbound keeps the requests sent to system ("" for every system), oldest first.
func inbound(entries []toolkit.Entry, system string) journal {
	var out journal
	for _, e := range entries {
		if e.Direction == "webhook" || (system != "" && e.System != system) {
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

// logical names the logical request an entry belongs to: its idempotency key,
// or its method, path and body hash.
func logical(e *toolkit.Entry) string {
	if k, _ := idempotencyKey(e, DefaultIdempotencyHeader); k != "" {
		return e.System + " key " + k
	}
	return e.System + " " + e.Method + " " + e.Path + " " + bodyHash(e.Body)
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

// chains groups the journal into retry chains: attempts of one logical
// request, each after a failed one. A success ends a chain.
func (j journal) chains() [][]*toolkit.Entry {
	open := map[string][]*toolkit.Entry{}
	var out [][]*toolkit.Entry
	for i := range j {
		e := &j[i]
		k := logical(e)
		c := append(open[k], e)
		if !failed(e) {
			if len(c) > 1 {
				out = append(out, c)
			}
			delete(open, k)
			continue
		}
		open[k] = c
	}
	keys := make([]string, 0, len(open))
	for k := range open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(open[k]) > 1 {
			out = append(out, open[k])
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a][0].Time.Before(out[b][0].Time) })
	return out
}

func describe(e *toolkit.Entry) string {
	s := fmt.Sprintf("%s %s %s", e.System, e.Method, e.Path)
	if k, _ := idempotencyKey(e, DefaultIdempotencyHeader); k != "" {
		s += fmt.Sprintf(" (key %s)", k)
	}
	return s
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// BackoffOptions bound the retries gate.
type BackoffOptions struct {
	System string // "" for every system
	// MinGrowth is the least geometric mean ratio between consecutive retry
	// intervals (DefaultMinGrowth when 0): exponential backoff doubles,
	// jitter scatters it, fixed delays and immediate retries stay at 1.
	MinGrowth float64
	// Cap is the longest interval allowed (0: not checked); intervals
	// within Jitter of the cap count as capped and are left out of the growth.
	Cap    time.Duration
	Jitter float64 // DefaultJitter when 0
}

// Defaults of BackoffOptions.
const (
	DefaultMinGrowth = 1.4
	DefaultJitter    = 0.5
)

// Backoff is the gate "retries back off": the intervals between attempts
// of the same logical request (same idempotency key, or same method, path
// and body) grow, exponentially with jitter allowed, and stay under a cap.
// Intervals are measured start to start, as the mock saw the attempts.
func Backoff(entries []toolkit.Entry, o BackoffOptions) Gate {
	if o.MinGrowth <= 0 {
		o.MinGrowth = DefaultMinGrowth
	}
	if o.Jitter <= 0 {
		o.Jitter = DefaultJitter
	}
	g := Gate{Name: "retries back off" + onSystem(o.System), Kind: KindResilience}
	chains := inbound(entries, o.System).chains()
	var logSum float64
	var ratios, retries int
	var longest time.Duration
	type worst struct {
		growth float64
		line   string
	}
	var flat []worst
	for _, c := range chains {
		iv := make([]time.Duration, len(c)-1)
		for i := 1; i < len(c); i++ {
			iv[i-1] = c[i].Time.Sub(c[i-1].Time)
			longest = max(longest, iv[i-1])
			if o.Cap > 0 && float64(iv[i-1]) > float64(o.Cap)*(1+o.Jitter) {
				g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s: interval %s over the cap %s", describe(c[0]), ms(iv[i-1]), ms(o.Cap)))
			}
		}
		retries += len(iv)
		var cl float64
		var cn int
		for i := 1; i < len(iv); i++ {
			if o.Cap > 0 && float64(iv[i-1]) >= float64(o.Cap)*(1-o.Jitter) {
				continue // already at the cap
			}
			r := float64(max(iv[i], time.Millisecond)) / float64(max(iv[i-1], time.Millisecond))
			cl += math.Log(r)
			cn++
		}
		logSum, ratios = logSum+cl, ratios+cn
		if cn > 0 {
			parts := make([]string, 0, 7)
			for i, d := range iv {
				if i == 6 {
					parts = append(parts, fmt.Sprintf("… %d more", len(iv)-6))
					break
				}
				parts = append(parts, ms(d))
			}
			gr := math.Exp(cl / float64(cn))
			flat = append(flat, worst{gr, fmt.Sprintf("%s: retried after %s (growth ×%.2f)", describe(c[0]), strings.Join(parts, ", "), gr)})
		}
	}
	if retries == 0 || ratios == 0 {
		g.Skipped = true
		g.Measured = fmt.Sprintf("%d retries in %d chains", retries, len(chains))
		g.Reason = "not exercised: no request was retried twice, so no growth can be measured"
		return g
	}
	growth := math.Exp(logSum / float64(ratios))
	g.Measured = fmt.Sprintf("growth ×%.2f over %d retries of %d requests; longest interval %s", growth, retries, len(chains), ms(longest))
	capped := len(g.Detail) > 0
	sort.SliceStable(flat, func(a, b int) bool { return flat[a].growth < flat[b].growth })
	switch {
	case growth < o.MinGrowth:
		g.Reason = fmt.Sprintf("retry intervals do not grow: ×%.2f < ×%.2f", growth, o.MinGrowth)
		for _, w := range flat {
			g.Detail = appendBounded(g.Detail, w.line)
		}
	case capped:
		g.Reason = fmt.Sprintf("retry intervals exceed the cap %s (+%.0f%% jitter)", ms(o.Cap), o.Jitter*100)
	default:
		g.Passed = true
		g.Reason = fmt.Sprintf("retry intervals grow ×%.2f ≥ ×%.2f", growth, o.MinGrowth)
		if o.Cap > 0 {
			g.Reason += fmt.Sprintf(" and stay under the cap %s", ms(o.Cap))
		}
	}
	return g
}

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
