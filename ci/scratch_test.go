package ci

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestKeyTextOfIntegralDoubles holds the scratch's join-key text to
// value.keyText (FormatFloat's shortest form) over the doubles where it
// writes integers, their edges and the values it leaves to keyText.
func TestKeyTextOfIntegralDoubles(t *testing.T) {
	t.Parallel()
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 7, 10, 100, 1e14, 1e15 - 1, 1e15, -1e15 + 1, 1e15 + 1, 1e16, 1 << 53, 1<<53 + 2, 1e21, 1e300,
		0.5, -0.5, 1.25, 123456.789, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, math.MaxFloat64, 999999999999999.9}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100_000 {
		vals = append(vals, float64(r.Int64N(2e15)-1e15), math.Trunc(r.NormFloat64()*1e6), r.Float64()*1e16, math.Pow(10, float64(r.IntN(20))))
	}
	var s scratch
	for i, f := range vals {
		if i%1000 == 0 {
			s.reset()
		}
		v := doubleValue(f)
		if got, want := s.keyText(v), v.keyText(); got != want {
			t.Fatalf("keyText(%v) = %q, want %q", f, got, want)
		}
		if got, want := (*scratch)(nil).keyText(v), v.keyText(); got != want {
			t.Fatalf("keyText(%v) without scratch = %q, want %q", f, got, want)
		}
	}
	for _, i := range []int64{0, -1, 42, math.MaxInt64, math.MinInt64} {
		if got, want := s.keyText(intValue(i)), intValue(i).keyText(); got != want {
			t.Fatalf("keyText(int %d) = %q, want %q", i, got, want)
		}
	}
}

// TestScratchKeepsWhatItHandedOut: text handed out in a batch stays
// intact while the batch writes more than the buffer holds, and a reset
// reuses the buffer.
func TestScratchKeepsWhatItHandedOut(t *testing.T) {
	t.Parallel()
	var s scratch
	var got, want []string
	for i := range 5000 {
		w := strings.Repeat("AbC", i%7+1)
		got = append(got, s.lower(w))
		want = append(want, strings.ToLower(w))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("text %d became %q, want %q", i, got[i], want[i])
		}
	}
	first := cap(s.buf)
	s.reset()
	if s.lower("XY") != "xy" || cap(s.buf) != first {
		t.Fatalf("reset did not reuse the buffer: cap %d, was %d", cap(s.buf), first)
	}
	if (*scratch)(nil).lower("Mixed@Example.COM") != "mixed@example.com" {
		t.Fatal("nil scratch lowers wrong")
	}
}

// TestExamplesOutliveTheirBatch: keys written from numbers and lowered
// text live in a worker's scratch only while it maps their batch; the
// examples that keep them (mismatched, unexpected, errors) must hold their
// own copies, intact after every later batch has reused the buffer.
func TestExamplesOutliveTheirBatch(t *testing.T) {
	t.Parallel()
	const n = 20 * batchSize
	rec := func(id int, mail string) map[string]any {
		return map[string]any{"id": float64(id), "mail": mail, "amount": float64(id % 10)}
	}
	var src, tgt []map[string]any
	for i := range n {
		src = append(src, rec(i, "User"+strconv.Itoa(i)+"@Example.COM"))
		switch {
		case i%batchSize == 5: // mismatched e-mail
			tgt = append(tgt, rec(i, "Other"+strconv.Itoa(i)+"@Example.COM"))
		case i%batchSize == 6: // a text amount: double() fails on the target
			r := rec(i, "USER"+strconv.Itoa(i)+"@example.com")
			r["amount"] = "x" + strconv.Itoa(i)
			tgt = append(tgt, r)
		default:
			tgt = append(tgt, rec(i, "USER"+strconv.Itoa(i)+"@example.com"))
		}
	}
	for i := range 3 * batchSize {
		if i%batchSize == 9 {
			tgt = append(tgt, rec(n+i, "New"+strconv.Itoa(n+i)+"@Example.COM"))
		}
	}
	c := Check{Name: "outlive", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "id"}, MaxExamples: 100,
		Fields: []Field{{Name: "mail", Source: "mail.lowerAscii()", Target: "mail.lowerAscii()"}, {Name: "amount", Source: "double(amount)", Target: "double(amount)"}}}
	k, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Mismatched.Examples) != 40 || len(res.Unexpected.Examples) != 3 || len(res.Errors.Examples) != 20 {
		t.Fatalf("examples kept: %d %d %d", len(res.Mismatched.Examples), len(res.Unexpected.Examples), len(res.Errors.Examples))
	}
	if res.Mismatched.Count != 40 || res.Unexpected.Count != 3 || res.Errors.Count != 20 {
		t.Fatalf("mismatched %d unexpected %d errors %d", res.Mismatched.Count, res.Unexpected.Count, res.Errors.Count)
	}
	for j, e := range res.Mismatched.Examples { // the e-mails, and the amounts that failed
		id := strconv.Itoa(j/2*batchSize + 5 + j%2)
		if j%2 == 1 {
			if e.Key != id || len(e.Fields) != 1 || e.Fields[0] != "amount" {
				t.Fatalf("mismatched example %d: key %q fields %v", j, e.Key, e.Fields)
			}
			continue
		}
		if e.Key != id || !strings.Contains(e.Diff, `"other`+id+`@example.com"`) || !strings.Contains(e.Diff, `"user`+id+`@example.com"`) {
			t.Fatalf("mismatched example %d: key %q diff %s", j, e.Key, e.Diff)
		}
	}
	for j, e := range res.Unexpected.Examples {
		id := strconv.Itoa(n + j*batchSize + 9)
		if e.Key != id || e.Record["mail"] != "new"+id+"@example.com" {
			t.Fatalf("unexpected example %d: key %q record %v", j, e.Key, e.Record)
		}
	}
	for j, e := range res.Errors.Examples {
		if id := strconv.Itoa(j*batchSize + 6); e.Key != id {
			t.Fatalf("error example %d: key %q, want %s", j, e.Key, id)
		}
	}
}
