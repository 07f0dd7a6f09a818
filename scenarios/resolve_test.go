package scenarios

import (
	"strings"
	"testing"
)

func TestResolverExpands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SHOP_SECRET": "whsec_s3cr3t", "EMPTY": ""}
	r := &Resolver{
		Systems: map[string]Address{
			"accounting": {Host: "127.0.0.1", Port: 41000, BasePath: "/v1/"},
			"sync":       {Host: "127.0.0.1", Port: 8080},
		},
		Getenv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Vars:    map[string]string{"order_id": "o-17"},
		Secrets: &Secrets{},
	}
	tests := []struct{ in, want string }{
		{"${accounting.url}/invoices", "http://127.0.0.1:41000/v1/invoices"},
		{"${sync.host}:${sync.port}", "127.0.0.1:8080"},
		{"${sync.addr}", "127.0.0.1:8080"},
		{"Bearer ${env:SHOP_SECRET}", "Bearer whsec_s3cr3t"},
		{"${env:MISSING:-fallback}", "fallback"},
		{"${env:EMPTY:-fallback}", ""},
		{"/orders/${order_id}", "/orders/o-17"},
		{"costs $$5 and ${ order_id }", "costs $5 and o-17"},
		{"no references", "no references"},
	}
	for _, tt := range tests {
		got, err := r.Expand(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"${env:MISSING}", "${crm.url}", "${nope}", "${shop.url", "${accounting.nope}"} {
		if _, err := r.Expand(bad); err == nil {
			t.Errorf("Expand(%q) succeeded", bad)
		}
	}
	if got := r.Secrets.Redact("sent Bearer whsec_s3cr3t to accounting"); got != "sent Bearer *** to accounting" {
		t.Errorf("secret not redacted: %q", got)
	}
	if got := r.Secrets.Redact("fallback"); got != "fallback" {
		t.Errorf("a default written in the file is no secret, yet it was redacted: %q", got)
	}
}

func TestSecretsWriterRedactsAcrossWrites(t *testing.T) {
	t.Parallel()
	s := &Secrets{}
	s.Add("tok_1234567890")
	s.Add("abc") // too short to be treated as a secret
	var out strings.Builder
	w := s.Writer(&out)
	for _, part := range []string{"Authorization: Bearer tok_12", "34567890\nabc ", "tail tok_1234567890"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if strings.Contains(out.String(), "tok_1234567890") || strings.Count(out.String(), "***") != 2 {
		t.Errorf("redacted output %q", out.String())
	}
	if !strings.Contains(out.String(), "abc") {
		t.Error("short values must not be redacted")
	}
	var nilSecrets *Secrets
	if nilSecrets.Redact("x") != "x" {
		t.Error("nil Secrets must pass text through")
	}
}

func TestParseAddress(t *testing.T) {
	t.Parallel()
	a, err := ParseAddress("https://api.example.com/v1")
	if err != nil || a.Port != 443 || a.BasePath != "/v1" || a.URL() != "https://api.example.com:443/v1" {
		t.Errorf("ParseAddress = %+v, %v", a, err)
	}
	if _, err := ParseAddress("not a url"); err == nil {
		t.Error("a relative URL must be refused")
	}
}

func TestExpandKeepVarsLeavesFlowValues(t *testing.T) {
	t.Parallel()
	r := &Resolver{
		Systems: map[string]Address{"shop": {Host: "127.0.0.1", Port: 9, BasePath: "/api"}},
		Getenv:  func(k string) (string, bool) { return map[string]string{"TOKEN": "pa$$word"}[k], k == "TOKEN" },
	}
	got, err := r.ExpandKeepVars("${shop.url}/orders/${order_id}?n=${seq}&t=${env:TOKEN}&lit=$${x}")
	want := "http://127.0.0.1:9/api/orders/${order_id}?n=${seq}&t=pa$$$$word&lit=$${x}"
	if err != nil || got != want {
		t.Errorf("ExpandKeepVars = %q, %v\nwant            %q", got, err, want)
	}
}
