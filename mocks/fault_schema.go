package mocks

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// durationPattern matches what a fault's duration parameter reads: a Go
// duration ("1.5s", "200ms", "1m30s") or whole seconds ("2").
const durationPattern = `^\s*[-+]?((([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+|[0-9]+)\s*$`

// ExtendFaultSchema documents the mock faults in s, the schema of an object
// that names a fault's kind in its "fault" property and carries the
// fault's parameters beside it (a mock's faults: entry, a timeline event):
// the kinds become an enum, and for each kind (when fault is that kind) its
// parameters and the common ones get their types, ranges, defaults and
// docs, no other name being allowed beside the object's own properties.
// All of it is made from toolkit.FaultCatalogue, which the checks read too.
func ExtendFaultSchema(s *jsonschema.Schema) {
	if s.Properties == nil {
		s.Properties = jsonschema.NewProperties()
	}
	var own []string
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		own = append(own, pair.Key)
	}
	if !slices.Contains(own, "fault") {
		own = append(own, "fault")
	}
	kind, ok := s.Properties.Get("fault")
	if !ok {
		kind = &jsonschema.Schema{Type: "string"}
		s.Properties.Set("fault", kind)
	}
	kind.Enum = nil
	var docs []string
	for _, k := range toolkit.FaultCatalogue() {
		kind.Enum = append(kind.Enum, k.Kind)
		docs = append(docs, k.Kind+": "+k.Doc)
	}
	kind.Description = "the kind of mock fault (firedrill chaos faults lists each with its parameters):\n" + strings.Join(docs, ";\n")
	common := toolkit.FaultCommonParams()
	for _, k := range toolkit.FaultCatalogue() {
		then := &jsonschema.Schema{Properties: jsonschema.NewProperties()}
		names := slices.Clone(own)
		for _, p := range append(slices.Clone(common), k.Params...) {
			then.Properties.Set(p.Name, paramSchema(p))
			names = append(names, p.Name)
			if p.Required {
				then.Required = append(then.Required, p.Name)
			}
		}
		enum := make([]any, len(names))
		for i, n := range names {
			enum[i] = n
		}
		then.PropertyNames = &jsonschema.Schema{Enum: enum}
		when := &jsonschema.Schema{Properties: jsonschema.NewProperties(), Required: []string{"fault"}}
		when.Properties.Set("fault", &jsonschema.Schema{Const: k.Kind})
		s.AllOf = append(s.AllOf, &jsonschema.Schema{If: when, Then: then})
	}
}

// paramSchema describes one parameter: its type and range as a number (or
// the text the parser also reads), its doc, default and example.
func paramSchema(p toolkit.FaultParamSpec) *jsonschema.Schema {
	s := &jsonschema.Schema{Description: p.Doc + " (" + p.Summary() + ")"}
	s.Default, s.Examples = typedValue(p, p.Default), []any{typedValue(p, p.Example)}
	if p.Default == "" {
		s.Default = nil
	}
	bounded := func(typ string) *jsonschema.Schema {
		b := &jsonschema.Schema{Type: typ}
		switch {
		case p.MinExclusive:
			b.ExclusiveMinimum = json.Number(p.Min)
		case p.Min != "":
			b.Minimum = json.Number(p.Min)
		}
		switch {
		case p.MaxExclusive:
			b.ExclusiveMaximum = json.Number(p.Max)
		case p.Max != "":
			b.Maximum = json.Number(p.Max)
		}
		return b
	}
	text := &jsonschema.Schema{Type: "string"}
	switch p.Type {
	case toolkit.FaultParamInteger:
		s.AnyOf = []*jsonschema.Schema{bounded("integer"), text}
	case toolkit.FaultParamNumber:
		s.AnyOf = []*jsonschema.Schema{bounded("number"), text}
	case toolkit.FaultParamDuration:
		s.AnyOf = []*jsonschema.Schema{{Type: "string", Pattern: durationPattern}, {Type: "integer", Minimum: "0"}}
	default:
		if len(p.Values) > 0 {
			s.Type = "string"
			for _, v := range p.Values {
				s.Enum = append(s.Enum, v)
			}
			break
		}
		s.AnyOf = []*jsonschema.Schema{text, {Type: "number"}, {Type: "boolean"}}
	}
	return s
}

// typedValue is v as a YAML file writes it: a number for the numeric types.
func typedValue(p toolkit.FaultParamSpec, v string) any {
	switch p.Type {
	case toolkit.FaultParamInteger:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	case toolkit.FaultParamNumber:
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return x
		}
	}
	return v
}
