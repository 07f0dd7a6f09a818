package contracts

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/getkin/kin-openapi/openapi3"
)

// valueSpan is a closed or open interval of numbers a schema allows.
type valueSpan struct {
	lo, hi       float64
	loEx, hiEx   bool // the bound itself is excluded
	hasLo, hasHi bool
}

// numSpan reads minimum/maximum with both exclusive forms: 3.0 booleans
// (kin-openapi: ExclusiveMin.Bool) and 3.1 numbers (ExclusiveMin.Value).
func numSpan(s *openapi3.Schema) valueSpan {
	var r valueSpan
	if s.Min != nil {
		r.lo, r.hasLo, r.loEx = *s.Min, true, s.ExclusiveMin.IsTrue()
	}
	if s.Max != nil {
		r.hi, r.hasHi, r.hiEx = *s.Max, true, s.ExclusiveMax.IsTrue()
	}
	if v := s.ExclusiveMin.Value; v != nil && (!r.hasLo || *v >= r.lo) {
		r.lo, r.hasLo, r.loEx = *v, true, true
	}
	if v := s.ExclusiveMax.Value; v != nil && (!r.hasHi || *v <= r.hi) {
		r.hi, r.hasHi, r.hiEx = *v, true, true
	}
	switch s.Format {
	case "int32":
		r = r.within(math.MinInt32, math.MaxInt32)
	case "int64":
		r = r.within(-(1 << 53), 1<<53) // the integers a float64 (JSON number) holds exactly
	}
	return r
}

// within narrows the span to [lo, hi].
func (r valueSpan) within(lo, hi float64) valueSpan {
	if !r.hasLo || r.lo < lo {
		r.lo, r.hasLo, r.loEx = lo, true, false
	}
	if !r.hasHi || r.hi > hi {
		r.hi, r.hasHi, r.hiEx = hi, true, false
	}
	return r
}

// prefer narrows an open span to a realistic range [lo, hi] where the two
// overlap, and otherwise to a window next to whichever bound the schema sets.
func (r valueSpan) prefer(lo, hi float64) valueSpan {
	switch {
	case r.hasLo && r.hasHi && r.hi-r.lo <= hi-lo:
		if r.lo >= lo && r.hi <= hi {
			return r
		}
	}
	out := r
	if !r.hasLo || r.lo < lo {
		out.lo, out.hasLo, out.loEx = lo, true, false
	}
	if !r.hasHi || r.hi > hi {
		out.hi, out.hasHi, out.hiEx = hi, true, false
	}
	if out.lo > out.hi || (out.lo == out.hi && (out.loEx || out.hiEx)) {
		// no overlap: stay inside the schema's bounds, close to the one it set
		out = r
		width := hi - lo
		switch {
		case r.hasLo && !r.hasHi:
			out.hi, out.hasHi = r.lo+width, true
		case r.hasHi && !r.hasLo:
			out.lo, out.hasLo = r.hi-width, true
		}
	}
	return out
}

// integer generates an integer (int64; float64 past the int64 range) inside
// the bounds, a multiple of multipleOf, realistic for the name where the
// bounds leave room.
func (g *sampler) integer(s *openapi3.Schema, name string, key uint64) any {
	lo, hi := numberRange(name, true)
	r := numSpan(s).prefer(lo, hi)
	ilo, ihi := math.Ceil(r.lo), math.Floor(r.hi)
	if r.loEx && ilo == r.lo {
		ilo++
	}
	if r.hiEx && ihi == r.hi {
		ihi--
	}
	f := g.faker(key)
	m := 1.0
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		m = *s.MultipleOf
		if m != math.Trunc(m) { // a fractional step: use a whole multiple of it
			m = wholeStep(m)
		}
	}
	klo, khi := math.Ceil(ilo/m), math.Floor(ihi/m)
	if klo > khi {
		return wholeNumber(ilo) // the bounds admit no multiple: keep the bounds
	}
	k := klo + math.Floor(f.Float64()*(khi-klo+1))
	if k > khi {
		k = khi
	}
	return wholeNumber(k * m)
}

// wholeNumber is an int64, or for a whole number past the int64 range (a
// schema's minimum may be 1e19) the float64 itself, which still marshals
// as an integer.
func wholeNumber(f float64) any {
	if f >= -(1<<63) && f < 1<<63 {
		return int64(f)
	}
	return f
}

// wholeStep returns the smallest whole multiple of a fractional step.
func wholeStep(m float64) float64 {
	for i := 1.0; i <= 1000; i++ {
		if v := m * i; math.Abs(v-math.Round(v)) < 1e-9 {
			return math.Round(v)
		}
	}
	return math.Ceil(m)
}

// number generates a number (float64) inside the bounds: a multiple of
// multipleOf when set, else with two decimals when the bounds allow.
func (g *sampler) number(s *openapi3.Schema, name string, key uint64) any {
	lo, hi := numberRange(name, false)
	r := numSpan(s).prefer(lo, hi)
	f := g.faker(key)
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		m := *s.MultipleOf
		klo, khi := math.Ceil(r.lo/m), math.Floor(r.hi/m)
		if r.loEx && klo*m <= r.lo {
			klo++
		}
		if r.hiEx && khi*m >= r.hi {
			khi--
		}
		if klo <= khi {
			k := min(khi, klo+math.Floor(f.Float64()*(khi-klo+1)))
			return roundLike(k*m, m)
		}
	}
	v := r.lo + f.Float64()*(r.hi-r.lo)
	if c := math.Round(v*100) / 100; r.inside(c) {
		return c
	}
	if r.inside(v) {
		return v
	}
	return r.lo + (r.hi-r.lo)/2
}

// inside reports whether v satisfies the span.
func (r valueSpan) inside(v float64) bool {
	if r.hasLo && (v < r.lo || (r.loEx && v == r.lo)) {
		return false
	}
	if r.hasHi && (v > r.hi || (r.hiEx && v == r.hi)) {
		return false
	}
	return true
}

// roundLike rounds v to the decimals the step m is written with, so that
// 3*0.1 reads 0.3 rather than 0.30000000000000004.
func roundLike(v, m float64) float64 {
	text := strconv.FormatFloat(m, 'f', -1, 64)
	dot := strings.IndexByte(text, '.')
	if dot < 0 {
		return v
	}
	p := math.Pow(10, float64(len(text)-dot-1))
	if r := math.Round(v*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
		return r
	}
	return v
}

// str generates a string: the format's shape or a realistic value for the
// name, kept when it satisfies length and pattern; otherwise one generated
// from the pattern; lengths are enforced last.
func (g *sampler) str(s *openapi3.Schema, name string, key uint64) string {
	lo := int(min(s.MinLength, maxGenerated))
	hi := -1
	if s.MaxLength != nil {
		hi = int(min(*s.MaxLength, 1<<31))
	}
	var re interface{ MatchString(string) bool }
	if s.Pattern != "" {
		if c := g.pattern(s.Pattern); c != nil {
			re = c
		}
	}
	f := g.faker(key)
	v, ok := formatValue(s.Format, f)
	if !ok {
		v = fakeString(name, s, f)
	}
	if fitsLength(v, lo, hi) && (re == nil || re.MatchString(v)) {
		return v
	}
	if re != nil {
		formatOK := func(v string) bool { return formatValid(s.Format, v) }
		if p, ok := g.fromPattern(g.pattern(s.Pattern), lo, hi, key, v, formatOK); ok {
			return p
		}
		if p, ok := g.fromPattern(g.pattern(s.Pattern), lo, hi, key, v, nil); ok {
			return p // the contract's pattern and format disagree: the pattern wins
		}
		g.bad = true // no string of this length matches: an optional one is left out
	}
	return fitLength(v, lo, hi, f.Letter)
}

// pattern compiles a pattern once per Sample call; nil when Go cannot.
func (g *sampler) pattern(p string) *patternCache {
	if g.patterns == nil {
		g.patterns = map[string]*patternCache{}
	}
	if c, ok := g.patterns[p]; ok {
		return c
	}
	var c *patternCache
	if re := compileSamplePattern(p); re != nil {
		c = &patternCache{re: re}
	} else if re := compileSamplePattern(stripLookaround(p)); re != nil {
		// Go has no look-around: honour the rest of the pattern, which is
		// closer to valid than ignoring it all
		c = &patternCache{re: re}
	}
	g.patterns[p] = c
	return c
}

// jsonLength counts a string's length the way JSON Schema does: UTF-16 units.
func jsonLength(v string) int {
	n := 0
	for _, r := range v {
		n += utf16.RuneLen(r)
	}
	return n
}

// fitsLength reports whether v's length lies in [lo, hi] (hi < 0: no maximum).
func fitsLength(v string, lo, hi int) bool {
	n := jsonLength(v)
	return n >= lo && (hi < 0 || n <= hi)
}

// fitLength truncates or pads v (with pad's letters) to fit [lo, hi].
func fitLength(v string, lo, hi int, pad func() string) string {
	if hi >= 0 && jsonLength(v) > hi {
		runes := []rune(v)
		for len(runes) > 0 && jsonLength(string(runes)) > hi {
			runes = runes[:len(runes)-1]
		}
		v = strings.TrimRight(string(runes), " ")
	}
	var b strings.Builder
	b.WriteString(v)
	for n := jsonLength(v); n < lo; n++ {
		b.WriteString(pad())
	}
	return b.String()
}

// stripLookaround removes look-ahead and look-behind groups ((?=...),
// (?!...), (?<=...), (?<!...)) from a pattern, minding nested parentheses,
// escapes and character classes.
func stripLookaround(p string) string {
	var b strings.Builder
	inRuneClass := false
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		switch {
		case inRuneClass:
			inRuneClass = p[i] != ']'
		case p[i] == '[':
			inRuneClass = true
		}
		if !inRuneClass && p[i] == '(' && (strings.HasPrefix(p[i:], "(?=") || strings.HasPrefix(p[i:], "(?!") ||
			strings.HasPrefix(p[i:], "(?<=") || strings.HasPrefix(p[i:], "(?<!")) {
			i = lookaroundEnd(p, i)
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// lookaroundEnd returns the index of the parenthesis closing the group opened at i.
func lookaroundEnd(p string, i int) int {
	depth, inRuneClass := 0, false
	for ; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inRuneClass:
			inRuneClass = c != ']'
		case c == '[':
			inRuneClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(p)
}
