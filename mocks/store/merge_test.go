package store_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/firedrill/firedrill/mocks/store"
)

// rfc7386Appendix holds the test cases of RFC 7386, appendix A.
var rfc7386Appendix = []struct{ target, patch, want string }{
	{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
	{`{"a":"b"}`, `{"a":null}`, `{}`},
	{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
	{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
	{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
	{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
	{`["a","b"]`, `["c","d"]`, `["c","d"]`},
	{`{"a":"b"}`, `["c"]`, `["c"]`},
	{`{"a":"foo"}`, `null`, `null`},
	{`{"a":"foo"}`, `"bar"`, `"bar"`},
	{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
	{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
	{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
}

func decode(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestMergePatchRFC7386(t *testing.T) {
	t.Parallel()
	for _, tt := range rfc7386Appendix {
		t.Run(tt.target+"+"+tt.patch, func(t *testing.T) {
			t.Parallel()
			got := store.MergePatch(decode(t, tt.target), decode(t, tt.patch))
			if d := cmp.Diff(decode(t, tt.want), got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

// The store applies the same rules to a record (object patches only).
func TestStorePatchRFC7386(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	for i, tt := range rfc7386Appendix {
		target, ok1 := decode(t, tt.target).(map[string]any)
		patch, ok2 := decode(t, tt.patch).(map[string]any)
		want, ok3 := decode(t, tt.want).(map[string]any)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		target["id"] = float64(1000 + i)
		if _, err := s.Create("orders", nil, target); err != nil {
			t.Fatal(err)
		}
		got, err := s.Patch("orders", nil, decodeID(1000+i), patch)
		if err != nil {
			t.Fatal(err)
		}
		delete(got, "created_at")
		delete(got, "updated_at")
		want["id"] = float64(1000 + i)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s + %s (-want +got):\n%s", tt.target, tt.patch, d)
		}
	}
}

func decodeID(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// FuzzMergePatch: never a panic, and a merge patch is idempotent.
func FuzzMergePatch(f *testing.F) {
	for _, tt := range rfc7386Appendix {
		f.Add(tt.target, tt.patch)
	}
	f.Fuzz(func(t *testing.T, target, patch string) {
		var tv, pv any
		if json.Unmarshal([]byte(target), &tv) != nil || json.Unmarshal([]byte(patch), &pv) != nil {
			return
		}
		once := store.MergePatch(tv, pv)
		onceJSON, _ := json.Marshal(once)
		var again any
		_ = json.Unmarshal(onceJSON, &again)
		twice := store.MergePatch(again, pv)
		if d := cmp.Diff(once, twice); d != "" {
			t.Fatalf("applying %s twice differs from once (-once +twice):\n%s", patch, d)
		}
	})
}
