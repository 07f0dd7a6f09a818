package toolkit

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AdminPrefix is where a mock's admin API lives, beside the contract's
// paths: the behaviours' admin APIs (AuthPath, FaultsPath, WebhooksPath)
// are under it, and so are each mock kind's health, journal and collections.
const AdminPrefix = "/__firedrill/"

// Health is the answer of GET /__firedrill/health, the same for every mock
// kind: a GraphQL mock's BasePath is its GraphQL path and its Operations
// the root fields.
type Health struct {
	Status     string `json:"status"`
	Name       string `json:"name"`
	BasePath   string `json:"base_path"`
	Operations int    `json:"operations"`
	Stateful   bool   `json:"stateful"`
	Requests   uint64 `json:"requests"`
	// Journal says what the journal keeps and what it dropped, oldest
	// first, to stay within its bounds: a reader of the journal knows
	// whether it sees every request.
	Journal JournalStats `json:"journal"`
}

// FilterParams are the query parameters of a journal filter; after and
// limit page it (see ServeEntries).
var FilterParams = []string{"operation", "method", "status", "since", "until", "after", "limit"}

// UnknownParams reports every query parameter of q that is not one of
// known: an admin API refuses what it would otherwise ignore, since a
// mistyped filter would act on every entry.
func UnknownParams(q map[string][]string, known ...string) []Violation {
	var vs []Violation
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(known, k) {
			vs = append(vs, Violation{In: "query", Name: k, Message: fmt.Sprintf("unknown parameter; this endpoint takes %s", orNone(known))})
		}
	}
	return vs
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// ParseReset checks the query of DELETE /__firedrill/requests, which
// empties the whole journal: a filter there would be ignored and every
// entry lost, so each parameter, bad or good, is refused by name.
func ParseReset(q map[string][]string) []Violation {
	var vs []Violation
	for _, k := range slices.Sorted(maps.Keys(q)) {
		msg := "unknown parameter; DELETE takes none"
		if slices.Contains(FilterParams, k) {
			msg = fmt.Sprintf("%q: DELETE empties the whole journal and takes no filter", strings.Join(q[k], ","))
		}
		vs = append(vs, Violation{In: "query", Name: k, Message: msg})
	}
	return vs
}

// ParseFilter reads a journal filter from query parameters: operation,
// method, status (a number), since and until (RFC 3339 times), after (a
// sequence number) and limit (a positive count). Every bad value, and
// every unknown parameter, is reported by name.
func ParseFilter(q map[string][]string) (Filter, []Violation) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := Filter{Operation: get("operation"), Method: strings.ToUpper(get("method"))}
	vs := UnknownParams(q, FilterParams...)
	for _, k := range FilterParams {
		if len(q[k]) > 1 {
			vs = append(vs, Violation{In: "query", Name: k, Message: "given more than once"})
		}
	}
	if s := get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			vs = append(vs, Violation{In: "query", Name: "status", Message: fmt.Sprintf("%q is not an HTTP status", s)})
		}
		f.Status = n
	}
	if s := get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			vs = append(vs, Violation{In: "query", Name: "after", Message: fmt.Sprintf("%q is not a sequence number", s)})
		}
		f.After = n
	}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			vs = append(vs, Violation{In: "query", Name: "limit", Message: fmt.Sprintf("%q is not a positive count", s)})
		}
		f.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		s := get(p.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			vs = append(vs, Violation{In: "query", Name: p.name, Message: fmt.Sprintf("%q is not an RFC 3339 time", s)})
		}
		*p.dst = t
	}
	return f, vs
}

// AllowMethods reports whether r's method is one of methods; when it is
// not, it answers 405 with Allow and a problem. Admin APIs of every mock
// kind use it.
func AllowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	WriteProblem(w, http.StatusMethodNotAllowed, Problem{Title: "Method not allowed", Detail: "allowed: " + strings.Join(methods, ", ")})
	return false
}

// WriteJSON answers with v as JSON and status: what admin APIs answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, http.StatusInternalServerError, Problem{Title: "Unencodable answer", Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// WebhooksParam is the query parameter of an admin write to a collection
// (POST of records, PATCH of one) that says whether the change sends the
// webhooks the same write through the API would: webhooks=false stores it
// silently, as a row that reaches a vendor without its event.
const WebhooksParam = "webhooks"

// ParseWebhooks reads the query of an admin write: webhooks=true (the
// default) or webhooks=false. Any other parameter or value is refused by
// name.
func ParseWebhooks(q map[string][]string) (bool, []Violation) {
	vs := UnknownParams(q, WebhooksParam)
	v := q[WebhooksParam]
	switch {
	case len(v) == 0:
		return true, vs
	case len(v) > 1:
		return true, append(vs, Violation{In: "query", Name: WebhooksParam, Message: "given more than once"})
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return true, append(vs, Violation{In: "query", Name: WebhooksParam, Message: fmt.Sprintf("%q is not true or false", v[0])})
	}
	return b, vs
}
