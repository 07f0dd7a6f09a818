package ci

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// IdempotencyOptions bound the idempotency gate.
type IdempotencyOptions struct {
	System string // "" for every system
	// Operations require a key, as the contract declares: operationIds,
	// "METHOD /template" or "METHOD /path".
	Operations []string
	Header     string // DefaultIdempotencyHeader when empty
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// Idempotency is the gate "writes are idempotent": no request to an
// operation that requires a key was sent without one, and a write sent
// again with the same body reused its key (a new key per retry defeats the
// vendor's deduplication).
func Idempotency(entries []toolkit.Entry, o IdempotencyOptions) Gate {
	if o.Header == "" {
		o.Header = DefaultIdempotencyHeader
	}
	g := Gate{Name: "idempotency keys" + onSystem(o.System), Kind: KindResilience}
	j := inbound(entries, o.System)
	required, missing, masked := 0, 0, 0
	keys := map[string][]string{} // system method path query body → distinct keys, in order
	first := map[string]*toolkit.Entry{}
	var order []string
	for i := range j {
		e := &j[i]
		key, present := idempotencyKey(e, o.Header)
		if present && key == "" {
			masked++
		}
		if requires(e, o.Operations) {
			required++
			if !present {
				missing++
				g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s at %s sent without %s", describe(e), e.Time.Format("15:04:05.000"), o.Header))
			}
		}
		if key == "" || !unsafeMethod(e.Method) {
			continue
		}
		w := sameBody(e)
		if _, ok := first[w]; !ok {
			first[w] = e
			order = append(order, w)
		}
		if !slices.Contains(keys[w], key) {
			keys[w] = append(keys[w], key)
		}
	}
	reminted := 0
	sort.SliceStable(order, func(a, b int) bool { return first[order[a]].Time.Before(first[order[b]].Time) })
	for _, w := range order {
		if ks := keys[w]; len(ks) > 1 {
			reminted++
			g.Detail = appendBounded(g.Detail, fmt.Sprintf("%s: the same body sent with %d keys (%s)", describe(first[w]), len(ks), strings.Join(ks, ", ")))
		}
	}
	if required == 0 && len(order) == 0 {
		g.Skipped = true
		g.Measured = "no write that requires a key, and no keyed write"
		g.Reason = "not exercised"
		return g
	}
	g.Measured = fmt.Sprintf("%d of %d requests that require a key lacked it; %d of %d keyed writes re-sent under a new key", missing, required, reminted, len(order))
	if masked > 0 {
		g.Measured += fmt.Sprintf("; %d keys masked in the journal, their reuse not judged", masked)
	}
	g.Passed = missing == 0 && reminted == 0
	switch {
	case g.Passed:
		g.Reason = "every write carried its key and retries reused it"
	case missing > 0:
		g.Reason = fmt.Sprintf("%d requests sent without %s", missing, o.Header)
	default:
		g.Reason = fmt.Sprintf("%d writes were retried under a new key", reminted)
	}
	return g
}

// requires reports whether e's operation is one that needs a key.
func requires(e *toolkit.Entry, ops []string) bool {
	for _, op := range ops {
		if op == e.Operation || op == e.Method+" "+e.Template || op == e.Method+" "+e.Path {
			return true
		}
	}
	return false
}

// ConformanceOptions bound the contract gate.
type ConformanceOptions struct {
	System     string // "" for every system
	MaxInvalid int    // invalid requests allowed (0 by default)
	// LoadIsTheClient judges the load's own requests too: a scenario
	// with no service under test drives the mocks with its load alone.
	LoadIsTheClient bool
}

// Conformance is the gate "every request the service sent was valid against
// the contract of the system it called". Invalid requests are listed with
// their violations. The load's own requests to a mock (marked with
// toolkit.OriginHeader) are told apart: they are the scenario's, not the
// service's, so they are counted and listed beside the figure, never
// against the service.
func Conformance(entries []toolkit.Entry, o ConformanceOptions) Gate {
	g := Gate{Name: "requests conform to the contracts" + onSystem(o.System), Kind: KindContract}
	var judged, invalid, load, loadInvalid int
	for i := range entries {
		e := &entries[i]
		if e.Direction == "webhook" || (o.System != "" && e.System != o.System) {
			continue
		}
		bad := !e.Valid || len(e.Violations) > 0
		if e.FromLoad() && !o.LoadIsTheClient {
			load++
			if bad {
				loadInvalid++
				g.Detail = appendBounded(g.Detail, "the load's own: "+describeInvalid(e))
			}
			continue
		}
		judged++
		if bad {
			invalid++
			g.Detail = appendBounded(g.Detail, describeInvalid(e))
		}
	}
	who := "from the service"
	if o.LoadIsTheClient {
		who = "from the load (the scenario has no service)"
	}
	loadPart := ""
	if load > 0 {
		loadPart = fmt.Sprintf("; the load's own requests, not judged: %d invalid of %d", loadInvalid, load)
	}
	if judged == 0 {
		g.Skipped, g.Measured, g.Reason = true, "no requests "+who+loadPart, "not exercised: nothing to judge"
		return g
	}
	g.Measured = fmt.Sprintf("%d invalid of %d requests %s (allowed %d)%s", invalid, judged, who, o.MaxInvalid, loadPart)
	g.Passed = invalid <= o.MaxInvalid
	if g.Passed {
		g.Reason = "the service spoke every contract correctly"
		if o.LoadIsTheClient {
			g.Reason = "every request spoke its contract correctly"
		}
	} else {
		g.Reason = fmt.Sprintf("%d requests broke their contract", invalid)
	}
	return g
}

// describeInvalid is one line on a request that broke its contract.
func describeInvalid(e *toolkit.Entry) string {
	var vs []string
	for _, v := range e.Violations {
		where := v.In
		if v.Name != "" {
			where += " " + v.Name
		}
		if v.Pointer != "" {
			where += " " + v.Pointer
		}
		vs = append(vs, where+": "+v.Message)
	}
	if len(vs) == 0 {
		vs = []string{"invalid (no violation recorded)"}
	}
	return fmt.Sprintf("%s %s at %s: %s", describe(e), e.Operation, e.Time.Format("15:04:05.000"), strings.Join(vs, "; "))
}
