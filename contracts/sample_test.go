package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// sampleSchema decodes a schema written as JSON (3.0 or 3.1 keywords).
func sampleSchema(tb testing.TB, text string) *openapi3.Schema {
	tb.Helper()
	var s openapi3.Schema
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		tb.Fatalf("schema %s: %v", text, err)
	}
	return &s
}

// sampleRoundTrip marshals a sample and decodes it as a client would.
func sampleRoundTrip(tb testing.TB, v any) any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("unmarshal %s: %v", b, err)
	}
	return out
}

// checkSampleValid validates a value against a schema the way the corpus proof
// does (strict formats, direction, patterns Go cannot compile skipped).
func checkSampleValid(s *openapi3.Schema, v any, dir Direction) error {
	return checkSample(s, v, sampleValidation(false, dir, sampleTestFormats))
}

var sampleTestFormats = sampleFormats()

func TestSampleKeywords(t *testing.T) {
	t.Parallel()
	type check func(v any) error
	isString := func(ok func(string) bool, what string) check {
		return func(v any) error {
			s, isStr := v.(string)
			if !isStr || !ok(s) {
				return fmt.Errorf("want %s, got %#v", what, v)
			}
			return nil
		}
	}
	isInt := func(ok func(int64) bool, what string) check {
		return func(v any) error {
			n, isInt := v.(int64)
			if !isInt || !ok(n) {
				return fmt.Errorf("want int64 %s, got %#v", what, v)
			}
			return nil
		}
	}
	isFloat := func(ok func(float64) bool, what string) check {
		return func(v any) error {
			n, isF := v.(float64)
			if !isF || !ok(n) {
				return fmt.Errorf("want float64 %s, got %#v", what, v)
			}
			return nil
		}
	}
	isObject := func(ok func(map[string]any) bool, what string) check {
		return func(v any) error {
			m, isM := v.(map[string]any)
			if !isM || !ok(m) {
				return fmt.Errorf("want object %s, got %#v", what, v)
			}
			return nil
		}
	}
	parses := func(layout string) func(string) bool {
		return func(s string) bool { _, err := time.Parse(layout, s); return err == nil }
	}
	tests := []struct {
		name   string
		schema string
		check  check
		bad    any // a value the validator must reject: the negative control
	}{
		{"minLength maxLength", `{"type":"string","minLength":5,"maxLength":8}`,
			isString(func(s string) bool { return len(s) >= 5 && len(s) <= 8 }, "5 to 8 long"), "abc"},
		{"pattern class and repeat", `{"type":"string","pattern":"^AC[0-9a-fA-F]{32}$"}`,
			isString(regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`).MatchString, "a Twilio SID"), "AC12"},
		{"pattern alternation", `{"type":"string","pattern":"^([A-Z]{2}|C2)$"}`,
			isString(regexp.MustCompile(`^([A-Z]{2}|C2)$`).MatchString, "two capitals or C2"), "abc"},
		{"pattern unanchored", `{"type":"string","pattern":"[0-9]{2,}"}`,
			isString(regexp.MustCompile(`[0-9]{2,}`).MatchString, "two digits somewhere"), "x1"},
		{"pattern and maxLength", `{"type":"string","pattern":"^[a-z]+$","minLength":3,"maxLength":4}`,
			isString(regexp.MustCompile(`^[a-z]{3,4}$`).MatchString, "3-4 lower-case letters"), "abcde"},
		{"pattern Go cannot compile", `{"type":"string","pattern":"^(?=.*[0-9]).{8,}$","minLength":8}`,
			isString(func(s string) bool { return len(s) >= 8 }, "8 long, look-ahead ignored"), "short"},
		{"pattern with look-ahead keeps the rest", `{"type":"string","pattern":"^(?=.*[0-9])(?!x)[a-z0-9]{8}$","minLength":8}`,
			isString(regexp.MustCompile(`^[a-z0-9]{8}$`).MatchString, "8 lower-case letters or digits"), "short"},
		{"date-time", `{"type":"string","format":"date-time"}`, isString(parses(time.RFC3339), "RFC 3339"), "2020-13-01T00:00:00Z"},
		{"date", `{"type":"string","format":"date"}`, isString(parses(time.DateOnly), "a date"), "2021-02-30"},
		{"email", `{"type":"string","format":"email"}`, isString(func(s string) bool { return strings.Contains(s, "@") }, "an email"), "nope"},
		{"uuid", `{"type":"string","format":"uuid"}`, isString(uuidPattern.MatchString, "a uuid"), "1234"},
		{"uri", `{"type":"string","format":"uri"}`, isString(func(s string) bool { return strings.HasPrefix(s, "https://") }, "a URL"), "not a uri"},
		{"hostname", `{"type":"string","format":"hostname"}`, isString(func(s string) bool { return strings.Contains(s, ".") }, "a host"), "-bad-"},
		{"ipv4", `{"type":"string","format":"ipv4"}`, isString(func(s string) bool { a, err := netip.ParseAddr(s); return err == nil && a.Is4() }, "IPv4"), "::1"},
		{"ipv6", `{"type":"string","format":"ipv6"}`, isString(func(s string) bool { a, err := netip.ParseAddr(s); return err == nil && a.Is6() }, "IPv6"), "10.0.0.1"},
		{"byte", `{"type":"string","format":"byte"}`, isString(func(s string) bool { return formatValid("byte", s) }, "base64"), "!!"},
		{"enum", `{"type":"string","enum":["a","b"]}`, isString(func(s string) bool { return s == "a" || s == "b" }, "a or b"), "c"},
		{"enum with values of the wrong type", `{"type":"string","enum":[44925,"x"]}`, isString(func(s string) bool { return s == "x" }, "x"), 44925},
		{"const", `{"const":"fixed"}`, isString(func(s string) bool { return s == "fixed" }, "fixed"), "other"},
		{"3.0 exclusive booleans", `{"type":"integer","minimum":1,"maximum":3,"exclusiveMinimum":true,"exclusiveMaximum":true}`,
			isInt(func(n int64) bool { return n == 2 }, "2"), 3},
		{"3.1 exclusive numbers", `{"type":"integer","exclusiveMinimum":1,"exclusiveMaximum":3}`,
			isInt(func(n int64) bool { return n == 2 }, "2"), 1},
		{"integer multipleOf", `{"type":"integer","multipleOf":7,"minimum":10,"maximum":30}`,
			isInt(func(n int64) bool { return n%7 == 0 && n >= 10 && n <= 30 }, "a multiple of 7 in [10,30]"), 15},
		{"number multipleOf", `{"type":"number","multipleOf":0.25,"minimum":1,"maximum":2}`,
			isFloat(func(f float64) bool { return f >= 1 && f <= 2 && math.Mod(f*4, 1) == 0 }, "a quarter in [1,2]"), 1.1},
		{"number exclusive", `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.001}`,
			isFloat(func(f float64) bool { return f > 0 && f < 0.001 }, "in (0, 0.001)"), 0.001},
		{"int32", `{"type":"integer","format":"int32","minimum":2147483000}`,
			isInt(func(n int64) bool { return n >= 2147483000 && n <= math.MaxInt32 }, "near the int32 top"), 2147483648},
		{"integer past int64", `{"type":"integer","minimum":1e19,"maximum":1e19}`,
			isFloat(func(f float64) bool { return f == 1e19 }, "1e19 as float64"), -1},
		{"nullable prefers a value", `{"type":"string","nullable":true,"minLength":1}`, isString(func(s string) bool { return s != "" }, "a string"), 7},
		{"type array with null", `{"type":["null","integer"],"minimum":5,"maximum":5}`, isInt(func(n int64) bool { return n == 5 }, "5"), "5"},
		{"uniqueItems exhausts an enum", `{"type":"array","minItems":3,"uniqueItems":true,"items":{"type":"string","enum":["r","g","b"]}}`,
			func(v any) error {
				a, ok := v.([]any)
				if !ok || len(a) != 3 || a[0] == a[1] || a[1] == a[2] || a[0] == a[2] {
					return fmt.Errorf("want r, g, b in some order, got %#v", v)
				}
				return nil
			}, []any{"r", "r", "g"}},
		{"maxItems", `{"type":"array","minItems":0,"maxItems":1,"items":{"type":"integer"}}`,
			func(v any) error {
				if a, ok := v.([]any); !ok || len(a) > 1 {
					return fmt.Errorf("want at most one item, got %#v", v)
				}
				return nil
			}, []any{1, 2}},
		{"allOf merges", `{"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}},{"required":["b"],"properties":{"b":{"type":"string","maxLength":2}}}]}`,
			isObject(func(m map[string]any) bool { return m["a"] != nil && m["b"] != nil }, "with a and b"), map[string]any{"a": 1}},
		{"oneOf picks a branch matching alone", `{"oneOf":[{"type":"integer"},{"type":"number"}]}`,
			isFloat(func(f float64) bool { return f != math.Trunc(f) }, "a fraction (an integer matches both)"), 1},
		{"anyOf", `{"anyOf":[{"type":"string","maxLength":0},{"type":"boolean"}]}`,
			func(v any) error {
				if v != "" && v != true && v != false {
					return fmt.Errorf("want empty string or bool, got %#v", v)
				}
				return nil
			}, 3},
		{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"integer","minimum":1,"maximum":1}}`,
			isObject(func(m map[string]any) bool {
				for _, v := range m {
					if v != int64(1) {
						return false
					}
				}
				return len(m) == 1
			}, "with one entry 1"), map[string]any{"x": "y"}},
		{"additionalProperties false", `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"boolean"}}}`,
			isObject(func(m map[string]any) bool { _, ok := m["a"]; return ok && len(m) == 1 }, "with only a"), map[string]any{"z": 1}},
		{"minProperties", `{"type":"object","minProperties":2,"additionalProperties":{"type":"string"}}`,
			isObject(func(m map[string]any) bool { return len(m) >= 2 }, "with 2 entries"), map[string]any{"x": "y"}},
		{"valid example is used", `{"type":"string","example":"hello"}`, isString(func(s string) bool { return s == "hello" }, "hello"), 5},
		{"invalid example is ignored", `{"type":"string","maxLength":3,"example":"toolong"}`,
			isString(func(s string) bool { return len(s) <= 3 }, "at most 3 long"), "toolong"},
		{"example beside allOf", `{"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}],"example":{"a":5}}`,
			isObject(func(m map[string]any) bool { return m["a"] == float64(5) }, "the example"), map[string]any{"a": "x"}},
		{"not", `{"type":"string","enum":["a","b","c"],"not":{"enum":["a","b"]}}`,
			isString(func(s string) bool { return s == "c" }, "c"), "a"},
		{"not draws again", `{"type":"integer","minimum":1,"maximum":4,"not":{"enum":[2,3]}}`,
			isInt(func(n int64) bool { return n == 1 || n == 4 }, "1 or 4"), 2},
		{"invalid example, valid default", `{"type":"integer","example":"12","default":7}`, isInt(func(n int64) bool { return n == 7 }, "7"), "12"},
		{"integer enum comes back as int64", `{"type":"integer","enum":[3]}`, isInt(func(n int64) bool { return n == 3 }, "3"), 4},
	}
	// 3.1 keywords are checked by the JSON Schema 2020-12 validator: the 3.0
	// one in kin-openapi ignores const
	v31 := map[string]bool{"const": true, "3.1 exclusive numbers": true, "type array with null": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleSchema(t, tt.schema)
			opts := sampleValidation(v31[tt.name], Response, sampleTestFormats)
			for seed := int64(0); seed < 20; seed++ {
				v := Sample(s, SampleOptions{Seed: seed})
				if err := tt.check(v); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if err := checkSample(s, v, opts); err != nil {
					t.Fatalf("seed %d: sample %#v does not validate: %v", seed, v, err)
				}
			}
			if err := checkSample(s, tt.bad, opts); err == nil {
				t.Errorf("negative control: %#v validates, so the check cannot fail", tt.bad)
			}
			if err := tt.check(tt.bad); err == nil {
				t.Errorf("negative control: the keyword check accepts %#v", tt.bad)
			}
		})
	}
}

func TestSampleDirection(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type":"object","required":["id","password","name"],"properties":{
		"id":{"type":"string","readOnly":true},
		"password":{"type":"string","writeOnly":true},
		"name":{"type":"string"}}}`)
	tests := []struct {
		dir        Direction
		has, hasnt string
	}{
		{Response, "id", "password"},
		{Request, "password", "id"},
	}
	for _, tt := range tests {
		t.Run(tt.dir.String(), func(t *testing.T) {
			t.Parallel()
			v := Sample(s, SampleOptions{Seed: 1, Direction: tt.dir}).(map[string]any)
			if _, ok := v[tt.has]; !ok {
				t.Errorf("%s lacks %q: %v", tt.dir, tt.has, v)
			}
			if _, ok := v[tt.hasnt]; ok {
				t.Errorf("%s carries %q: %v", tt.dir, tt.hasnt, v)
			}
			if err := checkSampleValid(s, v, tt.dir); err != nil {
				t.Errorf("does not validate as a %s: %v", tt.dir, err)
			}
			// negative control: the other direction's sample is refused
			other := Sample(s, SampleOptions{Seed: 1, Direction: 1 - tt.dir})
			if err := checkSampleValid(s, other, tt.dir); err == nil {
				t.Errorf("a %s sample validates as a %s: the check cannot fail", 1-tt.dir, tt.dir)
			}
		})
	}
}

func TestSampleDeterministic(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type":"object","required":["email","amount","tags","id"],"properties":{
		"email":{"type":"string","format":"email"},
		"amount":{"type":"integer"},
		"id":{"type":"string","pattern":"^ch_[A-Za-z0-9]{14}$"},
		"tags":{"type":"array","items":{"type":"string"}}}}`)
	encode := func(seed int64) string {
		b, err := json.Marshal(Sample(s, SampleOptions{Seed: seed}))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := encode(42)
	got := make([]string, 8)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i] = encode(42)
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i, g := range got {
		if g != want {
			t.Errorf("goroutine %d: seed 42 gave %s, want %s", i, g, want)
		}
	}
	seen := map[string]int64{want: 42}
	for seed := int64(0); seed < 10; seed++ {
		if seed == 42 {
			continue
		}
		v := encode(seed)
		if prev, dup := seen[v]; dup {
			t.Errorf("seeds %d and %d gave the same value %s", prev, seed, v)
		}
		seen[v] = seed
	}
}

func TestSampleDoesNotAliasExamples(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type":"object","example":{"a":[1,2]}}`)
	v := Sample(s, SampleOptions{}).(map[string]any)
	v["a"].([]any)[0] = "changed"
	again := Sample(s, SampleOptions{}).(map[string]any)
	if again["a"].([]any)[0] != float64(1) {
		t.Fatalf("changing a sample changed the schema's example: %v", again)
	}
}

func TestSampleNilAndEmpty(t *testing.T) {
	t.Parallel()
	if v := Sample(nil, SampleOptions{}); v != nil {
		t.Errorf("nil schema: got %#v", v)
	}
	if v := Sample(&openapi3.Schema{}, SampleOptions{Name: "email"}); !strings.Contains(fmt.Sprint(v), "@") {
		t.Errorf("empty schema named email: got %#v", v)
	}
}

func TestSampleRealisticByName(t *testing.T) {
	t.Parallel()
	countries := regexp.MustCompile(`^[A-Z]{2}$`)
	tests := []struct {
		name, schema string
		ok           func(any) bool
	}{
		{"email", `{"type":"string"}`, func(v any) bool { return strings.Contains(v.(string), "@") }},
		{"billing_email_address", `{"type":"string","maxLength":64}`, func(v any) bool { return strings.Contains(v.(string), "@") }},
		{"country", `{"type":"string","maxLength":2}`, func(v any) bool { return countries.MatchString(v.(string)) }},
		{"currency", `{"type":"string"}`, func(v any) bool { return regexp.MustCompile(`^[A-Z]{3}$`).MatchString(v.(string)) }},
		{"amount", `{"type":"integer","minimum":0}`, func(v any) bool { n := v.(int64); return n >= 100 && n <= 100000 }},
		{"total_price", `{"type":"number"}`, func(v any) bool {
			f := v.(float64)
			return f >= 1 && f <= 1000 && math.Abs(math.Round(f*100)-f*100) < 1e-6
		}},
		{"price", `{"type":"number","maximum":0.5}`, func(v any) bool { return v.(float64) <= 0.5 }},
		{"quantity", `{"type":"integer"}`, func(v any) bool { n := v.(int64); return n >= 1 && n <= 10 }},
		{"created_at", `{"type":"string"}`, func(v any) bool { _, err := time.Parse(time.RFC3339, v.(string)); return err == nil }},
		{"created", `{"type":"integer"}`, func(v any) bool { n := v.(int64); return n > 1.5e9 && n < 1.9e9 }},
		{"website", `{"type":"string"}`, func(v any) bool { return strings.HasPrefix(v.(string), "https://") }},
		{"first_name", `{"type":"string","maxLength":3}`, func(v any) bool { return len(v.(string)) <= 3 }},
		{"status", `{"type":"string","enum":["open","paid"]}`, func(v any) bool { return v == "open" || v == "paid" }},
		{"currency", `{"type":"string","pattern":"^[a-z]{3}$"}`, func(v any) bool { return regexp.MustCompile(`^[a-z]{3}$`).MatchString(v.(string)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleSchema(t, tt.schema)
			for seed := range int64(10) {
				v := Sample(s, SampleOptions{Seed: seed, Name: tt.name})
				if !tt.ok(v) {
					t.Fatalf("seed %d: %#v is not a realistic %s for %s", seed, v, tt.name, tt.schema)
				}
				if err := checkSampleValid(s, v, Response); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
		})
	}
}

// samplePetStore is a small document with a discriminated oneOf and a cycle.
const samplePetStore = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},
"components":{"schemas":{
 "Pet":{"oneOf":[{"$ref":"#/components/schemas/Cat"},{"$ref":"#/components/schemas/Dog"}],
        "discriminator":{"propertyName":"kind","mapping":{"cat":"#/components/schemas/Cat","dog":"#/components/schemas/Dog"}}},
 "Cat":{"type":"object","required":["kind","lives"],"properties":{"kind":{"type":"string"},"lives":{"type":"integer","minimum":1,"maximum":9}}},
 "Dog":{"type":"object","required":["kind","bark"],"properties":{"kind":{"type":"string"},"bark":{"type":"boolean"}}},
 "Node":{"type":"object","required":["name","children"],"properties":{
   "name":{"type":"string"},
   "parent":{"$ref":"#/components/schemas/Node"},
   "children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}}}},
 "Loop":{"type":"object","required":["next"],"properties":{"next":{"$ref":"#/components/schemas/Loop"}}}
}}}`

func loadSamplePetStore(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(samplePetStore))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func TestSampleDiscriminator(t *testing.T) {
	t.Parallel()
	doc := loadSamplePetStore(t)
	pet := doc.Components.Schemas["Pet"].Value
	kinds := map[string]bool{}
	for seed := range int64(16) {
		v := Sample(pet, SampleOptions{Seed: seed}).(map[string]any)
		kind, _ := v["kind"].(string)
		kinds[kind] = true
		switch {
		case kind == "cat" && v["lives"] == nil, kind == "dog" && v["bark"] == nil, kind != "cat" && kind != "dog":
			t.Fatalf("seed %d: kind %q does not name the branch generated: %v", seed, kind, v)
		}
		if err := checkSampleValid(pet, v, Response); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if !kinds["cat"] || !kinds["dog"] {
		t.Errorf("16 seeds chose only %v", kinds)
	}
	bad := map[string]any{"kind": "dog", "lives": 3}
	if err := checkSampleValid(pet, bad, Response); err == nil {
		t.Error("negative control: a cat tagged dog validates")
	}
}

func TestSampleCycles(t *testing.T) {
	t.Parallel()
	doc := loadSamplePetStore(t)
	node := doc.Components.Schemas["Node"].Value
	depthOf := func(v any) int {
		var walk func(any) int
		walk = func(v any) int {
			d := 0
			switch x := v.(type) {
			case map[string]any:
				for _, e := range x {
					d = max(d, 1+walk(e))
				}
			case []any:
				for _, e := range x {
					d = max(d, 1+walk(e))
				}
			}
			return d
		}
		return walk(v)
	}
	for _, maxDepth := range []int{1, 3, DefaultMaxDepth} {
		t.Run(fmt.Sprint(maxDepth), func(t *testing.T) {
			t.Parallel()
			v := Sample(node, SampleOptions{Seed: 3, MaxDepth: maxDepth})
			if err := checkSampleValid(node, v, Response); err != nil {
				t.Fatalf("a cycle cut at depth %d does not validate: %v", maxDepth, err)
			}
			// a level of nesting is an object plus its array: 2 JSON levels
			if d := depthOf(v); d > 2*maxDepth+2 {
				t.Errorf("depth %d for MaxDepth %d", d, maxDepth)
			}
		})
	}
	// required all the way down: no finite valid value; it must still end
	loop := doc.Components.Schemas["Loop"].Value
	v := Sample(loop, SampleOptions{MaxDepth: 2})
	if d := depthOf(v); d != 2+hardDepthMargin {
		t.Errorf("endless required cycle stopped at depth %d, want %d", d, 2+hardDepthMargin)
	}
	if err := checkSampleValid(loop, v, Response); err == nil {
		t.Error("negative control: the cut value of an endless cycle validates")
	}
}

func TestSampleStripeCharge(t *testing.T) {
	t.Parallel()
	d, err := loadSampleDoc(t, corpustest.File(t, "openapi", "stripe__spec2.2020-04-23.json"))
	if err != nil {
		t.Fatal(err)
	}
	charge := d.doc.Components.Schemas["charge"].Value
	v := Sample(charge, SampleOptions{Seed: 7})
	if err := checkSampleValid(charge, v, Response); err != nil {
		t.Fatalf("charge: %v", err)
	}
	// negative controls: the check the corpus proof relies on catches a
	// missing required property and a wrong type inside a real schema
	broken := cloneValue(v).(map[string]any)
	delete(broken, "id")
	if err := checkSampleValid(charge, broken, Response); err == nil {
		t.Error("a charge without its required id validates")
	}
	broken = cloneValue(v).(map[string]any)
	broken["amount"] = "12"
	if err := checkSampleValid(charge, broken, Response); err == nil {
		t.Error("a charge with a string amount validates")
	}
	b, _ := json.Marshal(v)
	if len(b) > 256<<10 {
		t.Errorf("a charge takes %d bytes: objects are not kept small", len(b))
	}
	m := v.(map[string]any)
	if m["object"] != "charge" {
		t.Errorf("object %v is not the enum's only value", m["object"])
	}
	if n, ok := m["amount"].(int64); !ok || n < 100 || n > 100000 {
		t.Errorf("amount %#v is not an integer number of cents", m["amount"])
	}
	if c, ok := m["currency"].(string); !ok || !slices.Contains([]string{"USD", "EUR", "GBP", "JPY"}, c) && len(c) != 3 {
		t.Errorf("currency %#v is not an ISO 4217 code", m["currency"])
	}
}

func TestStripLookaround(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`^(?=.*[0-9]).{8,}$`, `^.{8,}$`},
		{`^(?!(x|y))[a-z]+(?<=z)$`, `^[a-z]+$`},
		{`^\(?=a)$`, `^\(?=a)$`},
		{`^[(?=]x$`, `^[(?=]x$`},
		{`^(a)(?:b)$`, `^(a)(?:b)$`},
	}
	for _, tt := range tests {
		if got := stripLookaround(tt.in); got != tt.want {
			t.Errorf("stripLookaround(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSamplePatternFollowsRealisticValue(t *testing.T) {
	t.Parallel()
	plain := sampleSchema(t, `{"type":"string"}`)
	tests := []struct {
		name, schema string
		want         func(realistic string) string
	}{
		{"currency", `{"type":"string","pattern":"^[a-z]{3}$"}`, strings.ToLower},
		{"image_url", `{"type":"string","format":"uri","pattern":"^(https:)([/|.|\\w|\\s|-])*\\.(?:jpg|png)$"}`,
			func(r string) string { return r }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleSchema(t, tt.schema)
			re := regexp.MustCompile(s.Pattern)
			for seed := range int64(5) {
				realistic := Sample(plain, SampleOptions{Seed: seed, Name: tt.name}).(string)
				got := Sample(s, SampleOptions{Seed: seed, Name: tt.name}).(string)
				if !re.MatchString(got) {
					t.Fatalf("seed %d: %q does not match %s", seed, got, s.Pattern)
				}
				if want := tt.want(realistic); !strings.HasPrefix(got, want) {
					t.Errorf("seed %d: %q does not follow the realistic %q", seed, got, want)
				}
			}
		})
	}
}

func TestSampleUncompilablePattern(t *testing.T) {
	t.Parallel()
	const lookAhead = `^(?=.*[0-9]).{8,}$_sample_test` // unique to this test: kin-openapi caches patterns process-wide
	s := sampleSchema(t, `{"type":"object","required":["code"],"properties":{"code":{"type":"string","pattern":"`+lookAhead+`","example":"abc12345_sample_test"}}}`)
	v := Sample(s, SampleOptions{Seed: 1}).(map[string]any)
	if v["code"] != "abc12345_sample_test" {
		t.Errorf("the example under a pattern Go cannot compile was not used: %v", v)
	}
	// Sample leaves kin-openapi's behaviour alone for everyone else: a plain
	// validation still reports the pattern it cannot compile
	var unsupported *openapi3.SchemaPatternRegexError
	if err := s.VisitJSON(sampleRoundTrip(t, v)); !errors.As(err, &unsupported) {
		t.Errorf("plain validation after sampling: %v, want a SchemaPatternRegexError", err)
	}
}

func TestSamplePatternProperties(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type":"object","patternProperties":{"^x-[a-z]{3}$":{"type":"integer","minimum":7,"maximum":7}},"additionalProperties":false}`)
	key := regexp.MustCompile(`^x-[a-z]{3}$`)
	for seed := range int64(5) {
		m := Sample(s, SampleOptions{Seed: seed}).(map[string]any)
		if len(m) != 1 {
			t.Fatalf("seed %d: want one entry, got %v", seed, m)
		}
		for k, v := range m {
			if !key.MatchString(k) || v != int64(7) {
				t.Fatalf("seed %d: entry %q: %#v does not follow patternProperties", seed, k, v)
			}
		}
		if err := checkSample(s, m, sampleValidation(true, Response, sampleTestFormats)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if err := checkSample(s, map[string]any{"x-abc": 8}, sampleValidation(true, Response, sampleTestFormats)); err == nil {
		t.Error("negative control: a value breaking patternProperties validates")
	}
}

func TestSampleExpandableID(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"anyOf":[{"type":"string","maxLength":5000},{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}]}`)
	var strings int
	for seed := range int64(10) {
		v := Sample(s, SampleOptions{Seed: seed, Name: "customer"})
		if id, ok := v.(string); ok {
			strings++
			if !uuidPattern.MatchString(id) {
				t.Errorf("seed %d: the id form of an expandable customer is %q", seed, id)
			}
		}
	}
	if strings == 0 {
		t.Fatal("no seed chose the string branch")
	}
	// negative control: without an object to stand for, a customer string is a name
	plain := sampleSchema(t, `{"anyOf":[{"type":"string","maxLength":5000},{"type":"integer"}]}`)
	for seed := range int64(10) {
		if v, ok := Sample(plain, SampleOptions{Seed: seed, Name: "customer"}).(string); ok && uuidPattern.MatchString(v) {
			t.Errorf("seed %d: %q looks like an id without an expandable object", seed, v)
		}
	}
}

func TestSampleImpossibleOptionalLeftOut(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type":"object","required":["a"],"properties":{
		"a":{"type":"string"},
		"b":{"type":"string","pattern":"^[0-9]{5}$","maxLength":3},
		"c":{"type":"string","enum":["long"],"maxLength":1}}}`)
	v := Sample(s, SampleOptions{Seed: 1}).(map[string]any)
	if _, ok := v["b"]; ok {
		t.Errorf("b (pattern longer than maxLength) was filled: %v", v)
	}
	if _, ok := v["c"]; ok {
		t.Errorf("c (enum breaking maxLength) was filled: %v", v)
	}
	if err := checkSampleValid(s, v, Response); err != nil {
		t.Errorf("the object without them does not validate: %v", err)
	}
	if err := checkSampleValid(s, map[string]any{"a": "x", "b": "123"}, Response); err == nil {
		t.Error("negative control: b = 123 validates")
	}
}

func TestSampleDependentRequired(t *testing.T) {
	t.Parallel()
	props := []string{`"card":{"type":"string"}`, `"billing":{"type":"string"}`}
	for i := range maxOptional + 3 { // more optional properties than are filled
		props = append(props, fmt.Sprintf(`"p%d":{"type":"boolean"}`, i))
	}
	s := sampleSchema(t, `{"type":"object","required":["card"],"properties":{`+strings.Join(props, ",")+
		`},"dependentRequired":{"card":["billing"]}}`)
	opts := sampleValidation(true, Response, sampleTestFormats)
	for seed := range int64(20) {
		v := Sample(s, SampleOptions{Seed: seed}).(map[string]any)
		if _, ok := v["billing"]; !ok {
			t.Fatalf("seed %d: card without billing: %v", seed, v)
		}
		if err := checkSample(s, v, opts); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if err := checkSample(s, map[string]any{"card": "x"}, opts); err == nil {
		t.Error("negative control: card without billing validates")
	}
}

// TestSampleRequiredOnly: with RequiredOnly an order is what a person
// would write, its required properties at every level and nothing else; an
// object that requires nothing still gets its properties; the value
// validates. Without it the optional properties are filled.
func TestSampleRequiredOnly(t *testing.T) {
	t.Parallel()
	s := sampleSchema(t, `{"type": "object", "required": ["intent", "purchase_units"], "properties": {
		"intent": {"type": "string", "enum": ["CAPTURE", "AUTHORIZE"]},
		"payer": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
		"purchase_units": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["amount"], "properties": {
			"amount": {"type": "object", "required": ["currency_code", "value"], "properties": {
				"currency_code": {"type": "string", "minLength": 3, "maxLength": 3},
				"value": {"type": "string"},
				"breakdown": {"type": "object"}}},
			"description": {"type": "string"},
			"shipping": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}}`)
	v := Sample(s, SampleOptions{Seed: 1, Direction: Request, RequiredOnly: true})
	if err := checkSampleValid(s, sampleRoundTrip(t, v), Request); err != nil {
		t.Fatalf("%v does not validate: %v", v, err)
	}
	b, _ := json.Marshal(v)
	for _, left := range []string{"payer", "breakdown", "description", "shipping"} {
		if strings.Contains(string(b), `"`+left+`"`) {
			t.Errorf("optional %q in the required-only sample %s", left, b)
		}
	}
	for _, kept := range []string{"intent", "purchase_units", "amount", "currency_code", "value"} {
		if !strings.Contains(string(b), `"`+kept+`"`) {
			t.Errorf("required %q missing from %s", kept, b)
		}
	}
	open := sampleSchema(t, `{"type": "object", "properties": {"name": {"type": "string"}, "note": {"type": "string"}}}`)
	if m, _ := Sample(open, SampleOptions{Seed: 1, RequiredOnly: true}).(map[string]any); len(m) != 2 {
		t.Errorf("an object that requires nothing got %v, want its properties", m)
	}
	full, _ := json.Marshal(Sample(s, SampleOptions{Seed: 1, Direction: Request}))
	if !strings.Contains(string(full), `"payer"`) {
		t.Errorf("without RequiredOnly the optional properties are left out: %s", full)
	}
}
