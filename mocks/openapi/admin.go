package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The admin API, under AdminPrefix:
//
//	GET    /__firedrill/health                 200 {"status":"ok",...} once ready
//	GET    /__firedrill/requests?operation=&method=&status=&since=&until=
//	DELETE /__firedrill/requests               empty the journal
//	GET    /__firedrill/collections            the collections and their sizes
//	GET    /__firedrill/collections/{name}     every record
//	PUT    /__firedrill/collections/{name}     replace the records with a JSON array
//	DELETE /__firedrill/collections/{name}     empty the collection
//
// With WithAuth, /__firedrill/auth (see Auth.AdminHandler) and the OAuth2
// token endpoint; with WithWebhooks, /__firedrill/webhooks (see
// Webhooks.AdminHandler).
func (m *Mock) admin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, AdminPrefix)
	switch {
	case rest == "health":
		m.adminHealth(w, r)
	case rest == "requests":
		m.adminRequests(w, r)
	case rest == "collections" || strings.HasPrefix(rest, "collections/"):
		m.adminCollections(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "collections"), "/"))
	default:
		writeProblem(w, http.StatusNotFound, Problem{Title: "No such admin endpoint", Detail: r.URL.Path})
	}
}

// frontRoute is an endpoint a vendor behaviour serves beside the contract's
// paths: an OAuth2 token endpoint, the admin API of auth or of webhooks.
type frontRoute struct {
	path   string
	prefix bool // also every path under path + "/"
	h      http.Handler
}

func (f frontRoute) match(p string) bool {
	return p == f.path || (f.prefix && strings.HasPrefix(p, f.path+"/"))
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeProblem(w, http.StatusMethodNotAllowed, Problem{Title: "Method not allowed", Detail: "allowed: " + strings.Join(methods, ", ")})
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, Problem{Title: "Unencodable answer", Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// Health is the answer of GET /__firedrill/health.
type Health struct {
	Status     string `json:"status"`
	Name       string `json:"name"`
	BasePath   string `json:"base_path"`
	Operations int    `json:"operations"`
	Stateful   bool   `json:"stateful"`
	Requests   uint64 `json:"requests"`
}

func (m *Mock) adminHealth(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	n := 0
	for _, rt := range m.routes {
		n += len(rt.ops)
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Name: m.name, BasePath: m.basePath, Operations: n, Stateful: m.stateful, Requests: m.journal.Total()})
}

func (m *Mock) adminRequests(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodDelete) {
		return
	}
	if r.Method == http.MethodDelete {
		m.journal.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f, vs := ParseFilter(r.URL.Query())
	if len(vs) > 0 {
		writeProblem(w, http.StatusBadRequest, Problem{Title: "Bad journal filter", Violations: vs})
		return
	}
	entries := m.journal.Entries(f)
	if entries == nil {
		entries = []Entry{}
	}
	writeJSON(w, http.StatusOK, entries)
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

func (m *Mock) adminCollections(w http.ResponseWriter, r *http.Request, name string) {
	if !m.stateful {
		writeProblem(w, http.StatusNotFound, Problem{Title: "No collections", Detail: "collections exist only in stateful mode (WithStateful, --stateful)"})
		return
	}
	m.adminState(w, r, name)
}
