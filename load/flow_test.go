package load

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestTemplateExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"id": "42", "seq": "7"}
	for src, want := range map[string]string{
		"/orders/${id}":       "/orders/42",
		"${seq}-${id}":        "7-42",
		"plain":               "plain",
		"cost $5 and $${id}":  "cost $5 and ${id}",
		"${id}${id}":          "4242",
		"{\"n\": \"${seq}\"}": `{"n": "7"}`,
	} {
		tm, err := parseTemplate(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := tm.expand(func(n string) string { return vars[n] }); got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
	for src, want := range map[string]string{"a ${id": "offset 2: unterminated", "${}": "offset 0: bad variable", "x${1a}": "offset 1: bad variable"} {
		if _, err := parseTemplate(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", src, err, want)
		}
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"/a/${id}", "$${x}", "${", "${a.b-c}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTemplate(s)
		if err != nil {
			return
		}
		// Expanding every variable to its own reference gives the text back,
		// except for escaped "$${", which expands to "${".
		got := tm.expand(func(n string) string { return "${" + n + "}" })
		if !strings.Contains(s, "$${") && got != s {
			t.Fatalf("%q round-trips to %q", s, got)
		}
	})
}

func TestCaptureExtract(t *testing.T) {
	t.Parallel()
	doc, err := decodeBody([]byte(`{"id":"o-1","n":12345678901234567890,"data":{"items":[{"id":7},{"id":8}]},"ok":true,"nil":null}`))
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{"Location": {"/orders/9"}}
	for expr, want := range map[string]string{
		"$.id": "o-1", "id": "o-1", "data.items[1].id": "8", "$.data.items[0].id": "7",
		"n": "12345678901234567890", "ok": "true", "data.items[0]": `{"id":7}`, "header:location": "/orders/9",
	} {
		c, err := parseCapture("x", expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if got, err := c.extract(doc, hdr); err != nil || got != want {
			t.Errorf("%q: got %q (%v), want %q", expr, got, err, want)
		}
	}
	for expr, want := range map[string]string{
		"$.missing": `no field "missing"`, "data.items[5]": "no element [5]", "id.x": "not an object",
		"nil": "null", "header:X-None": "no X-None header",
	} {
		c, err := parseCapture("x", expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if _, err := c.extract(doc, hdr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", expr, err, want)
		}
	}
	for expr, want := range map[string]string{"": "empty path", "a..b": "offset 1: empty field", "a[x]": "offset 2: index", "a[1": "unterminated [", "header:": "header name missing"} {
		if _, err := parseCapture("x", expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", expr, err, want)
		}
	}
}

func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.id", "data.items[0].id", "$", "a[1][2]", "a]b"} {
		f.Add(s, `{"id":1,"data":{"items":[{"id":"x"}]}}`)
	}
	f.Fuzz(func(t *testing.T, expr, body string) {
		c, err := parseCapture("x", expr)
		if err != nil {
			if !strings.Contains(err.Error(), "offset ") {
				t.Fatalf("%q: error without offset: %v", expr, err)
			}
			return
		}
		doc, err := decodeBody([]byte(body))
		if err != nil {
			return
		}
		c.extract(doc, nil) // must not panic
	})
}

func TestFlowValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	f := Flow{Name: "f", Steps: []Step{
		{Name: "a", URL: "http://127.0.0.1/${later}", Capture: map[string]string{"seq": "$.id", "bad": "a..b"}},
		{Name: "a", URL: "", Expect: 42, Unique: []string{"x["}},
	}}
	_, err := f.compile()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`step 1 (a): url: ${later} is neither`, `step 1 (a): capture seq: bad or reserved`,
		`step 1 (a): capture bad: "a..b"`, `step 2 (a): name: "a" used twice`, `step 2 (a): url: missing`,
		`step 2 (a): expect: 42 is not an HTTP status`, `step 2 (a): unique x[`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestIterationsMakeUniqueData(t *testing.T) {
	t.Parallel()
	steps, err := Flow{Steps: []Step{{Name: "create", Method: "post", URL: "http://127.0.0.1/o?n=${seq}",
		Header: map[string]string{"Idempotency-Key": "${uuid}"},
		Body:   map[string]any{"id": "order", "qty": 1.0, "note": "r=${rand}", "lines": []any{map[string]any{"sku": "a"}}},
		Unique: []string{"id", "qty", "lines[0].sku"}}}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seq := uint64(1); seq <= 50; seq++ {
		u, hdr, body, err := steps[0].request(newIteration(9, seq))
		if err != nil {
			t.Fatal(err)
		}
		var b map[string]any
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		key := hdr.Get("Idempotency-Key")
		id := b["id"].(string)
		sku := b["lines"].([]any)[0].(map[string]any)["sku"].(string)
		if seen[key] || seen[id] || seen[b["note"].(string)] || !strings.HasPrefix(id, "order-") || !strings.HasPrefix(sku, "a-") ||
			b["qty"].(float64) != float64(seq) || !strings.HasSuffix(u, fmt.Sprintf("n=%d", seq)) {
			t.Fatalf("iteration %d not unique: %s %s %v", seq, key, u, b)
		}
		seen[key], seen[id], seen[b["note"].(string)] = true, true, true
		if hdr.Get("Content-Type") != "application/json" || steps[0].method != "POST" {
			t.Fatalf("header %v method %s", hdr, steps[0].method)
		}
	}
	// Same seed, same data: runs are reproducible.
	a, b := newIteration(9, 3), newIteration(9, 3)
	if a.get(VarUUID) != b.get(VarUUID) || a.get(VarRand) != b.get(VarRand) || a.get(VarUUID) == newIteration(9, 4).get(VarUUID) {
		t.Fatal("same seed and sequence give different data")
	}
}

// TestRandRange: ${rand.N} is an integer below N, the same for every use in
// an iteration (both steps of an order name the same buyer), spread over
// every value across iterations, reproducible from the seed; a bad N is an
// error naming it.
func TestRandRange(t *testing.T) {
	t.Parallel()
	steps, err := Flow{Steps: []Step{
		{Name: "a", URL: "http://127.0.0.1/b/${rand.8}", Body: map[string]any{"email": "buyer-${rand.8}@x"}},
	}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for seq := uint64(1); seq <= 400; seq++ {
		it := newIteration(5, seq)
		u, _, body, err := steps[0].request(it)
		if err != nil {
			t.Fatal(err)
		}
		n := u[strings.LastIndexByte(u, '/')+1:]
		if !strings.Contains(string(body), "buyer-"+n+"@x") || it.get("rand.8") != n {
			t.Fatalf("iteration %d: url %s, body %s: not one value", seq, u, body)
		}
		seen[n]++
	}
	if len(seen) != 8 {
		t.Errorf("values %v, want 0 to 7 each", seen)
	}
	for v := range seen {
		if k, err := strconv.Atoi(v); err != nil || k < 0 || k > 7 {
			t.Errorf("value %q out of range", v)
		}
	}
	if a, b := newIteration(5, 7), newIteration(5, 7); a.get("rand.8") != b.get("rand.8") {
		t.Error("not reproducible")
	}
	for _, bad := range []string{"rand.0", "rand.x", "rand.-1"} {
		_, err := Flow{Steps: []Step{{Name: "a", URL: "http://127.0.0.1/${" + bad + "}"}}}.compile()
		if err == nil || !strings.Contains(err.Error(), "${"+bad+"}: want rand.N") {
			t.Errorf("${%s}: %v", bad, err)
		}
	}
}
