package paramstyle_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/firedrill/firedrill/mocks/internal/paramstyle"
)

func TestSimple(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, ""},
		{"string", "a b", "a b"},
		{"bool", true, "true"},
		{"int64 beyond float64's exact integers", int64(12345678901234567), "12345678901234567"},
		{"whole float", 3.0, "3"},
		{"float", 1.5, "1.5"},
		{"negative float", -0.25, "-0.25"},
		// Six decimals are not enough: "%f" would write 0.123457 and 0.
		{"seven decimals", 0.1234567, "0.1234567"},
		{"tiny float, no exponent", 1e-7, "0.0000001"},
		{"huge float, no exponent", 1e21, "1000000000000000000000"},
		{"array", []any{1.0, "a", true}, "1,a,true"},
		{"nested array", []any{[]any{1.0, 2.0}, 3.0}, "1,2,3"},
		{"object in key order", map[string]any{"role": "admin", "first": "Alex", "n": 2.0}, "first,Alex,n,2,role,admin"},
		{"empty array", []any{}, ""},
		{"empty object", map[string]any{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := paramstyle.Simple(tt.v); got != tt.want {
				t.Errorf("Simple(%#v) = %q; want %q", tt.v, got, tt.want)
			}
		})
	}
}

// Every float64 Simple writes reads back as the same number.
func FuzzSimpleFloatRoundTrip(f *testing.F) {
	for _, x := range []float64{0, -0.5, 1.5, 0.1234567, 1e-7, 1e21, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		s := paramstyle.Simple(x)
		if back, err := strconv.ParseFloat(s, 64); err != nil || back != x {
			t.Errorf("Simple(%v) = %q reads back as %v (%v)", x, s, back, err)
		}
	})
}
