package ci

import (
	"math"
	"time"
)

// canon brings a mapped value to the form it is compared in: instants for
// time fields, so parsing happens once per record, not per comparison.
func (f *field) canon(v value) value {
	if (f.Time || f.TimeTolerance > 0) && v.k != kindNull && v.k != kindError {
		if t, ok := asTime(v, f.loc); ok {
			return timeValue(t)
		}
	}
	return v
}

// equal reports whether a source value and a target value agree under the
// field's options.
func (f *field) equal(a, b value) bool {
	if a.k == kindError || b.k == kindError {
		return false
	}
	if f.EmptyIsNull && a.empty() && b.empty() {
		return true
	}
	if a.k == kindTime && b.k == kindTime {
		d := time.Duration(int64(a.n) - int64(b.n))
		if d < 0 {
			d = -d
		}
		return d <= f.TimeTolerance
	}
	if a.numeric() && b.numeric() {
		if a.k == b.k && a.n == b.n {
			return true
		}
		return math.Abs(a.asFloat()-b.asFloat()) <= f.Tolerance
	}
	return a.k == b.k && a.n == b.n && a.s == b.s
}
