package scenarios

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/store"
)

func startMock(t *testing.T, contract string) *openapi.Server {
	t.Helper()
	c, err := contracts.LoadOpenAPI(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", contract))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := openapi.NewServer(c, openapi.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckConsistencyAgainstRunningMocks(t *testing.T) {
	t.Parallel()
	shop, accounting := startMock(t, "shop.openapi.yaml"), startMock(t, "accounting.openapi.yaml")
	orders := []store.Record{
		{"id": "o-1", "total_price": "10.00", "currency": "EUR", "customer": map[string]any{"email": "a@example.com"}, "line_items": []any{}},
		{"id": "o-2", "total_price": "20.50", "currency": "EUR", "customer": map[string]any{"email": "b@example.com"}, "line_items": []any{}},
	}
	if err := shop.Mock.Store().Seed("orders", orders); err != nil {
		t.Fatal(err)
	}
	invoice := func(id, ref string, cents int) store.Record {
		return store.Record{"id": id, "object": "invoice", "status": "open", "reference": ref, "customer_email": "a@example.com", "amount_cents": cents, "currency": "EUR", "issued_at": "2026-11-23T10:00:00Z"}
	}
	if err := accounting.Mock.Store().Seed("invoices", []store.Record{invoice("in-1", "o-1", 1000), invoice("in-2", "o-2", 2050)}); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFile(filepath.Join("testdata", "check", "orders-invoiced.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ACCOUNTING_TOKEN": "sk_test_secret"}
	opts := CheckOptions{URLs: map[string]string{"shop": shop.URL, "accounting": accounting.URL},
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	gates, err := CheckConsistency(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gates {
		if !g.Passed {
			t.Errorf("%s failed on agreeing systems: %s %s %v", g.Name, g.Measured, g.Reason, g.Detail)
		}
	}
	// Negative control: a duplicated invoice and a wrong amount.
	if err := accounting.Mock.Store().Seed("invoices", []store.Record{invoice("in-3", "o-1", 1000), invoice("in-4", "o-2", 2500)}); err != nil {
		t.Fatal(err)
	}
	opts.Only = "every order invoiced exactly once"
	gates, err = CheckConsistency(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(gates) != 1 || gates[0].Passed {
		t.Fatalf("a duplicated invoice passed: %+v", gates)
	}
	text := gates[0].Measured + " " + gates[0].Reason + " " + strings.Join(gates[0].Detail, " ")
	for _, want := range []string{"duplicate", "total"} {
		if !strings.Contains(text, want) {
			t.Errorf("the failure does not mention %q: %s", want, text)
		}
	}
	if strings.Contains(text, "sk_test_secret") {
		t.Error("a secret leaked into the gate")
	}
	if _, err := CheckConsistency(context.Background(), s, CheckOptions{Only: "nope", URLs: opts.URLs}); err == nil || !strings.Contains(err.Error(), "have:") {
		t.Errorf("an unknown check name: %v", err)
	}
	if _, err := CheckConsistency(context.Background(), s, CheckOptions{}); err == nil || !strings.Contains(err.Error(), "--url shop=") {
		t.Errorf("a system without address: %v", err)
	}
}

// TestCheckAggregatedSides groups both sides of a check, through the
// scenario's syntax, against running mocks: a customer's orders against
// their invoices. The negative controls are an invoice off by one cent
// and a customer never invoiced.
func TestCheckAggregatedSides(t *testing.T) {
	t.Parallel()
	shop, accounting := startMock(t, "shop.openapi.yaml"), startMock(t, "accounting.openapi.yaml")
	order := func(id, email, total string) store.Record {
		return store.Record{"id": id, "total_price": total, "currency": "EUR", "customer": map[string]any{"email": email}, "line_items": []any{}}
	}
	if err := shop.Mock.Store().Seed("orders", []store.Record{
		order("o-1", "Ann@example.com", "10.00"), order("o-2", "bob@example.com", "20.50"),
		order("o-3", "ann@example.com", "5.25"), order("o-4", "cy@example.com", "1.00"),
	}); err != nil {
		t.Fatal(err)
	}
	invoice := func(id, email string, cents int) store.Record {
		return store.Record{"id": id, "object": "invoice", "status": "open", "reference": id, "customer_email": email, "amount_cents": cents, "currency": "EUR", "issued_at": "2026-11-23T10:00:00Z"}
	}
	s, err := ReadFile(filepath.Join("testdata", "check", "invoiced-per-customer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := CheckOptions{URLs: map[string]string{"shop": shop.URL, "accounting": accounting.URL}}
	check := func(invoices ...store.Record) (bool, string) {
		t.Helper()
		if err := accounting.Mock.Store().ReplaceAll("invoices", invoices); err != nil {
			t.Fatal(err)
		}
		gates, err := CheckConsistency(context.Background(), s, opts)
		if err != nil || len(gates) != 1 {
			t.Fatalf("%v %+v", err, gates)
		}
		return gates[0].Passed, gates[0].Reason + "\n" + strings.Join(gates[0].Detail, "\n")
	}
	if ok, text := check(invoice("in-1", "ann@example.com", 1000), invoice("in-2", "bob@example.com", 2050),
		invoice("in-3", "ann@example.com", 525), invoice("in-4", "cy@example.com", 100)); !ok {
		t.Fatalf("agreeing systems failed: %s", text)
	}
	ok, text := check(invoice("in-1", "ann@example.com", 1000), invoice("in-2", "bob@example.com", 2050),
		invoice("in-3", "ann@example.com", 526))
	if ok {
		t.Fatal("a cent too many and a customer never invoiced passed")
	}
	for _, want := range []string{
		"mismatched ann@example.com (2 source records, 2 target records): cents",
		"- \t\"cents\": 1525,\n+ \t\"cents\": 1526,",
		"missing cy@example.com (1 source record)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the failure does not show %q:\n%s", want, text)
		}
	}
}
