package ci

import (
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// TestKeyIndex: every key added is found under its first ordinal, a key
// added again is refused, and keys never added are not found, in a table
// dense enough that probes run into each other, with one shard or several.
func TestKeyIndex(t *testing.T) {
	t.Parallel()
	const n = 5000
	for _, shards := range []int{1, 2, 3, 8} {
		keys := make([]string, 0, n)
		x := newKeyIndex(n, shards, maphash.MakeSeed(), func(ord int32) string { return keys[ord] })
		for i := range n {
			k := strconv.Itoa(i / 2) // every key twice
			keys = append(keys, k)
			if added := x.add(k, int32(i)); added != (i%2 == 0) {
				t.Fatalf("%d shards: add(%q, %d) = %v", shards, k, i, added)
			}
		}
		for i := range n / 2 {
			if ord, ok := x.get(strconv.Itoa(i)); !ok || ord != int32(2*i) {
				t.Fatalf("%d shards: get(%d) = %d, %v; want %d", shards, i, ord, ok, 2*i)
			}
		}
		for _, k := range []string{"", "-1", strconv.Itoa(n), "x"} {
			if ord, ok := x.get(k); ok {
				t.Errorf("%d shards: get(%q) found %d", shards, k, ord)
			}
		}
	}
}

// TestKeyIndexAddAll: building the shards at once finds what adding in
// order finds: each key under its first ordinal (skipped ones aside), and
// exactly the later ordinals reported as duplicates.
func TestKeyIndexAddAll(t *testing.T) {
	t.Parallel()
	const n = 20000
	r := rand.New(rand.NewPCG(9, 10))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = strconv.Itoa(r.IntN(n / 2)) // many keys twice or more
	}
	key := func(ord int32) string { return keys[ord] }
	skip := func(k string) bool { return k[len(k)-1] == '7' }
	want := newKeyIndex(n, 1, maphash.MakeSeed(), key)
	var wantDups []int32
	for ord := range int32(n) {
		if !skip(keys[ord]) && !want.add(keys[ord], ord) {
			wantDups = append(wantDups, ord)
		}
	}
	for _, shards := range []int{1, 2, 4} {
		seed := maphash.MakeSeed()
		x := newKeyIndex(n, shards, seed, key)
		var mu sync.Mutex
		var dups []int32
		x.addAll(n, func(ord int32) (uint64, bool) { return maphash.String(seed, keys[ord]), !skip(keys[ord]) }, func(ord int32) { mu.Lock(); dups = append(dups, ord); mu.Unlock() })
		slices.Sort(dups)
		if !slices.Equal(dups, wantDups) {
			t.Fatalf("%d shards: %d duplicates, want %d", shards, len(dups), len(wantDups))
		}
		for ord := range int32(n) {
			got, ok := x.get(keys[ord])
			exp, expOK := want.get(keys[ord])
			if got != exp || ok != expOK {
				t.Fatalf("%d shards: get(%q) = %d, %v; want %d, %v", shards, keys[ord], got, ok, exp, expOK)
			}
		}
		probe := append(slices.Clone(keys), "", "x", strconv.Itoa(n), "-1")
		var l lookups
		for i := 0; i < len(probe); i += batchSize { // getAll finds what get finds
			ks := probe[i:min(i+batchSize, len(probe))]
			x.getAll(ks, &l)
			for j, k := range ks {
				if ord, ok := x.get(k); l.found[j] != ok || ok && l.ords[j] != ord {
					t.Fatalf("%d shards: getAll(%q) = %d, %v; get %d, %v", shards, k, l.ords[j], l.found[j], ord, ok)
				}
			}
		}
		if len(wantDups) < n/4 {
			t.Fatalf("only %d duplicates: the keys exercise too little", len(wantDups))
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

// TestSourceDuplicatesAcrossBatches: with the index built by shards at
// once, the first source record of a key still wins however far apart its
// duplicates are, the duplicates are counted exactly, and their examples
// are the first ones in source order.
func TestSourceDuplicatesAcrossBatches(t *testing.T) {
	t.Parallel()
	const n, keys = 5 * batchSize, 3000
	var src, tgt []map[string]any
	for i := range n {
		src = append(src, map[string]any{"id": float64(i % keys), "v": float64(i)})
	}
	for i := range keys {
		tgt = append(tgt, map[string]any{"id": strconv.Itoa(i), "v": float64(i)})
	}
	k, err := Check{Name: "dups", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "id"},
		Fields: []Field{{Name: "v", Source: "v", Target: "v"}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.SourceDuplicates.Count != n-keys || res.Matched != keys || res.Mismatched.Count != 0 || res.Missing.Count != 0 || len(res.SourceDuplicates.Examples) != DefaultMaxExamples {
		t.Fatalf("%s", dump(res))
	}
	for i, e := range res.SourceDuplicates.Examples {
		if e.Key != strconv.Itoa(i) || e.ord != keys+i {
			t.Fatalf("duplicate example %d: key %q ord %d", i, e.Key, e.ord)
		}
	}
}

// TestBadSourceKeysAreNotIndexed: source records whose key is null join
// nothing: they are errors, not duplicates of one another.
func TestBadSourceKeysAreNotIndexed(t *testing.T) {
	t.Parallel()
	src := []map[string]any{{"id": nil}, {"v": 1.0}, {"id": nil}, {"id": "a"}}
	tgt := []map[string]any{{"id": "a"}}
	k, err := Check{Name: "bad", Source: Static(src), Target: Static(tgt), Join: Join{Source: "id", Target: "id"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors.Count != 3 || res.SourceDuplicates.Count != 0 || res.Unexpected.Count != 0 || res.Matched != 1 || res.Missing.Count != 0 {
		t.Fatalf("%s", dump(res))
	}
}
