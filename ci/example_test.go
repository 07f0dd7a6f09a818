package ci_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A consistency check: every shop order invoiced exactly once, totals equal
// within half a cent, emails equal once lower-cased.
func ExampleCheck() {
	orders := []map[string]any{
		{"id": 1.0, "total_price": "10.50", "customer": map[string]any{"email": "Ann@Example.com"}},
		{"id": 2.0, "total_price": "20.00", "customer": map[string]any{"email": "bob@example.com"}},
		{"id": 3.0, "total_price": "30.00", "customer": map[string]any{"email": "cy@example.com"}},
	}
	invoices := []map[string]any{
		{"reference": "1", "amount_cents": 1050.0, "email": "ann@example.com"},
		{"reference": "2", "amount_cents": 2000.0, "email": "bob@example.com"},
		{"reference": "2", "amount_cents": 2000.0, "email": "bob@example.com"},
	}
	k, err := ci.Check{
		Name:   "every order invoiced exactly once",
		Source: ci.Static(orders), Target: ci.Static(invoices),
		Join:   ci.Join{Source: "id", Target: "reference"},
		Expect: ci.ExactlyOnce,
		Fields: []ci.Field{
			{Name: "total", Source: "double(total_price)", Target: "amount_cents / 100.0", Tolerance: 0.005},
			{Name: "email", Source: "customer.email.lowerAscii()", Target: "email"},
		},
	}.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := k.Settle(context.Background(), 0, 0) // one run: no time to settle
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Passed, res.Missing.Count, res.Duplicated.Count)
	fmt.Println(res.Missing.Examples[0].Key, res.Duplicated.Examples[0].Key)
	// Output:
	// false 1 1
	// 3 2
}

// A bad expression names the check, the field and the column.
func ExampleCheck_Compile() {
	_, err := ci.Check{
		Name: "totals", Join: ci.Join{Source: "id", Target: "ref"},
		Fields: []ci.Field{{Name: "total", Source: "double(total_price", Target: "amount"}},
	}.Compile()
	fmt.Println(err)
	// Output:
	// ci: ERROR: check "totals" field "total" source:1:19: Syntax error: missing ')' at '<EOF>'
	//  | double(total_price
	//  | ..................^
}

// Resilience gates read the mocks' journals; the verdict weighs every gate.
func ExampleJudge() {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var journal []toolkit.Entry
	for i := range 4 { // the same write, retried every 100 ms
		journal = append(journal, toolkit.Entry{System: "accounting", Time: at.Add(time.Duration(i) * 100 * time.Millisecond),
			Method: "POST", Path: "/invoices", Body: []byte(`{"ref":"1"}`), Status: 503, Valid: true})
	}
	v := ci.Judge(
		ci.Backoff(journal, ci.BackoffOptions{System: "accounting"}),
		ci.Conformance(journal, ci.ConformanceOptions{}),
	)
	for _, g := range v.Gates {
		fmt.Printf("%s %s: %s\n", g.Status(), g.Name, g.Reason)
	}
	fmt.Println("exit", v.Code)
	// Output:
	// fail retries back off (accounting): retry intervals do not grow: ×1.00 < ×1.40
	// pass requests conform to the contracts: the service spoke every contract correctly
	// exit fail
}

// WriteAll writes the four reports of a run.
func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "firedrill-report")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	r := ci.Report{Scenario: "baseline", Gates: []ci.Gate{{Name: "p99 < 1.5s", Kind: ci.KindLoad, Passed: true, Measured: "p99 420ms"}}}
	if err := ci.WriteAll(dir, r); err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range ci.ReportFiles() {
		_, err := os.Stat(filepath.Join(dir, name))
		fmt.Println(name, err == nil)
	}
	// Output:
	// junit.xml true
	// report.html true
	// summary.json true
	// summary.md true
}

// A side grouped before the join: a warehouse's bins summed per SKU, each
// bin's reservations clamped at zero, against one inventory level per SKU.
func ExampleAggregate() {
	bins := []map[string]any{
		{"sku": "A", "on_hand": 5, "reserved": 2},
		{"sku": "A", "on_hand": 1, "reserved": 3}, // over-reserved: counts as 0
		{"sku": "B", "on_hand": 4, "reserved": 0},
	}
	levels := []map[string]any{{"sku": "A", "available": 3}, {"sku": "B", "available": 5}}
	k, err := ci.Check{
		Name:   "inventory",
		Source: ci.Static(bins), Target: ci.Static(levels),
		SourceAggregate: &ci.Aggregate{GroupBy: "sku", Values: map[string]string{
			"available": "sum(math.greatest(0, on_hand - reserved))",
		}},
		Join:   ci.Join{Source: "sku", Target: "sku"},
		Fields: []ci.Field{{Name: "available", Source: "available", Target: "available"}},
	}.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := k.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Reason)
	fmt.Print(res.Gate().Detail[0])
	// Output:
	// exactly-once: 1 with mismatched fields
	// mismatched B (1 source record): available
	//   {
	// - 	"available": 4,
	// + 	"available": 5,
	//   }
}
