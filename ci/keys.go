package ci

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
)

// keyIndex finds a source record by its join key: open-addressing tables
// of record ordinals whose keys stay where the source store packed them,
// so a million keys cost 16 MB of slots instead of a map's copies of every
// key header, and nothing the garbage collector must scan. The keys are
// split among shards by their hash's top bits, so that one goroutine per
// shard builds the index (addAll).
type keyIndex struct {
	seed   maphash.Seed
	shards []keyTable
	shift  uint // a hash's shard is h >> shift
	key    func(ord int32) string
}

// maxKeyShards bounds the goroutines that build a key index: each reads
// every key, and takes the ones that hash to its shard.
const maxKeyShards = 8

// keyTable is one shard: linear probing over slots.
type keyTable struct {
	slots []uint64 // ord+1 << 32 | the key's hash bits; 0 is empty
	mask  uint64
}

// newKeyIndex sizes an index for n keys in at least shards shards (a
// power of two), hashed with seed.
func newKeyIndex(n, shards int, seed maphash.Seed, key func(ord int32) string) *keyIndex {
	shards = 1 << bits.Len(uint(max(shards, 1)-1))
	size := 16
	for size*shards < 2*n {
		size <<= 1
	}
	x := &keyIndex{seed: seed, shards: make([]keyTable, shards), shift: uint(64 - bits.TrailingZeros(uint(shards))), key: key}
	for i := range x.shards {
		x.shards[i] = keyTable{slots: make([]uint64, size), mask: uint64(size - 1)}
	}
	return x
}

// shard is the table of hash h.
func (x *keyIndex) shard(h uint64) *keyTable {
	return &x.shards[h>>x.shift] // 0 for one shard: a shift of 64
}

// find returns the table and slot where k is, or the empty slot where it
// would go, and the slot's tag for k.
func (x *keyIndex) find(k string) (t *keyTable, i uint64, tag uint64) {
	h := maphash.String(x.seed, k)
	t = x.shard(h)
	i, tag = x.probe(t, h, k)
	return t, i, tag
}

// probe finds k, of hash h, in t.
func (x *keyIndex) probe(t *keyTable, h uint64, k string) (i uint64, tag uint64) {
	tag = h >> 32
	for i = h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 || (s&0xffffffff == tag && x.key(int32(s>>32)-1) == k) {
			return i, tag
		}
	}
}

// get returns the ordinal of the record with key k.
func (x *keyIndex) get(k string) (int32, bool) {
	t, i, _ := x.find(k)
	if s := t.slots[i]; s != 0 {
		return int32(s>>32) - 1, true
	}
	return 0, false
}

// add indexes ord under k, unless a record already has k: it reports
// false then.
func (x *keyIndex) add(k string, ord int32) bool {
	t, i, tag := x.find(k)
	if t.slots[i] != 0 {
		return false
	}
	t.slots[i] = uint64(ord+1)<<32 | tag
	return true
}

// addAll adds the ordinals 0 to n-1 in order, but those hash reports not
// ok, with one goroutine per shard, each adding the keys that hash to its
// shard: as with add in order, a key's first ordinal wins, and dup is
// called with every later one (from the shards' goroutines at once, never
// twice for one ordinal). hash gives each key's maphash.String under the
// index's seed, computed beforehand (where the keys were written, in
// parallel): a shard then reads a key only when a slot's tag matches it.
func (x *keyIndex) addAll(n int, hash func(ord int32) (h uint64, ok bool), dup func(ord int32)) {
	var wg sync.WaitGroup
	for si := range x.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &x.shards[si]
			for ord := range int32(n) {
				h, ok := hash(ord)
				if !ok || x.shard(h) != t {
					continue
				}
				tag := h >> 32
				i := h & t.mask
				for ; t.slots[i] != 0; i = (i + 1) & t.mask {
					if s := t.slots[i]; s&0xffffffff == tag && x.key(int32(s>>32)-1) == x.key(ord) {
						break
					}
				}
				if t.slots[i] != 0 {
					dup(ord)
					continue
				}
				t.slots[i] = uint64(ord+1)<<32 | tag
			}
		}()
	}
	wg.Wait()
}

// lookups is getAll's buffers, one set per worker.
type lookups struct {
	hs      []uint64
	ords    []int32
	found   []bool
	touched uint64 // keeps getAll's first reads of slots from being optimized away
}

// getAll looks up keys, setting l.ords[i] to the ordinal of keys[i] and
// l.found[i] to whether it has one. It reads every key's first slot before
// it compares any key, so that a batch's cache misses in the table (a
// million keys' slots are far bigger than a cache) overlap instead of
// coming one after another: BenchmarkKeyIndexGet.
func (x *keyIndex) getAll(keys []string, l *lookups) {
	n := len(keys)
	l.hs = slices.Grow(l.hs[:0], n)[:n]
	l.ords = slices.Grow(l.ords[:0], n)[:n]
	l.found = slices.Grow(l.found[:0], n)[:n]
	var touched uint64
	for i, k := range keys {
		h := maphash.String(x.seed, k)
		l.hs[i] = h
		t := x.shard(h)
		touched += t.slots[h&t.mask]
	}
	for i, k := range keys {
		t := x.shard(l.hs[i])
		j, _ := x.probe(t, l.hs[i], k)
		s := t.slots[j]
		l.ords[i], l.found[i] = int32(s>>32)-1, s != 0
	}
	l.touched = touched
}
