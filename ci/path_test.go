package ci

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// variedScalar is a value a JSON record (or one built in Go) may hold
// where a mapping reads it.
func variedScalar(r *rand.Rand) any {
	switch r.IntN(18) {
	case 0:
		return nil
	case 16:
		return tricky[r.IntN(len(tricky))]
	case 17:
		return float64(r.IntN(2000)-1000) / 8
	case 1:
		return float64(r.IntN(1000))
	case 2:
		return float64(r.IntN(100000)) / 100
	case 3:
		return r.IntN(1000)
	case 4:
		return int64(r.IntN(1000))
	case 5:
		return strconv.Itoa(r.IntN(1000)) // a number as a string
	case 6:
		return strconv.FormatFloat(float64(r.IntN(100000))/100, 'f', 2, 64)
	case 7:
		return "Customer" + strconv.Itoa(r.IntN(50)) + "@Example.com"
	case 8:
		return ""
	case 9:
		return r.IntN(2) == 0
	case 10:
		return time.Date(2026, 1, 1, r.IntN(24), r.IntN(60), 0, 0, time.UTC).Format(time.RFC3339)
	case 11:
		return time.Date(2026, 1, 1, r.IntN(24), 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")
	case 12:
		return []any{}
	case 13:
		return map[string]any{}
	case 14:
		return json.Number(strconv.Itoa(r.IntN(100)))
	}
	return []byte("raw")
}

// tricky are texts where conversions and case mapping have edges.
var tricky = []string{"Inf", "-inf", "NaN", " 12", "12 ", "1e3", "0x1p-2", "1_000", "+5", "-0", ".5", "1.7976931348623157e309",
	"café", "MiXeD Case", "ÉTÉ", "A\xffB", "ǅ", "İstanbul", "ALLCAPS", "lower"}

// variedShape is what a record may hold where a path expects an object or
// an array: the right shape, or not.
func variedShape(r *rand.Rand, obj func() any) any {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1:
		return "not an object"
	case 2:
		return []any{}
	case 3:
		return map[string]any{}
	}
	return obj()
}

// variedRecord builds a record of the shapes the paths of
// TestPathsAgreeWithCEL read, each field present or missing.
func variedRecord(r *rand.Rand, id int) map[string]any {
	rec := map[string]any{"id": float64(id)}
	maybe := func(k string, v func() any) {
		if r.IntN(6) > 0 {
			rec[k] = v()
		}
	}
	scalar := func() any { return variedScalar(r) }
	for _, k := range []string{"amount", "note", "flag", "created", "email"} {
		maybe(k, scalar)
	}
	maybe("customer", func() any {
		return variedShape(r, func() any {
			c := map[string]any{}
			if r.IntN(5) > 0 {
				c["email"] = variedScalar(r)
			}
			if r.IntN(3) > 0 {
				c["address"] = variedShape(r, func() any { return map[string]any{"city": variedScalar(r)} })
			}
			return c
		})
	})
	maybe("items", func() any {
		return variedShape(r, func() any {
			items := []any{}
			for range r.IntN(4) {
				if r.IntN(6) == 0 {
					items = append(items, variedScalar(r))
					continue
				}
				items = append(items, map[string]any{"sku": variedScalar(r), "qty": variedScalar(r)})
			}
			return items
		})
	})
	maybe("tags", func() any {
		return variedShape(r, func() any {
			tags := []any{}
			for range r.IntN(5) {
				tags = append(tags, variedScalar(r))
			}
			return tags
		})
	})
	maybe("matrix", func() any { return []any{[]any{variedScalar(r), variedScalar(r)}, variedScalar(r)} })
	return rec
}

var variedPaths = []string{"amount", "note", "flag", "created", "email", "customer", "customer.email", "customer.address.city",
	"items[0].sku", "items[1].qty", "items[2]", "items[0]", "tags[0]", "tags[3]", "matrix[0][1]", "matrix[1]", "absent.deeper"}

// TestPathsAgreeWithCEL holds the fast path of plain references to CEL:
// over records of every shape (missing fields, nulls, numbers as strings,
// ints and doubles, nested objects, arrays, the wrong shape where an object
// or an array is expected), each path read by lookups gives exactly the
// value CEL gives, and many records are read without CEL, so the test sees
// the fast path itself.
func TestPathsAgreeWithCEL(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]map[string]any, 3000)
	for i := range recs {
		recs[i] = variedRecord(r, i)
	}
	for _, p := range variedPaths {
		fast, err := compileExpr(p, "fast")
		if err != nil || fast.path == nil || fast.prog == nil {
			t.Fatalf("%s: not compiled as a path with its CEL program: %v", p, err)
		}
		slow, err := compileExpr(p, "cel", true)
		if err != nil || slow.path != nil {
			t.Fatalf("%s: not compiled for CEL: %v", p, err)
		}
		looked := 0
		for _, rec := range recs {
			a, b := fast.eval(&activation{rec: rec}), slow.eval(&activation{rec: rec})
			if a != b {
				t.Fatalf("%s over %v: the fast path reads %+v, CEL %+v", p, rec, a, b)
			}
			if _, ok := fast.lookup(rec); ok {
				looked++
			}
		}
		t.Logf("%s: %d of %d records read without CEL", p, looked, len(recs))
		switch {
		case p == "absent.deeper": // a missing key before the last step is CEL's to read
			if looked != 0 {
				t.Errorf("%s: %d records read without CEL", p, looked)
			}
		case looked < 25 || looked == len(recs):
			t.Errorf("%s: %d of %d records took the fast path: the records must exercise it and CEL", p, looked, len(recs))
		}
	}
}

// TestChecksAgreeWithCEL runs the same checks twice, plain references and
// common expressions read natively and by CEL, over varied records and
// every comparison mode, and
// requires identical results: counts, examples, diffs and errors.
func TestChecksAgreeWithCEL(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	src := make([]map[string]any, 2000)
	tgt := make([]map[string]any, 0, len(src))
	for i := range src {
		src[i] = variedRecord(r, i)
		switch {
		case i%50 == 7: // lost
		case i%3 == 0: // a copy: agrees
			tgt = append(tgt, src[i])
			if i%33 == 0 { // twice: duplicated
				tgt = append(tgt, src[i])
			}
		default: // another record under the same key: disagrees somewhere
			rec := variedRecord(r, i)
			if i%5 == 0 {
				rec["id"] = strconv.Itoa(i) // the key as a string
			}
			tgt = append(tgt, rec)
		}
	}
	for i := 1; i < len(src); i += 250 { // a key an earlier source record has
		src[i]["id"] = float64(i - 1)
	}
	tgt = append(tgt, variedRecord(r, 99999), map[string]any{"id": nil})
	fields := []Field{
		{Name: "amount", Source: "amount", Target: "amount", Tolerance: 0.5},
		{Name: "amount-exact", Source: "amount", Target: "amount"},
		{Name: "note", Source: "note", Target: "note", EmptyIsNull: true},
		{Name: "created", Source: "created", Target: "created", Time: true},
		{Name: "created-close", Source: "created", Target: "customer.address.city", TimeTolerance: time.Hour, Zone: "Europe/Paris"},
		{Name: "email", Source: "customer.email", Target: "email"},
		{Name: "sku", Source: "items[0].sku", Target: "items[0].sku"},
		{Name: "qty", Source: "items[1].qty", Target: "tags[0]", Tolerance: 1},
		{Name: "tag", Source: "tags[3]", Target: "matrix[0][1]", EmptyIsNull: true},
		{Name: "nested", Source: "customer", Target: "customer"},
		{Name: "flag", Source: "flag", Target: "flag", Ignore: true},
		{Name: "total", Source: "double(amount)", Target: "amount / 100.0", Tolerance: 0.01},
		{Name: "mail", Source: "customer.email.lowerAscii()", Target: "email.lowerAscii()"},
		{Name: "when", Source: "double(created)", Target: "double(note)", Time: true},
	}
	for _, expect := range []Expect{ExactlyOnce, AtLeastOnce, Subset} {
		run := func(viaCEL bool) Result {
			c := Check{Name: "varied", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "id"},
				Expect: expect, Fields: fields, MaxExamples: 50, viaCEL: viaCEL}
			k, err := c.Compile()
			if err != nil {
				t.Fatal(err)
			}
			res, err := k.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			res.Elapsed = 0
			return res
		}
		fast, slow := run(false), run(true)
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: the fast path and CEL disagree:\nfast %s\ncel  %s", expect, dump(fast), dump(slow))
		}
		if fast.Mismatched.Count < 100 || fast.Errors.Count == 0 || fast.Missing.Count == 0 || len(fast.FieldMismatches) < 10 ||
			fast.Unexpected.Count == 0 || fast.SourceDuplicates.Count == 0 || fast.Duplicated.Count == 0 {
			t.Errorf("%s: the records exercise too little: %s", expect, dump(fast))
		}
	}
}

func dump(r Result) string {
	b, _ := json.MarshalIndent(r, "", " ")
	return string(b)
}

// TestExpressionsAgreeWithCEL holds the native evaluation of common
// expressions (double(), lowerAscii(), arithmetic with a double literal) to
// CEL over the same varied records: identical values, errors included
// (those it leaves to CEL), and many records answered natively.
func TestExpressionsAgreeWithCEL(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	recs := make([]map[string]any, 4000)
	for i := range recs {
		recs[i] = variedRecord(r, i)
	}
	for _, text := range []string{"double(amount)", "double(note)", "double(customer.email)", "double(items[0].qty)", "double( tags[1] )",
		"email.lowerAscii()", "customer.email.lowerAscii()", "items[0].sku.lowerAscii()",
		"amount / 100.0", "amount * 2.5", "amount + 0.1", "items[1].qty - 1.0", "matrix[0][1] / 0.0", "(amount) / 3.0"} {
		fast, err := compileExpr(text, "fast")
		if err != nil || fast.native == nil {
			t.Fatalf("%s: no native form: %v", text, err)
		}
		slow, err := compileExpr(text, "cel", true)
		if err != nil || slow.native != nil {
			t.Fatalf("%s: %v", text, err)
		}
		natively := 0
		text := &scratch{}
		for i, rec := range recs {
			if i%100 == 0 {
				text.reset() // as a worker does between batches
			}
			a, b := fast.eval(&activation{rec: rec, text: text}), slow.eval(&activation{rec: rec})
			if a != b && !(a.k == kindDouble && b.k == kindDouble && a.float() != a.float() && b.float() != b.float()) { // NaN != NaN
				t.Fatalf("%s over %v: native %+v, CEL %+v", text, rec, a, b)
			}
			if _, ok := fast.native.eval(rec, nil); ok {
				natively++
			}
		}
		t.Logf("%s: %d of %d records answered natively", text, natively, len(recs))
		if natively < 40 || natively == len(recs) {
			t.Errorf("%s: %d of %d records answered natively: the records must exercise it and CEL", text, natively, len(recs))
		}
	}
	for _, text := range []string{"double(amount) / 100.0", "amount / 100", "100.0 / amount", "record.amount / 2.0", "amount.lowerAscii(1)", "int(amount)"} {
		if e, err := compileExpr(text, "other"); err == nil && e.native != nil {
			t.Errorf("%s: given a native form it does not have", text)
		}
	}
}
