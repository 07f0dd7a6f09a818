package ci

import "hash/maphash"

// keyIndex finds a source record by its join key: an open-addressing table
// of record ordinals whose keys stay where the source store packed them,
// so a million keys cost 16 MB of slots instead of a map's copies of every
// key header, and nothing the garbage collector must scan.
type keyIndex struct {
	seed  maphash.Seed
	slots []uint64 // ord+1 << 32 | the key's hash bits; 0 is empty
	mask  uint64
	key   func(ord int32) string
}

func newKeyIndex(n int, key func(ord int32) string) *keyIndex {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &keyIndex{seed: maphash.MakeSeed(), slots: make([]uint64, size), mask: uint64(size - 1), key: key}
}

// find returns the slot where k is, or the empty slot where it would go,
// and the slot's tag for k.
func (x *keyIndex) find(k string) (i uint64, tag uint64) {
	h := maphash.String(x.seed, k)
	tag = h >> 32
	for i = h & x.mask; ; i = (i + 1) & x.mask {
		s := x.slots[i]
		if s == 0 || (s&0xffffffff == tag && x.key(int32(s>>32)-1) == k) {
			return i, tag
		}
	}
}

// get returns the ordinal of the record with key k.
func (x *keyIndex) get(k string) (int32, bool) {
	i, _ := x.find(k)
	if s := x.slots[i]; s != 0 {
		return int32(s>>32) - 1, true
	}
	return 0, false
}

// add indexes ord under k, unless a record already has k: it reports
// false then.
func (x *keyIndex) add(k string, ord int32) bool {
	i, tag := x.find(k)
	if x.slots[i] != 0 {
		return false
	}
	x.slots[i] = uint64(ord+1)<<32 | tag
	return true
}
