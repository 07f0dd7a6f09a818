package ci

import (
	"math"
	"strconv"
	"unsafe"
)

// scratch holds the text a worker computes while it maps one batch (join
// keys written from numbers, lowered strings), so that mapping a record
// allocates nothing. The strings it returns alias its buffer until reset,
// when the worker starts its next batch: whatever outlives a batch is
// copied first (pack copies source rows into their store, examples clone
// their text). A full buffer is replaced, never moved or overwritten, so
// the strings already handed out stay intact. A nil scratch allocates.
type scratch struct{ buf []byte }

// minScratch is the first buffer's size: a batch of keys and lowered
// e-mail addresses fits in a few of them.
const minScratch = 16 << 10

func (s *scratch) reset() { s.buf = s.buf[:0] }

// room makes room for n more bytes without moving what is there.
func (s *scratch) room(n int) {
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]byte, 0, max(minScratch, 2*cap(s.buf), n))
	}
}

// since returns the text appended from start as a string over the buffer.
func (s *scratch) since(start int) string {
	if len(s.buf) == start {
		return ""
	}
	return unsafe.String(&s.buf[start], len(s.buf)-start)
}

// lower returns the ASCII text t with its upper-case letters lowered.
func (s *scratch) lower(t string) string {
	if s == nil {
		b := []byte(t)
		lowerInPlace(b)
		return string(b)
	}
	s.room(len(t))
	start := len(s.buf)
	s.buf = append(s.buf, t...)
	lowerInPlace(s.buf[start:])
	return s.since(start)
}

func lowerInPlace(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// maxExactInt bounds the doubles keyText writes as integers: below it
// every integral double is exact and its shortest decimal form is the
// integer's digits (TestKeyTextOfIntegralDoubles holds it to FormatFloat).
const maxExactInt = 1e15

// keyText is v.keyText() written into s where it is a number.
func (s *scratch) keyText(v value) string {
	var i int64
	switch v.k {
	case kindInt:
		i = v.int()
	case kindDouble:
		f := v.float()
		if f != math.Trunc(f) || math.Abs(f) >= maxExactInt || (f == 0 && math.Signbit(f)) {
			return v.keyText() // NaN, infinities, fractions, -0, large numbers
		}
		i = int64(f)
	default:
		return v.keyText()
	}
	if s == nil {
		return strconv.FormatInt(i, 10)
	}
	s.room(20)
	start := len(s.buf)
	s.buf = strconv.AppendInt(s.buf, i, 10)
	return s.since(start)
}
