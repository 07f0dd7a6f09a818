package ci

import (
	"strconv"
	"testing"
)

// TestKeyIndex: every key added is found under its first ordinal, a key
// added again is refused, and keys never added are not found, in a table
// dense enough that probes run into each other.
func TestKeyIndex(t *testing.T) {
	t.Parallel()
	const n = 5000
	keys := make([]string, 0, n)
	x := newKeyIndex(n, func(ord int32) string { return keys[ord] })
	for i := range n {
		k := strconv.Itoa(i / 2) // every key twice
		keys = append(keys, k)
		if added := x.add(k, int32(i)); added != (i%2 == 0) {
			t.Fatalf("add(%q, %d) = %v", k, i, added)
		}
	}
	for i := range n / 2 {
		if ord, ok := x.get(strconv.Itoa(i)); !ok || ord != int32(2*i) {
			t.Fatalf("get(%d) = %d, %v; want %d", i, ord, ok, 2*i)
		}
	}
	for _, k := range []string{"", "-1", strconv.Itoa(n), "x"} {
		if ord, ok := x.get(k); ok {
			t.Errorf("get(%q) found %d", k, ord)
		}
	}
}

// TestSourceDuplicatesJoinTheFirst: a source key seen again is counted as
// a source duplicate, and the target joins the first record of that key.
func TestSourceDuplicatesJoinTheFirst(t *testing.T) {
	t.Parallel()
	src := []map[string]any{{"id": 1.0, "v": "a"}, {"id": "1", "v": "b"}, {"id": 2.0, "v": "c"}}
	tgt := []map[string]any{{"id": "1", "v": "a"}, {"id": 2.0, "v": "c"}}
	k, err := Check{Name: "dups", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "id"},
		Fields: []Field{{Name: "v", Source: "v", Target: "v"}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.SourceDuplicates.Count != 1 || res.SourceDuplicates.Examples[0].Key != "1" || res.Matched != 2 || res.Mismatched.Count != 0 || res.Missing.Count != 0 {
		t.Errorf("%s", dump(res))
	}
}
