package mocks

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Times relative to when records are loaded: a string value of a record
// that is exactly ${now}, ${now-5m}, ${now+90s} or ${now-30d} (a Go
// duration, plus d for days of 24 hours: ${now-1d12h}) becomes that
// instant, written RFC 3339 in UTC to the second (2026-03-01T09:55:00Z).
// Seeded records read the clock once, when the mock loads them (a run's
// start, firedrill mock's start); a timeline's data event when it fires.
//
// The reference is the whole value, never a part of it: a time field holds
// a time, and text around one would hide a typo. Any other ${...} in a
// record's string is an error naming the field, so that a misspelt
// ${nwo-5m} is not stored as written; $${ writes a literal ${.
var nowRef = regexp.MustCompile(`^\$\{now(?:([+-])([0-9][0-9a-zµ.]*))?\}$`)

// RecordTimeLayout is how a ${now...} reference is written into a record.
const RecordTimeLayout = time.RFC3339

// ExpandTimes returns a copy of rec with every ${now...} reference in its
// string values (nested objects and lists included) replaced by the
// instant it names from now, and $${ by ${. An unknown or misplaced ${...}
// is an error naming the field (customer.tags[2]).
func ExpandTimes(rec map[string]any, now time.Time) (map[string]any, error) {
	out, err := expandTimes(rec, "", now.UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}

// TimeRefError is a string of a record that holds a ${...} that is not a
// time reference firedrill knows: the field it is at and why.
type TimeRefError struct {
	Field  string // a dotted path, with [i] for list items
	Value  string
	Reason string
}

func (e *TimeRefError) Error() string {
	return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Reason)
}

func expandTimes(v any, path string, now time.Time) (any, error) {
	switch t := v.(type) {
	case string:
		s, err := expandTime(t, now)
		if err != nil {
			return nil, &TimeRefError{Field: path, Value: t, Reason: err.Error()}
		}
		return s, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			x, err := expandTimes(t[k], joinField(path, k), now)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			x, err := expandTimes(e, fmt.Sprintf("%s[%d]", path, i), now)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return v, nil
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expandTime resolves one string: a whole ${now...} reference, or text
// whose only ${ are written $${.
func expandTime(s string, now time.Time) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	if m := nowRef.FindStringSubmatch(s); m != nil {
		d, err := parseDays(m[2])
		if err != nil {
			return "", err
		}
		if m[1] == "-" {
			d = -d
		}
		return now.Add(d).Format(RecordTimeLayout), nil
	}
	rest := strings.ReplaceAll(s, "$${", "")
	if strings.Contains(rest, "${") {
		if strings.HasPrefix(s, "${now") && strings.HasSuffix(s, "}") {
			return "", fmt.Errorf("want ${now}, ${now-DURATION} or ${now+DURATION} (5m, 90s, 30d, 1d12h)")
		}
		return "", fmt.Errorf("a record's string may only be a whole ${now}, ${now-5m} or ${now+90s} time (write $${ for a literal ${)")
	}
	return strings.ReplaceAll(s, "$${", "${"), nil
}

// parseDays reads a Go duration that may begin with whole days (30d,
// 1d12h); "" is zero.
func parseDays(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n > 100_000 {
			return 0, fmt.Errorf("%q is not a duration (5m, 90s, 30d, 1d12h)", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || days+d < days {
		return 0, fmt.Errorf("%q is not a duration (5m, 90s, 30d, 1d12h)", s)
	}
	return days + d, nil
}
