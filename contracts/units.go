package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as Go writes it: 800ms, 30s, 1m30s.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads "30s"; a bare number is refused because its unit is a guess.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 30s, got a %s", nodeKind(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in the form it is read.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as YAML does, "30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "30s".
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("want a duration such as \"30s\", got %s", data)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a non-negative duration with its unit.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit: write %ss or %sms", s, s, s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (examples: 800ms, 30s, 1m30s)", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return v, nil
}

// JSONSchema describes a Duration for editors.
func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "string",
		Pattern:     `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
		Description: "a duration with its unit: 800ms, 30s, 1m30s",
		Examples:    []any{"800ms", "30s", "1m30s"},
	}
}

// Rate is a number of events per span of time: a vendor's rate limit
// ("100/s"), the peak a load is paced at ("40/s"), the most a client may
// send during an outage ("5/s"). It lives here, the lowest package, so that
// the mocks, the load, the gates and the command line read rates with one
// grammar and one parser (ParseRate).
type Rate struct {
	Count float64       // events per Per, positive
	Per   time.Duration // the span: time.Second for "40/s"
}

// RateGrammar says how a rate is written, for error messages and help.
const RateGrammar = "N/unit: a positive number, \"/\", and s, m, h or a duration such as 500ms (40/s, 0.5/s, 2400/m, 3/500ms)"

// ErrRate wraps every error of ParseRate.
var ErrRate = errors.New("not a rate")

// rateUnits are the units a rate may be written in, besides Go durations.
var rateUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute,
	"h": time.Hour, "hour": time.Hour,
}

// ParseRate reads a rate: a positive number, "/", and a unit, s, m or h
// (sec, second, min, minute and hour too) or a positive Go duration
// ("3/500ms"). A bare number is refused: 40 per what? Every rate firedrill
// takes, in a scenario or on the command line, is read here.
func ParseRate(s string) (Rate, error) {
	bad := func(why string) (Rate, error) {
		return Rate{}, fmt.Errorf("%w: %q: %s (want %s)", ErrRate, s, why, RateGrammar)
	}
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return bad("no unit")
	}
	num, unit = strings.TrimSpace(num), strings.TrimSpace(unit)
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return bad(fmt.Sprintf("%q is not a positive number", num))
	}
	per, ok := rateUnits[unit]
	if !ok {
		d, err := time.ParseDuration(unit)
		if unit == "" || err != nil || d <= 0 {
			return bad(fmt.Sprintf("unit %q is not s, m, h or a positive duration", unit))
		}
		per = d
	}
	return Rate{Count: n, Per: per}, nil
}

// MustRate is ParseRate for rates written in code; it panics on a bad one.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// PerSecond returns the rate in events per second (0 for a zero Rate).
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.Count / r.Per.Seconds()
}

// Interval is the time between two events at this rate (0 for a zero Rate).
func (r Rate) Interval() time.Duration {
	if r.IsZero() || r.Count <= 0 {
		return 0
	}
	return time.Duration(float64(r.Per) / r.Count)
}

// IsZero reports whether no rate was given.
func (r Rate) IsZero() bool { return r.Per == 0 }

// String writes the rate as ParseRate reads it.
func (r Rate) String() string {
	if r.IsZero() {
		return ""
	}
	unit, ok := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	if !ok {
		unit = r.Per.String()
	}
	return strconv.FormatFloat(r.Count, 'f', -1, 64) + "/" + unit
}

// UnmarshalYAML reads "40/s".
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("want a rate such as 40/s, got a %s", nodeKind(n))
	}
	v, err := ParseRate(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the rate back in the form it is read.
func (r Rate) MarshalYAML() (any, error) { return r.String(), nil }

// UnmarshalJSON reads "40/s".
func (r *Rate) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: want a string such as \"40/s\", got %s", ErrRate, data)
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalJSON writes the rate as a string, "40/s".
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// RatePattern is what an editor checks a rate against (ParseRate decides).
const RatePattern = `^\s*[0-9]*\.?[0-9]+\s*/\s*[0-9a-zµ.]+\s*$`

// JSONSchema describes a Rate for editors.
func (Rate) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "string",
		Pattern:     RatePattern,
		Description: "a rate: " + RateGrammar,
		Examples:    []any{"40/s", "0.5/s", "2400/m"},
	}
}

func nodeKind(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "mapping"
	case n.Kind == yaml.SequenceNode:
		return "list"
	case n.Tag == "!!null":
		return "null"
	}
	return "value"
}
