package toolkit

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// AdminGuard protects a mock's admin API (every path under AdminPrefix),
// which adds credentials, reads journal bodies and replaces collections:
//
//   - a request whose Host is not loopback (localhost, 127.0.0.0/8, ::1)
//     nor one of Hosts is refused with 403: a web page cannot reach the
//     admin API by DNS rebinding, whose requests carry the attacker's name;
//   - when Token is set, a request without "Authorization: Bearer TOKEN"
//     is refused with 401;
//   - no answer under AdminPrefix carries CORS headers, so a browser never
//     lets another origin read one.
//
// Requests outside AdminPrefix pass untouched.
type AdminGuard struct {
	// Hosts are the names, besides loopback, the admin API answers to:
	// those a runtime gave the mock (a container's network alias).
	Hosts []string
	// Token, when set, is the bearer token every admin request must carry.
	Token string
}

// Handler puts the guard in front of h.
func (g AdminGuard) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsAdminPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		nw := noCORS{w}
		if !g.Allow(nw, r) {
			return
		}
		h.ServeHTTP(nw, r)
	})
}

// IsAdminPath reports whether p is under AdminPrefix.
func IsAdminPath(p string) bool {
	return strings.HasPrefix(p, AdminPrefix) || p == strings.TrimSuffix(AdminPrefix, "/")
}

// Allow reports whether an admin request may go on; when it may not, it
// answers 403 (a Host not allowed) or 401 (a missing or wrong token) with
// a problem.
func (g AdminGuard) Allow(w http.ResponseWriter, r *http.Request) bool {
	if !g.hostAllowed(r.Host) {
		WriteProblem(w, http.StatusForbidden, Problem{Title: "Admin API refused",
			Detail:     "the admin API answers requests to loopback (localhost, 127.0.0.1, [::1]) and to the names the runtime gave the mock only",
			Violations: []Violation{{In: "header", Name: "Host", Message: "not loopback nor an allowed host"}}})
		return false
	}
	if g.Token == "" {
		return true
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(g.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firedrill admin"`)
		WriteProblem(w, http.StatusUnauthorized, Problem{Title: "Admin token required",
			Detail:     "this mock's admin API takes Authorization: Bearer followed by its admin token (admin_token, --admin-token)",
			Violations: []Violation{{In: "header", Name: "Authorization", Message: "missing or not the admin token"}}})
		return false
	}
	return true
}

// hostAllowed reports whether a request's Host (with or without a port,
// IPv6 in brackets) names loopback or an allowed host.
func (g AdminGuard) hostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if name == "" {
		return false
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	if ip := net.ParseIP(name); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range g.Hosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), name) {
			return true
		}
	}
	return false
}

// noCORS drops every CORS header an admin answer was given.
type noCORS struct{ http.ResponseWriter }

func (n noCORS) strip() {
	for k := range n.ResponseWriter.Header() {
		if strings.HasPrefix(k, "Access-Control-") {
			n.ResponseWriter.Header().Del(k)
		}
	}
}

func (n noCORS) WriteHeader(code int) {
	n.strip()
	n.ResponseWriter.WriteHeader(code)
}

func (n noCORS) Write(p []byte) (int, error) {
	n.strip()
	return n.ResponseWriter.Write(p)
}

func (n noCORS) Flush() {
	if f, ok := n.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (n noCORS) Unwrap() http.ResponseWriter { return n.ResponseWriter }
