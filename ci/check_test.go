package ci

import (
	"context"
	"strings"
	"testing"
	"time"
)

func orders() []map[string]any {
	return []map[string]any{
		{"id": 1.0, "total_price": "10.50", "customer": map[string]any{"email": "Ann@Example.com"}, "created_at": "2026-01-02T10:00:00+01:00", "note": ""},
		{"id": 2.0, "total_price": "20.00", "customer": map[string]any{"email": "bob@example.com"}, "created_at": "2026-01-02T11:00:00+01:00", "note": nil},
		{"id": 3.0, "total_price": "30.25", "customer": map[string]any{"email": "cy@example.com"}, "created_at": "2026-01-02T12:00:00+01:00"},
	}
}

func invoices() []map[string]any {
	return []map[string]any{
		{"reference": "1", "amount_cents": 1050, "email": "ann@example.com", "issued": "2026-01-02T09:00:00.2Z", "note": nil},
		{"reference": "2", "amount_cents": 2000, "email": "bob@example.com", "issued": "2026-01-02T10:00:00Z", "note": ""},
		{"reference": "3", "amount_cents": 3025, "email": "cy@example.com", "issued": "2026-01-02T11:00:00Z"},
	}
}

func orderCheck(src, tgt []map[string]any, expect Expect) Check {
	return Check{
		Name: "orders invoiced", Source: Static(src), Target: Static(tgt), Expect: expect,
		Join: Join{Source: "id", Target: "reference"},
		Fields: []Field{
			{Name: "total", Source: "double(total_price)", Target: "double(amount_cents) / 100.0", Tolerance: 0.005},
			{Name: "email", Source: "customer.email.lowerAscii()", Target: "email"},
			{Name: "at", Source: "created_at", Target: "issued", TimeTolerance: time.Second},
			{Name: "note", Source: "note", Target: "note", EmptyIsNull: true},
		},
	}
}

func runCheck(t testing.TB, c Check) Result {
	t.Helper()
	k, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckOutcomes(t *testing.T) {
	t.Parallel()
	dup := append(invoices(), map[string]any{"reference": "2", "amount_cents": 2000, "email": "bob@example.com", "issued": "2026-01-02T10:00:00Z"})
	extra := append(invoices(), map[string]any{"reference": "9", "amount_cents": 1, "email": "x@example.com", "issued": "2026-01-02T10:00:00Z"})
	wrong := invoices()
	wrong[2]["amount_cents"] = 3125
	lateTime := invoices()
	lateTime[0]["issued"] = "2026-01-02T09:00:02Z"
	tests := []struct {
		name   string
		check  Check
		passed bool
		counts [4]int // missing, unexpected, duplicated, mismatched
		reason string
	}{
		{"agree", orderCheck(orders(), invoices(), ExactlyOnce), true, [4]int{}, "3 of 3 source records matched"},
		{"missing", orderCheck(orders(), invoices()[:2], ExactlyOnce), false, [4]int{1, 0, 0, 0}, "1 missing in target"},
		{"unexpected", orderCheck(orders(), extra, ExactlyOnce), false, [4]int{0, 1, 0, 0}, "1 unexpected in target"},
		{"unexpected allowed by subset", orderCheck(orders(), extra, Subset), true, [4]int{0, 1, 0, 0}, "matched subset"},
		{"duplicated", orderCheck(orders(), dup, ExactlyOnce), false, [4]int{0, 0, 1, 0}, "1 duplicated (exactly-once breach)"},
		{"duplicated allowed at least once", orderCheck(orders(), dup, AtLeastOnce), true, [4]int{0, 0, 1, 0}, "matched at-least-once"},
		{"mismatch beyond tolerance", orderCheck(orders(), wrong, ExactlyOnce), false, [4]int{0, 0, 0, 1}, "1 with mismatched fields"},
		{"time beyond tolerance", orderCheck(orders(), lateTime, ExactlyOnce), false, [4]int{0, 0, 0, 1}, "1 with mismatched fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCheck(t, tt.check)
			got := [4]int{r.Missing.Count, r.Unexpected.Count, r.Duplicated.Count, r.Mismatched.Count}
			if r.Passed != tt.passed || got != tt.counts || !strings.Contains(r.Reason, tt.reason) {
				t.Fatalf("passed=%v counts=%v reason=%q; want %v %v %q\n%+v", r.Passed, got, r.Reason, tt.passed, tt.counts, tt.reason, r)
			}
			if r.Errors.Count != 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
		})
	}
}

func TestCheckMismatchDiff(t *testing.T) {
	t.Parallel()
	wrong := invoices()
	wrong[2]["amount_cents"] = 3125
	wrong[1]["email"] = "BOB@example.com"
	r := runCheck(t, orderCheck(orders(), wrong, ExactlyOnce))
	if r.Mismatched.Count != 2 || len(r.Mismatched.Examples) != 2 || r.FieldMismatches["email"] != 1 || r.FieldMismatches["total"] != 1 || len(r.FieldMismatches) != 2 {
		t.Fatalf("mismatched: %+v", r.Mismatched)
	}
	e := r.Mismatched.Examples[0]
	if e.Key != "2" || strings.Join(e.Fields, ",") != "email" || !hasDiffLine(e.Diff, "-", `"email": "bob@example.com"`) || !hasDiffLine(e.Diff, "+", `"email": "BOB@example.com"`) || strings.Contains(e.Diff, `"note":  ""`) {
		t.Fatalf("first example: %+v\n%s", e, e.Diff)
	}
	if e := r.Mismatched.Examples[1]; e.Key != "3" || !strings.Contains(e.Diff, "30.25") || !strings.Contains(e.Diff, "31.25") {
		t.Fatalf("second example: %+v", e)
	}
	g := r.Gate()
	if g.Passed || g.Kind != KindConsistency || len(g.Detail) != 2 {
		t.Fatalf("gate: %+v", g)
	}
}

func TestCheckFieldOptions(t *testing.T) {
	t.Parallel()
	zoned := []map[string]any{{"id": "a", "at": "2026-03-01 10:00:00", "n": nil, "x": 1.0}}
	utc := []map[string]any{{"id": "a", "at": "2026-03-01T09:00:00Z", "n": "", "x": 2.0}}
	base := func(fs ...Field) Check {
		return Check{Name: "opts", Source: Static(zoned), Target: Static(utc), Join: Join{Source: "id", Target: "id"}, Fields: fs}
	}
	tests := []struct {
		name  string
		field Field
		pass  bool
	}{
		{"zone normalised", Field{Name: "at", Source: "at", Target: "at", Time: true, Zone: "Europe/Paris"}, true},
		{"zone wrong", Field{Name: "at", Source: "at", Target: "at", Time: true}, false},
		{"empty is null", Field{Name: "n", Source: "n", Target: "n", EmptyIsNull: true}, true},
		{"empty is not null by default", Field{Name: "n", Source: "n", Target: "n"}, false},
		{"ignored", Field{Name: "x", Source: "x", Target: "x", Ignore: true}, true},
		{"not ignored", Field{Name: "x", Source: "x", Target: "x"}, false},
		{"tolerance covers", Field{Name: "x", Source: "x", Target: "x", Tolerance: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if r := runCheck(t, base(tt.field)); r.Passed != tt.pass {
				t.Fatalf("passed=%v want %v: %s %+v", r.Passed, tt.pass, r.Reason, r.Mismatched)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mut  func(*Check)
		want []string
	}{
		{"syntax", func(c *Check) { c.Fields[0].Source = "double(total_price" }, []string{`check "orders invoiced" field "total" source:1:`, "Syntax error"}},
		{"unknown function", func(c *Check) { c.Fields[1].Target = "email.shout()" }, []string{`check "orders invoiced" field "email" target:1:12`, "undeclared reference to 'shout'"}},
		{"empty join", func(c *Check) { c.Join.Target = "" }, []string{`check "orders invoiced" join.target: empty expression`}},
		{"bad expect", func(c *Check) { c.Expect = "twice" }, []string{`expect: unknown expectation "twice"`}},
		{"bad zone", func(c *Check) { c.Fields[2].Zone = "Mars/Olympus" }, []string{`field "at" zone`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := orderCheck(orders(), invoices(), ExactlyOnce)
			c.Fields = append([]Field(nil), c.Fields...)
			tt.mut(&c)
			_, err := c.Compile()
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCheckEvalErrors(t *testing.T) {
	t.Parallel()
	src := []map[string]any{{"id": 1.0, "total_price": "ten"}, {"total_price": "1"}}
	tgt := []map[string]any{{"reference": "1", "amount_cents": 1000}}
	c := Check{Name: "e", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "reference"},
		Fields: []Field{{Name: "total", Source: "double(total_price)", Target: "double(amount_cents) / 100.0"}}}
	r := runCheck(t, c)
	if r.Passed || r.Errors.Count != 2 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if !strings.Contains(r.Errors.Examples[0].Error, "source field total (double(total_price))") {
		t.Fatalf("error text: %q", r.Errors.Examples[0].Error)
	}
	if !strings.Contains(r.Errors.Examples[1].Error, "join key id is null") {
		t.Fatalf("error text: %q", r.Errors.Examples[1].Error)
	}
}

func TestCheckExamplesBounded(t *testing.T) {
	t.Parallel()
	var src []map[string]any
	for i := range 5000 {
		src = append(src, map[string]any{"id": float64(i)})
	}
	c := Check{Name: "b", Source: Static(src), Target: Static(nil), Join: Join{Source: "id", Target: "id"}, MaxExamples: 3}
	r := runCheck(t, c)
	if r.Missing.Count != 5000 || len(r.Missing.Examples) != 3 || r.Missing.Examples[0].Key != "0" || r.Missing.Examples[2].Key != "2" {
		t.Fatalf("missing: %d %+v", r.Missing.Count, r.Missing.Examples)
	}
}

// hasDiffLine reports whether diff has a line starting with sign that holds text.
func hasDiffLine(diff, sign, text string) bool {
	for _, l := range strings.Split(diff, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, sign) && strings.Contains(l, text) {
			return true
		}
	}
	return false
}

// FuzzCompileExpr feeds arbitrary expressions to the compiler: an error or
// a program, never a panic, and a program evaluates without one.
func FuzzCompileExpr(f *testing.F) {
	for _, s := range []string{"double(total_price)", "amount_cents / 100.0", "customer.email.lowerAscii()", "record['a-b']", "x.y.z", "[1,2].map(i, i*2)", "1/0", "(("} {
		f.Add(s)
	}
	rec := map[string]any{"total_price": "1.5", "amount_cents": 150.0, "customer": map[string]any{"email": "A@B"}, "x": nil}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := compileExpr(src, "fuzz")
		if err != nil {
			return
		}
		_ = e.eval(&activation{rec: rec})
	})
}

// FuzzTimeValue reads arbitrary text as a time field.
func FuzzTimeValue(f *testing.F) {
	for _, s := range []string{"2026-01-02T10:00:00+01:00", "2026-01-02 10:00:00", "2026-01-02", "Mon, 02 Jan 2006 15:04:05 MST", "x"} {
		f.Add(s)
	}
	fld := &field{Field: Field{Time: true}, loc: time.UTC}
	f.Fuzz(func(t *testing.T, s string) {
		v := fld.canon(stringValue(s))
		if v.k != kindTime && v.k != kindString {
			t.Fatalf("canon(%q) kind %d", s, v.k)
		}
		if !fld.equal(v, v) && v.k == kindTime {
			t.Fatalf("%q does not equal itself", s)
		}
	})
}

// Numbers compare and print as JSON numbers whatever Go type carried them,
// and a field read as instants agrees across zones and Unix forms; the
// negative controls disagree.
func TestCheckNumbersAndInstants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		src, tgt   any
		field      Field
		agree      bool
		minus, plu string
	}{
		{"int 2 against double 2.0", 2, 2.0, Field{Source: "int(v)"}, true, "", ""},
		{"int 2 against double 3.0", 2, 3.0, Field{Source: "int(v)"}, false, `"v": 2,`, `"v": 3,`},
		{"double 2.5 against int 2", 2.5, 2, Field{Target: "int(v)"}, false, `"v": 2.5,`, `"v": 2,`},
		{"instants across zones", "2026-01-02T03:04:05Z", "2026-01-02T04:04:05+01:00", Field{Time: true}, true, "", ""},
		{"the same text without instant", "2026-01-02T03:04:05Z", "2026-01-02T04:04:05+01:00", Field{}, false,
			`"v": "2026-01-02T03:04:05Z",`, `"v": "2026-01-02T04:04:05+01:00",`},
		{"instants a second apart", "2026-01-02T03:04:05Z", "2026-01-02T04:04:06+01:00", Field{Time: true}, false,
			`"v": "2026-01-02T03:04:05Z",`, `"v": "2026-01-02T03:04:06Z",`},
		{"Unix seconds", "2026-01-02T03:04:05Z", 1767323045, Field{Time: true}, true, "", ""},
		{"Unix milliseconds", 1767323045000, "2026-01-02T04:04:05+01:00", Field{Time: true}, true, "", ""},
		{"Unix milliseconds a second off", 1767323046000, "2026-01-02T04:04:05+01:00", Field{Time: true}, false,
			`"v": "2026-01-02T03:04:06Z",`, `"v": "2026-01-02T03:04:05Z",`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.field
			f.Name = "v"
			if f.Source == "" {
				f.Source = "v"
			}
			if f.Target == "" {
				f.Target = "v"
			}
			r := runCheck(t, Check{Name: "values", Join: Join{Source: "id", Target: "id"}, Fields: []Field{f},
				Source: Static([]map[string]any{{"id": "1", "v": tc.src}}), Target: Static([]map[string]any{{"id": "1", "v": tc.tgt}})})
			if agreed := r.Mismatched.Count == 0 && r.Matched == 1; agreed != tc.agree {
				t.Fatalf("agreed %v, want %v: %+v", agreed, tc.agree, r.Mismatched)
			}
			if tc.agree {
				return
			}
			d := r.Mismatched.Examples[0].Diff
			if !hasDiffLine(d, "-", tc.minus) || !hasDiffLine(d, "+", tc.plu) || strings.Contains(d, "int64(") || strings.Contains(d, "float64(") {
				t.Fatalf("diff, want - %s + %s:\n%s", tc.minus, tc.plu, d)
			}
		})
	}
}
