package ci

import (
	"hash/maphash"
	"unsafe"
)

// store is one batch of source records in packed form: 8 bytes and a kind
// byte per field, keys and text in one arena, and no pointers but the four
// slices': the garbage collector never scans the source side of a check,
// which is most of its memory, and runs as often as the generator or
// decoder of a streamed source makes it. A cell holds a value's n, or for a value with text
// where the text is in the arena (offset << 32 | length).
type store struct {
	ends  []uint32 // where each key ends in arena; the keys come first, in order
	hs    []uint64 // each key's hash for the key index, 0 for badKey; dropped once indexed
	kinds []kind
	cells []uint64
	arena []byte // never modified once packed: keys and text alias it
}

// hasText reports whether values of kind k carry text.
func hasText(k kind) bool { return k == kindString || k == kindOther || k == kindError }

// pack moves a mapped batch into a store, with its keys' hashes under seed.
func pack(m mapped, seed maphash.Seed) store {
	size := 0
	for _, k := range m.keys {
		size += len(k)
	}
	for i := range m.vals {
		if hasText(m.vals[i].k) {
			size += len(m.vals[i].s)
		}
	}
	s := store{ends: make([]uint32, len(m.keys)), kinds: make([]kind, len(m.vals)), cells: make([]uint64, len(m.vals)), arena: make([]byte, 0, size)}
	s.hs = make([]uint64, len(m.keys))
	for i, k := range m.keys {
		s.arena = append(s.arena, k...)
		s.ends[i] = uint32(len(s.arena))
		if k != badKey {
			s.hs[i] = maphash.String(seed, k)
		}
	}
	for i, v := range m.vals {
		s.kinds[i] = v.k
		c := v.n
		if hasText(v.k) {
			c = uint64(len(s.arena))<<32 | uint64(uint32(len(v.s)))
			s.arena = append(s.arena, v.s...)
		}
		s.cells[i] = c
	}
	return s
}

// view is the text at arena[off:off+n] without a copy. The arena was sized
// up front, so appends never move it, and it is never written again.
func view(arena []byte, off, n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&arena[off], n)
}

// key is the join key of record i.
func (s *store) key(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return view(s.arena, int(start), int(s.ends[i]-start))
}

// row unpacks record i of nf fields into buf.
func (s *store) row(i, nf int, buf []value) []value {
	buf = buf[:0]
	for j := i * nf; j < (i+1)*nf; j++ {
		v := value{k: s.kinds[j], n: s.cells[j]}
		if hasText(v.k) {
			v.s, v.n = view(s.arena, int(v.n>>32), int(uint32(v.n))), 0
		}
		buf = append(buf, v)
	}
	return buf
}
