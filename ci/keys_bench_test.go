package ci

import (
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkKeyIndexGet looks up a million keys in a random order, one by
// one (get) or a batch at a time (getAll).
func BenchmarkKeyIndexGet(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	seed := maphash.MakeSeed()
	x := newKeyIndex(n, 2, seed, func(ord int32) string { return keys[ord] })
	x.addAll(n, func(ord int32) (uint64, bool) { return maphash.String(seed, keys[ord]), true }, func(int32) {})
	order := rand.New(rand.NewPCG(1, 1)).Perm(n)
	probe := make([]string, n)
	for i, o := range order {
		probe[i] = keys[o]
	}
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			for _, k := range probe {
				if _, ok := x.get(k); !ok {
					b.Fatal(k)
				}
			}
		}
	})
	b.Run("getAll", func(b *testing.B) {
		var l lookups
		for b.Loop() {
			for i := 0; i < n; i += batchSize {
				ks := probe[i:min(i+batchSize, n)]
				x.getAll(ks, &l)
				if !l.found[0] {
					b.Fatal(ks[0])
				}
			}
		}
	})
}
