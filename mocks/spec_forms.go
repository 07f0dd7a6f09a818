package mocks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The small languages inside YAML strings ("40/s,burst=40",
// "Idempotency-Key,mismatch=409") also take a mapping form whose fields an
// editor checks one by one. Both forms are read by the one parser of the
// shorthand (toolkit.ParseRateLimit, toolkit.ParseIdempotency): a mapping
// is spelt as its shorthand first. Both write back as the shorthand.

// RateLimit is a vendor's rate limit, per credential. Shorthand:
// "20/s,burst=5,limit-header=X-Limit,reset=epoch,by=cost". Mapping:
//
//	rate_limit: {rate: 20/s, burst: 5, limit_header: X-Limit, reset: epoch}
type RateLimit struct {
	Options toolkit.RateLimitOptions
}

// rateLimitFields are the fields of the mapping form, in the order the
// shorthand writes them, with the shorthand's name of each.
var rateLimitFields = []struct{ yaml, short, desc string }{
	{"rate", "", "requests (or cost points with by: cost) per unit: " + contracts.RateGrammar},
	{"burst", "burst", "the bucket size: how many requests at once (the rate's count by default)"},
	{"by", "by", "requests (the default) or cost: a GraphQL mock throttles by query cost, Shopify's way"},
	{"limit_header", "limit-header", "the vendor's name of the header that tells the limit (- leaves it out)"},
	{"remaining_header", "remaining-header", "the header that tells the requests left (- leaves it out)"},
	{"reset_header", "reset-header", "the header that tells when the bucket is full again (- leaves it out)"},
	{"reset", "reset", "seconds (left, the default) or epoch (a Unix time, GitHub's way)"},
}

// ParseRateLimit reads the shorthand.
func ParseRateLimit(s string) (*RateLimit, error) {
	o, err := toolkit.ParseRateLimit(s)
	if err != nil {
		return nil, err
	}
	return &RateLimit{Options: o}, nil
}

func (r *RateLimit) String() string {
	if r == nil {
		return ""
	}
	return r.Options.String()
}

// UnmarshalYAML reads the shorthand or the mapping.
func (r *RateLimit) UnmarshalYAML(n *yaml.Node) error {
	s, err := shorthand(n, "rate_limit", rateLimitFields)
	if err != nil {
		return err
	}
	v, err := ParseRateLimit(s)
	if err != nil {
		return unprefixed(err)
	}
	*r = *v
	return nil
}

// MarshalYAML writes the shorthand.
func (r RateLimit) MarshalYAML() (any, error) { return r.String(), nil }

// UnmarshalJSON reads the shorthand or the mapping.
func (r *RateLimit) UnmarshalJSON(data []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return err
	}
	return r.UnmarshalYAML(n.Content[0])
}

// MarshalJSON writes the shorthand.
func (r RateLimit) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// RateLimitPattern is what an editor checks the shorthand against: the
// rate, then any of the settings (the parser checks their values).
const RateLimitPattern = `^\s*[0-9]*\.?[0-9]+\s*/\s*[0-9a-zµ.]+(\s*,\s*(burst|limit-header|remaining-header|reset-header|reset|by)\s*=\s*[^,\s][^,]*)*\s*$`

// JSONSchema describes both forms for editors.
func (RateLimit) JSONSchema() *jsonschema.Schema {
	m := mappingSchema(rateLimitFields, "rate")
	m.Properties.Set("burst", &jsonschema.Schema{Type: "integer", Minimum: json.Number("1"), Description: rateLimitFields[1].desc})
	m.Properties.Set("by", &jsonschema.Schema{Type: "string", Enum: []any{"requests", "cost"}, Description: rateLimitFields[2].desc})
	m.Properties.Set("reset", &jsonschema.Schema{Type: "string", Enum: []any{"seconds", "epoch"}, Description: rateLimitFields[6].desc})
	m.Properties.Set("rate", contracts.Rate{}.JSONSchema())
	return &jsonschema.Schema{
		Description: "a token bucket per credential: \"20/s,burst=5\" or {rate: 20/s, burst: 5}",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: RateLimitPattern, Examples: []any{"100/s", "20/s,burst=5", "5000/h,limit-header=X-HubSpot-RateLimit-Max,reset=epoch", "50/s,burst=1000,by=cost"}},
			m,
		},
	}
}

// Idempotency is how a mock honours idempotency keys, as Stripe does.
// Shorthand: "Idempotency-Key,window=1h,mismatch=400". Mapping:
//
//	idempotency: {header: Idempotency-Key, window: 1h, mismatch: 400}
type Idempotency struct {
	Options toolkit.IdempotencyOptions
	text    string
}

var idempotencyFields = []struct{ yaml, short, desc string }{
	{"header", "", "the request header that carries the key, e.g. Idempotency-Key"},
	{"window", "window", "how long a key is remembered (24h by default)"},
	{"mismatch", "mismatch", "the status a key reused with another request gets (an OpenAPI mock: 422 by default, as Stripe; a GraphQL mock: 200 with a GraphQL error)"},
}

// ParseIdempotency reads the shorthand.
func ParseIdempotency(s string) (*Idempotency, error) {
	o, err := toolkit.ParseIdempotency(s)
	if err != nil {
		return nil, err
	}
	return &Idempotency{Options: o, text: strings.TrimSpace(s)}, nil
}

func (i *Idempotency) String() string {
	if i == nil {
		return ""
	}
	return i.text
}

// UnmarshalYAML reads the shorthand or the mapping.
func (i *Idempotency) UnmarshalYAML(n *yaml.Node) error {
	s, err := shorthand(n, "idempotency", idempotencyFields)
	if err != nil {
		return err
	}
	v, err := ParseIdempotency(s)
	if err != nil {
		return unprefixed(err)
	}
	*i = *v
	return nil
}

// MarshalYAML writes the shorthand.
func (i Idempotency) MarshalYAML() (any, error) { return i.String(), nil }

// UnmarshalJSON reads the shorthand or the mapping.
func (i *Idempotency) UnmarshalJSON(data []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return err
	}
	return i.UnmarshalYAML(n.Content[0])
}

// MarshalJSON writes the shorthand.
func (i Idempotency) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

// JSONSchema describes both forms for editors.
func (Idempotency) JSONSchema() *jsonschema.Schema {
	m := mappingSchema(idempotencyFields, "header")
	m.Properties.Set("mismatch", &jsonschema.Schema{Type: "integer", Minimum: json.Number("400"), Maximum: json.Number("499"), Description: idempotencyFields[2].desc})
	return &jsonschema.Schema{
		Description: "honour idempotency keys: \"Idempotency-Key,window=1h\" or {header: Idempotency-Key, window: 1h}",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: `^\s*[!#$%&'*+.^_|~0-9A-Za-z-]+(\s*,\s*(window|mismatch)\s*=\s*[^,\s][^,]*)*\s*$`, Examples: []any{"Idempotency-Key", "Idempotency-Key,window=1h,mismatch=409"}},
			m,
		},
	}
}

// shorthand spells a scalar or a mapping node as the shorthand text: the
// mapping's first field's value first, then name=value for the others
// that are set. Unknown fields are refused with their line.
func shorthand(n *yaml.Node, field string, fields []struct{ yaml, short, desc string }) (string, error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		return n.Value, nil
	case n.Kind != yaml.MappingNode:
		return "", fmt.Errorf("%s: want the shorthand text or a mapping of %s", field, fieldNames(fields))
	}
	values := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		known := false
		for _, f := range fields {
			known = known || f.yaml == k.Value
		}
		switch {
		case !known:
			return "", &PositionError{k.Line, k.Column, fmt.Errorf("%s.%s: unknown field (known: %s)", field, k.Value, fieldNames(fields))}
		case v.Kind != yaml.ScalarNode:
			return "", &PositionError{v.Line, v.Column, fmt.Errorf("%s.%s: want a plain value", field, k.Value)}
		case strings.ContainsAny(v.Value, ","):
			return "", &PositionError{v.Line, v.Column, fmt.Errorf("%s.%s: %q may not hold a comma", field, k.Value, v.Value)}
		}
		values[k.Value] = strings.TrimSpace(v.Value)
	}
	first := fields[0]
	if values[first.yaml] == "" {
		return "", fmt.Errorf("%s.%s: required", field, first.yaml)
	}
	out := values[first.yaml]
	for _, f := range fields[1:] {
		if v, ok := values[f.yaml]; ok {
			out += "," + f.short + "=" + v
		}
	}
	return out, nil
}

func fieldNames(fields []struct{ yaml, short, desc string }) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.yaml
	}
	return strings.Join(names, ", ")
}

// mappingSchema is the object form of a shorthand, every field a string
// until the caller says more.
func mappingSchema(fields []struct{ yaml, short, desc string }, required string) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "object", Properties: jsonschema.NewProperties(), AdditionalProperties: jsonschema.FalseSchema, Required: []string{required}}
	for _, f := range fields {
		s.Properties.Set(f.yaml, &jsonschema.Schema{Type: "string", Description: f.desc})
	}
	return s
}

// PositionError is an error at a place inside the value being read: a
// file's reader reports it there rather than at the value's start.
type PositionError struct {
	Line, Column int
	Err          error
}

func (e *PositionError) Error() string { return e.Err.Error() }

func (e *PositionError) Unwrap() error { return e.Err }

// Position is where the error is, line and column from 1.
func (e *PositionError) Position() (line, column int) { return e.Line, e.Column }

// unprefixed drops the package prefix of a parser's error: a file's reader
// names the field instead.
func unprefixed(err error) error {
	msg := err.Error()
	for _, p := range []string{"mocks: ", "toolkit: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return errors.New(msg)
}

// JSONSchemaExtend lets a fault carry its parameters beside its kind, and
// documents the kinds and each kind's parameters (ExtendFaultSchema).
func (Fault) JSONSchemaExtend(s *jsonschema.Schema) {
	ExtendFaultSchema(s)
	s.AdditionalProperties = &jsonschema.Schema{
		OneOf:       []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}},
		Description: "a parameter of the fault (rate, operation, id, or the kind's own: status: 503, retry_after: 2s...)",
	}
}

// MarshalJSON writes a fault as it is written in YAML: the kind, and its
// parameters beside it.
func (f Fault) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(f.Params)+1)
	for k, v := range f.Params {
		m[k] = v
	}
	m["fault"] = f.Fault
	return json.Marshal(m)
}

// UnmarshalJSON reads a fault as MarshalJSON writes it; parameter values
// may be strings, numbers or booleans.
func (f *Fault) UnmarshalJSON(data []byte) error {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*f = Fault{}
	for k, v := range m {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64, bool:
			s = fmt.Sprint(v)
		default:
			return fmt.Errorf("fault: %s: want a string, number or boolean", k)
		}
		if k == "fault" {
			f.Fault = s
			continue
		}
		if f.Params == nil {
			f.Params = map[string]string{}
		}
		f.Params[k] = s
	}
	return nil
}
