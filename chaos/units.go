package chaos

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseDuration reads a duration such as "500ms", "1s" or "1m30s". A bare
// integer is taken in unit, the toxic's native unit in Toxiproxy, so values
// copied from toxiproxy-cli keep their meaning. The result must be a whole
// number of units.
func parseDuration(s string, unit time.Duration) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty value")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration")
	}
	if d%unit != 0 {
		return 0, fmt.Errorf("not a whole number of %s", unitName(unit))
	}
	return int64(d / unit), nil
}

func unitName(unit time.Duration) string {
	switch unit {
	case time.Microsecond:
		return "microseconds"
	case time.Millisecond:
		return "milliseconds"
	}
	return unit.String()
}

// sizeUnits are the byte multipliers a size may carry: SI (KB = 1000) and
// IEC (KiB = 1024), matched case-insensitively.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// parseSize reads a byte count such as "1500", "10KB" or "4KiB".
func parseSize(s string) (int64, error) {
	num, unit, err := splitNumber(s)
	if err != nil {
		return 0, err
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return scale(num, mult, 1)
}

// rateUnits are bandwidth units in bytes per second. Toxiproxy counts in
// KB/s (1000 bytes per second).
var rateUnits = map[string]int64{
	"":     1000,
	"b/s":  1,
	"kb/s": 1000,
	"mb/s": 1000 * 1000,
	"gb/s": 1000 * 1000 * 1000,
}

// parseRate reads a bandwidth such as "100KB/s" or "1.5MB/s" and returns it
// in KB/s; a bare number is already KB/s.
func parseRate(s string) (int64, error) {
	num, unit, err := splitNumber(s)
	if err != nil {
		return 0, err
	}
	mult, ok := rateUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return scale(num, mult, 1000)
}

// splitNumber splits "12.5KB" into "12.5" and "KB".
func splitNumber(s string) (num, unit string, err error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return "", "", errors.New("not a number")
	}
	return s[:i], strings.TrimSpace(s[i:]), nil
}

// scale returns num×mult/div, which must be a whole number.
func scale(num string, mult, div int64) (int64, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("not a number")
	}
	v := f * float64(mult) / float64(div)
	if v > math.MaxInt64/2 {
		return 0, errors.New("too large")
	}
	r := math.Round(v)
	if math.Abs(v-r) > 1e-9*math.Max(1, v) {
		return 0, errors.New("not a whole number")
	}
	return int64(r), nil
}

// parseToxicity reads a probability: "0.3", "1" or "30%".
func parseToxicity(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || math.IsNaN(f) {
		return 0, errors.New("not a number")
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, errors.New("out of range")
	}
	return f, nil
}
