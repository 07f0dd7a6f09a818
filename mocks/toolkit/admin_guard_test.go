package toolkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// corsEverywhere answers every request 200 with CORS headers, as the
// GraphQL endpoint does: the guard must strip them from admin answers.
var corsEverywhere = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization")
	w.WriteHeader(http.StatusOK)
})

func TestAdminGuardHost(t *testing.T) {
	t.Parallel()
	h := AdminGuard{Hosts: []string{"shop-mock"}}.Handler(corsEverywhere)
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:8080", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"127.1.2.3:80", http.StatusOK},
		{"localhost:9000", http.StatusOK},
		{"LOCALHOST", http.StatusOK},
		{"[::1]:9000", http.StatusOK},
		{"shop-mock:8080", http.StatusOK},
		{"attacker.example", http.StatusForbidden},
		{"attacker.example:8080", http.StatusForbidden},
		{"localhost.attacker.example", http.StatusForbidden},
		{"127.0.0.1.nip.io", http.StatusForbidden},
		{"10.0.0.1:80", http.StatusForbidden},
		{"", http.StatusForbidden},
	} {
		r := httptest.NewRequest(http.MethodGet, "/__firedrill/requests", nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("Host %q: %d, want %d", tc.host, w.Code, tc.want)
		}
		if tc.want == http.StatusForbidden {
			var p Problem
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || len(p.Violations) != 1 || p.Violations[0].Name != "Host" {
				t.Errorf("Host %q: refused with %s %q, want a problem naming Host", tc.host, ct, w.Body)
			}
		}
	}
	// Outside the admin API the guard does nothing: the contract's paths
	// answer whatever name the client used.
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	r.Host = "attacker.example"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a contract path: %d %v", w.Code, w.Header())
	}
}

func TestAdminGuardToken(t *testing.T) {
	t.Parallel()
	h := AdminGuard{Token: "adm-s3cret"}.Handler(corsEverywhere)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Basic adm-s3cret", http.StatusUnauthorized},
		{"Bearer adm-s3cret-and-more", http.StatusUnauthorized},
		{"Bearer adm-s3cret", http.StatusOK},
		{"bearer adm-s3cret", http.StatusOK},
	} {
		for _, path := range []string{"/__firedrill/auth/keys", "/__firedrill/faults", "/__firedrill/collections/orders", "/__firedrill"} {
			r := httptest.NewRequest(http.MethodPost, path, nil)
			r.Host = "127.0.0.1:1234"
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("%s with %q: %d, want %d", path, tc.auth, w.Code, tc.want)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with %q: no Bearer challenge: %v", path, tc.auth, w.Header())
			}
		}
	}
	// The Host check comes first: the right token from a foreign name is
	// still refused.
	r := httptest.NewRequest(http.MethodGet, "/__firedrill/health", nil)
	r.Host = "attacker.example"
	r.Header.Set("Authorization", "Bearer adm-s3cret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("a foreign Host with the token: %d, want 403", w.Code)
	}
}

func TestAdminGuardNoCORS(t *testing.T) {
	t.Parallel()
	h := AdminGuard{}.Handler(corsEverywhere)
	for _, m := range []string{http.MethodOptions, http.MethodGet} {
		r := httptest.NewRequest(m, "/__firedrill/requests", nil)
		r.Host = "localhost"
		r.Header.Set("Origin", "http://attacker.example")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for k := range w.Header() {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s admin answer carries %s: %v", m, k, w.Header())
			}
		}
	}
}
