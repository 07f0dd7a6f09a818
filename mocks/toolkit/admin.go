package toolkit

import (
	"encoding/json"
	"fmt"
	"net/http"
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
}

// ParseFilter reads a journal filter from query parameters: operation,
// method, status (a number), since and until (RFC 3339 times). Every bad
// value is reported.
func ParseFilter(q map[string][]string) (Filter, []Violation) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := Filter{Operation: get("operation"), Method: strings.ToUpper(get("method"))}
	var vs []Violation
	if s := get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			vs = append(vs, Violation{In: "query", Name: "status", Message: fmt.Sprintf("%q is not an HTTP status", s)})
		}
		f.Status = n
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
