package ci

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// stock is a warehouse's bins: bins SKUs per SKU, in an order that
// interleaves the SKUs, some over-reserved (reserved > on_hand), so that a
// sum that does not clamp each bin at zero comes out short. It returns the
// bins and each SKU's available stock.
func stock(skus, bins int) ([]map[string]any, map[string]int64) {
	var rows []map[string]any
	avail := map[string]int64{}
	for b := range bins {
		for s := range skus {
			sku := fmt.Sprintf("SKU-%d", s)
			onHand, reserved := int64((s*7+b*3)%11), int64((s+b)%5)
			if b == 1 {
				reserved = onHand + 2 // over-reserved: counts as 0, not -2
			}
			rows = append(rows, map[string]any{"sku": sku, "bin": float64(b), "on_hand": onHand, "reserved": reserved})
			avail[sku] += max(0, onHand-reserved)
		}
	}
	return rows, avail
}

// levels is the marketplace's inventory: one level per SKU.
func levels(avail map[string]int64) []map[string]any {
	var out []map[string]any
	for sku, n := range avail {
		out = append(out, map[string]any{"sku": sku, "available": float64(n)})
	}
	return out
}

func inventoryCheck(src, tgt []map[string]any, sum string) Check {
	return Check{
		Name: "inventory", Source: Static(src), Target: Static(tgt),
		SourceAggregate: &Aggregate{GroupBy: "sku", Values: map[string]string{"available": sum, "bins": "count()"}},
		Join:            Join{Source: "sku", Target: "sku"},
		Fields:          []Field{{Name: "available", Source: "available", Target: "available"}},
	}
}

const clamped = "sum(math.greatest(0, on_hand - reserved))"

func TestAggregateSumAgrees(t *testing.T) {
	t.Parallel()
	// 3,000 SKUs of 4 bins: many batches, grouped by several workers and merged.
	for _, skus := range []int{3, 3000} {
		rows, avail := stock(skus, 4)
		r := runCheck(t, inventoryCheck(rows, levels(avail), clamped))
		if !r.Passed || r.Matched != skus || r.Source != skus || r.SourceRows != 4*skus {
			t.Fatalf("%d SKUs: %s (matched %d, groups %d, rows %d)", skus, r.Reason, r.Matched, r.Source, r.SourceRows)
		}
		if want := fmt.Sprintf("%d of %d source groups (of %d records) matched", skus, skus, 4*skus); !strings.Contains(r.Reason, want) {
			t.Fatalf("reason %q, want %q", r.Reason, want)
		}
	}
}

func TestAggregateWithoutClampFails(t *testing.T) {
	t.Parallel()
	rows, avail := stock(3, 4)
	r := runCheck(t, inventoryCheck(rows, levels(avail), "sum(on_hand - reserved)"))
	if r.Passed || r.Mismatched.Count != 3 {
		t.Fatalf("an unclamped sum must miss every SKU by its over-reserved bin: %s", r.Reason)
	}
}

func TestAggregateOffByOne(t *testing.T) {
	t.Parallel()
	rows, avail := stock(3, 4)
	avail["SKU-1"]++
	r := runCheck(t, inventoryCheck(rows, levels(avail), clamped))
	if r.Passed || r.Mismatched.Count != 1 || r.Matched != 2 {
		t.Fatalf("want one mismatched group: %s", r.Reason)
	}
	e := r.Mismatched.Examples[0]
	want := fmt.Sprintf("- \t\"available\": %d,\n+ \t\"available\": %d,", avail["SKU-1"]-1, avail["SKU-1"])
	if e.Key != "SKU-1" || e.SourceRows != 4 || !strings.Contains(e.Diff, want) {
		t.Fatalf("want SKU-1, its 4 bins and the diff %q; got %+v", want, e)
	}
	g := r.Gate()
	if !strings.Contains(strings.Join(g.Detail, "\n"), "mismatched SKU-1 (4 source records): available") {
		t.Fatalf("the gate must show the group, its records and the aggregate:\n%s", strings.Join(g.Detail, "\n"))
	}
}

func TestAggregateMissingGroup(t *testing.T) {
	t.Parallel()
	rows, avail := stock(3, 4)
	delete(avail, "SKU-2")
	r := runCheck(t, inventoryCheck(rows, levels(avail), clamped))
	if r.Passed || r.Missing.Count != 1 {
		t.Fatalf("want one missing group: %s", r.Reason)
	}
	e := r.Missing.Examples[0]
	if e.Key != "SKU-2" || e.SourceRows != 4 || e.Record["available"] == nil {
		t.Fatalf("want SKU-2 with its 4 bins and its aggregate; got %+v", e)
	}
}

func TestAggregateFunctions(t *testing.T) {
	t.Parallel()
	rows := []map[string]any{
		{"sku": "a", "qty": int64(3), "price": 2.5, "name": "pear", "note": nil},
		{"sku": "a", "qty": int64(-1), "price": 1.25, "name": "apple", "note": nil},
		{"sku": "b", "qty": int64(7), "price": nil, "name": "fig"},
		{"sku": "a", "qty": int64(5), "price": 4.0, "name": "quince"},
	}
	c := Check{
		Name: "functions", Source: Static(rows),
		Target: Static([]map[string]any{
			{"id": "a", "total": 7, "n": 3, "low": 1.25, "high": 4, "first": "apple", "clamped": 8, "least": -1, "none": 0},
			{"id": "b", "total": 7, "n": 1, "low": nil, "high": nil, "first": "fig", "clamped": 7, "least": 0, "none": 0},
		}),
		SourceAggregate: &Aggregate{GroupBy: "sku.upperAscii().lowerAscii()", Values: map[string]string{
			"total": "sum(qty)", "n": "count()", "low": "min(price)", "high": "max(price)", "first": "min(name)",
			"clamped": "sum(math.greatest(0, qty))", "least": "min(math.least(0, qty))", "none": "sum(note)",
		}},
		Join: Join{Source: "key", Target: "id"},
	}
	for _, f := range []string{"total", "n", "low", "high", "first", "clamped", "least", "none"} {
		c.Fields = append(c.Fields, Field{Name: f, Source: f, Target: f})
	}
	r := runCheck(t, c)
	if !r.Passed {
		t.Fatalf("%s\n%s", r.Reason, strings.Join(r.Gate().Detail, "\n"))
	}
}

func TestAggregateErrors(t *testing.T) {
	t.Parallel()
	rows := []map[string]any{{"sku": "a", "qty": "three"}, {"sku": nil, "qty": 1.0}, {"sku": "a", "qty": 2.0}}
	c := Check{
		Name: "errors", Source: Static(rows), Target: Static([]map[string]any{{"sku": "a", "qty": 2}}),
		SourceAggregate: &Aggregate{GroupBy: "sku", Values: map[string]string{"qty": "sum(qty)"}},
		Join:            Join{Source: "sku", Target: "sku"},
		Fields:          []Field{{Name: "qty", Source: "qty", Target: "qty"}},
	}
	r := runCheck(t, c)
	if r.Passed || r.Errors.Count != 2 {
		t.Fatalf("want the text and the null key as errors: %s %+v", r.Reason, r.Errors)
	}
	if !strings.Contains(r.Errors.Examples[0].Error, `sum of "three", not a number`) || !strings.Contains(r.Errors.Examples[1].Error, "group_by sku is null") {
		t.Fatalf("errors: %+v", r.Errors.Examples)
	}
	if r.Mismatched.Count != 1 {
		t.Fatalf("a group with a failed aggregate must not pass as agreeing: %s", r.Reason)
	}
}

func TestAggregateCompileErrors(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"sum(a) + sum(b)":      "is not sum(EXPR)",
		"avg(a)":               "is not sum(EXPR)",
		"count(a)":             "is not sum(EXPR)",
		"a.sum()":              "is not sum(EXPR)",
		"sum(a +)":             "Syntax error",
		"sum(math.greatest())": "math.greatest() requires at least one argument",
		"sum(a.(b))":           "aggregate:1:7: Syntax error",
	} {
		if err := CompileAggregate(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", text, err, want)
		}
	}
	if err := CompileAggregate(clamped); err != nil {
		t.Fatal(err)
	}
	c := inventoryCheck(nil, nil, clamped)
	c.SourceAggregate.Values["sku"] = "count()"
	if _, err := c.Compile(); err == nil || !strings.Contains(err.Error(), `aggregate "sku": the group's key already has that name`) {
		t.Fatalf("an aggregate named as the key: %v", err)
	}
}

func TestMathExtension(t *testing.T) {
	t.Parallel()
	rec := map[string]any{"on_hand": 3.0, "reserved": int64(5), "a": 2.5}
	for text, want := range map[string]string{
		"math.greatest(0, on_hand - double(reserved))": "0",
		"math.greatest(on_hand, a)":                    "3",
		"math.least(a, 1, on_hand)":                    "1",
		"math.least([a, on_hand])":                     "2.5",
	} {
		e, err := compileExpr(text, "x")
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := e.eval(&activation{rec: rec}).json(); got != want {
			t.Errorf("%s = %s, want %s", text, got, want)
		}
	}
}

func TestExpressionFields(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"sku":                               "sku",
		"math.abs(a) + math.greatest(b, c)": "a b c",
		"items.exists(i, i.qty > min_qty)":  "items min_qty",
		`record["x-y"] + strings.quote(z)`:  "z",
		"customer.email.lowerAscii()":       "customer",
	} {
		got, err := ExpressionFields(text)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s: got %v %v, want %s", text, got, err, want)
		}
	}
}

// BenchmarkAggregate100k groups 100,000 bins into 25,000 SKUs before a
// check against their levels; ns/record is per bin and level together.
func BenchmarkAggregate100k(b *testing.B) {
	for _, sum := range []string{"sum(available)", clamped} {
		b.Run(strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(sum))[1], func(b *testing.B) {
			rows, avail := stock(25_000, 4)
			for _, r := range rows {
				r["available"] = max(0, r["on_hand"].(int64)-r["reserved"].(int64))
			}
			k, err := inventoryCheck(rows, levels(avail), sum).Compile()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := k.Run(context.Background())
				if err != nil || !res.Passed {
					b.Fatalf("%v %s", err, res.Reason)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)+len(avail)), "ns/record")
		})
	}
}

func TestAggregateReportHTML(t *testing.T) {
	t.Parallel()
	rows, avail := stock(3, 4)
	avail["SKU-1"]++
	delete(avail, "SKU-2")
	r := runCheck(t, inventoryCheck(rows, levels(avail), clamped))
	var b strings.Builder
	if err := WriteHTML(&b, Report{Scenario: "inventory", Gates: []Gate{r.Gate()}, Consistency: []Result{r}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<summary>SKU-1 (4 source records): available</summary>", "<summary>SKU-2 (4 source records)</summary>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
