package toolkit

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// faultParams reads a fault's parameters as its kind's entry in the
// registry declares them (default, range, values), collecting every problem
// and refusing the parameters the entry does not declare.
type faultParams struct {
	f    HTTPFault
	kind FaultKindSpec
	used map[string]bool
	errs []error
}

func newFaultParams(f HTTPFault, kind FaultKindSpec) *faultParams {
	return &faultParams{f: f, kind: kind, used: map[string]bool{}}
}

func (p *faultParams) problem(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("mocks: fault %s: params.%s: %s: %w", faultName(p.f), name, fmt.Sprintf(format, args...), ErrFaultInvalid))
}

// spec returns the declaration of the parameter a builder reads. A builder
// reading a parameter its entry does not declare, or as another type, is a
// mistake in the registry: it panics, and the registry's tests catch it.
func (p *faultParams) spec(name string, t FaultParamType) FaultParamSpec {
	s, ok := p.kind.Param(name)
	if !ok || s.Type != t {
		panic(fmt.Sprintf("toolkit: fault %s reads parameter %s as %s, which its registry entry does not declare", p.kind.Kind, name, t))
	}
	return s
}

// raw returns the parameter's text and whether it was given.
func (p *faultParams) raw(name string) (string, bool) {
	p.used[name] = true
	v, ok := p.f.Params[name]
	return strings.TrimSpace(v), ok
}

// str reads a text parameter, one of its Values when it declares some.
func (p *faultParams) str(name string) string {
	s := p.spec(name, FaultParamText)
	v, ok := p.raw(name)
	if !ok {
		return s.Default
	}
	if len(s.Values) > 0 && !slices.Contains(s.Values, v) {
		p.problem(name, "%q is not one of %s", v, strings.Join(s.Values, ", "))
		return s.Default
	}
	return v
}

// integer reads a whole number in [Min, Max].
func (p *faultParams) integer(name string) int {
	s := p.spec(name, FaultParamInteger)
	def, lo, hi := mustAtoi(s, s.Default), mustAtoi(s, s.Min), mustAtoi(s, s.Max)
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

// number reads a decimal number in the parameter's range.
func (p *faultParams) number(name string) float64 {
	s := p.spec(name, FaultParamNumber)
	def, lo, hi := mustFloat(s, s.Default), mustFloat(s, s.Min), mustFloat(s, s.Max)
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !inRange(x, lo, hi, s) {
		p.problem(name, "%q is not a number in %s", v, s.Range())
		return def
	}
	return x
}

// duration reads a Go duration ("1.5s", "200ms") or whole seconds ("2") in
// the parameter's range.
func (p *faultParams) duration(name string) time.Duration {
	s := p.spec(name, FaultParamDuration)
	def, lo, hi := mustDuration(s, s.Default), mustDuration(s, s.Min), mustDuration(s, s.Max)
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	d, err := parseFaultDuration(v)
	if err != nil {
		p.problem(name, "%q is not a duration (like 2s or 150ms)", v)
		return def
	}
	if !inRange(float64(d), float64(lo), float64(hi), s) {
		p.problem(name, "%v is not in %s", d, s.Range())
		return def
	}
	return d
}

// parseFaultDuration reads a Go duration or whole seconds.
func parseFaultDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err == nil {
		return d, nil
	}
	n, nerr := strconv.Atoi(v)
	if nerr != nil {
		return 0, err
	}
	return time.Duration(n) * time.Second, nil
}

func inRange(x, lo, hi float64, s FaultParamSpec) bool {
	above := x > lo || !s.MinExclusive && x == lo
	below := x < hi || !s.MaxExclusive && x == hi
	return above && below
}

// The must* functions read the registry's own values, which its tests
// check; a value that does not parse is a mistake in the registry.
func mustAtoi(s FaultParamSpec, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(fmt.Sprintf("toolkit: fault parameter %s: %q in the registry is not a whole number", s.Name, v))
	}
	return n
}

func mustFloat(s FaultParamSpec, v string) float64 {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		panic(fmt.Sprintf("toolkit: fault parameter %s: %q in the registry is not a number", s.Name, v))
	}
	return x
}

func mustDuration(s FaultParamSpec, v string) time.Duration {
	d, err := parseFaultDuration(v)
	if err != nil {
		panic(fmt.Sprintf("toolkit: fault parameter %s: %q in the registry is not a duration", s.Name, v))
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
	known := make([]string, 0, len(p.kind.Params))
	for _, s := range p.kind.Params {
		known = append(known, s.Name)
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
