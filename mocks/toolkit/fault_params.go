package toolkit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// faultKinds builds the injector of each kind from its parameters: the one
// registry of HTTP faults.
var faultKinds = map[string]func(p *faultParams) injector{
	FaultStatus:             newStatusFault,
	FaultRateLimited:        newRateLimitedFault,
	FaultSlow:               newSlowFault,
	FaultTruncated:          newTruncatedFault,
	FaultMalformed:          newMalformedFault,
	FaultBadData:            newBadDataFault,
	FaultExpiredCredentials: newExpiredCredentialsFault,
}

// maxFaultDuration bounds the delays a fault may add: every load is
// bounded in time, and so is every answer.
const maxFaultDuration = 10 * time.Minute

// faultParams reads a fault's parameters, collecting every problem and
// refusing the parameters no reader asked for.
type faultParams struct {
	f    HTTPFault
	used map[string]bool
	errs []error
}

func newFaultParams(f HTTPFault) *faultParams {
	return &faultParams{f: f, used: map[string]bool{}}
}

func (p *faultParams) problem(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("mocks: fault %s: params.%s: %s: %w", faultName(p.f), name, fmt.Sprintf(format, args...), ErrFaultInvalid))
}

// raw returns the parameter's text and whether it was given.
func (p *faultParams) raw(name string) (string, bool) {
	p.used[name] = true
	v, ok := p.f.Params[name]
	return strings.TrimSpace(v), ok
}

// str reads a text parameter; allowed, when given, lists its values.
func (p *faultParams) str(name, def string, allowed ...string) string {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	if len(allowed) > 0 {
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		p.problem(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return def
	}
	return v
}

// integer reads a whole number in [lo, hi].
func (p *faultParams) integer(name string, def, lo, hi int) int {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.problem(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return def
	}
	return n
}

// fraction reads a number strictly between 0 and 1.
func (p *faultParams) fraction(name string, def float64) float64 {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !(x > 0 && x < 1) {
		p.problem(name, "%q is not a number between 0 and 1 (exclusive)", v)
		return def
	}
	return x
}

// duration reads a Go duration ("1.5s", "200ms") or whole seconds ("2"),
// from 0 to maxFaultDuration.
func (p *faultParams) duration(name string, def time.Duration) time.Duration {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			p.problem(name, "%q is not a duration (like 2s or 150ms)", v)
			return def
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || d > maxFaultDuration {
		p.problem(name, "%v is not between 0 and %v", d, maxFaultDuration)
		return def
	}
	return d
}

// err returns every problem, unknown parameters included, or nil.
func (p *faultParams) err() error {
	var unknown []string
	for k := range p.f.Params {
		if !p.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	known := make([]string, 0, len(p.used))
	for k := range p.used {
		known = append(known, k)
	}
	sort.Strings(known)
	for _, k := range unknown {
		p.problem(k, "unknown parameter (%s takes: %s)", p.f.Kind, strings.Join(known, ", "))
	}
	return errors.Join(p.errs...)
}

// faultName names a fault in errors: its kind, and its id when it has one.
func faultName(f HTTPFault) string {
	if f.ID == "" {
		return f.Kind
	}
	return fmt.Sprintf("%q (%s)", f.ID, f.Kind)
}
