package ci

import "unsafe"

// store is one batch of source records in packed form: 8 bytes and a kind
// byte per field, text in one arena, without pointers besides the keys:
// the garbage collector never scans the source side of a check, which is
// most of its memory. A cell holds a value's n, or for a value with text
// where the text is in the arena (offset << 32 | length).
type store struct {
	keys  []string // point into arena
	kinds []kind
	cells []uint64
	arena []byte // never modified once packed: keys and text alias it
}

// hasText reports whether values of kind k carry text.
func hasText(k kind) bool { return k == kindString || k == kindOther || k == kindError }

// pack moves a mapped batch into a store.
func pack(m mapped) store {
	size := 0
	for _, k := range m.keys {
		size += len(k)
	}
	for i := range m.vals {
		if hasText(m.vals[i].k) {
			size += len(m.vals[i].s)
		}
	}
	s := store{keys: make([]string, len(m.keys)), kinds: make([]kind, len(m.vals)), cells: make([]uint64, len(m.vals)), arena: make([]byte, 0, size)}
	for i, k := range m.keys {
		off := len(s.arena)
		s.arena = append(s.arena, k...)
		s.keys[i] = view(s.arena, off, len(k))
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
