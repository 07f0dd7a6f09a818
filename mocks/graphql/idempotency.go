package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Codes of the GraphQL errors of idempotency keys (extensions.code), as
// Shopify names them.
const (
	CodeIdempotencyMismatch   = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
	CodeIdempotencyConcurrent = "IDEMPOTENCY_CONCURRENT_REQUEST"
	// CodeIdempotencyKeyTooLong refuses, with HTTP 400, a key longer than
	// toolkit.MaxIdempotencyKey characters; nothing runs or is stored.
	CodeIdempotencyKeyTooLong = "IDEMPOTENCY_KEY_TOO_LONG"
)

// IdempotentDirective is the directive that carries an idempotency key on
// a mutation field, as Shopify's Admin API takes it (2026-01 on):
//
//	directive @idempotent(key: String!) on FIELD
//
//	mutation { refundCreate(input: {...}) @idempotent(key: "4f5b6ebf-...") { refund { id } } }
//
// A schema that declares it says the vendor honours it: the mock does too.
// One that does not has validation refuse it as an unknown directive, as
// the vendor's older versions do.
const IdempotentDirective = "idempotent"

// WithIdempotency honours idempotency keys on mutations sent in the header
// o.Header names (toolkit.DefaultIdempotencyHeader, Idempotency-Key, when
// empty), as monday.com takes them, beside the IdempotentDirective when the
// schema declares it; o also sets the rules of the directive's keys (the
// window, how many keys are kept). Without this option a schema that
// declares the directive has its keys honoured with the toolkit's defaults.
//
// The rules are the toolkit's, one store for both forms (see
// toolkit.Idempotency): keys are scoped to the credential that sent them;
// the first mutation with a key runs and its answer is kept for the
// window; a repeat with the same key and the same mutation fields and
// arguments (after variables are substituted) gets that answer again byte
// for byte, with Idempotent-Replayed: true, runs nothing and sends no
// webhook, and is journaled Replayed; the same key with other arguments
// gets a GraphQL error with the code CodeIdempotencyMismatch, one while
// the first still runs CodeIdempotencyConcurrent, both HTTP 200 as GraphQL
// vendors answer (a mismatch takes o.MismatchStatus instead when set).
// Queries are never keyed. Keys come from the directive when a root field
// of the mutation carries it (from all of them together when several do),
// else from the header.
func WithIdempotency(o toolkit.IdempotencyOptions) Option {
	return func(opts *options) error {
		if opts.idempotency != nil {
			return errors.New("graphql: WithIdempotency given twice: one store holds the keys")
		}
		s, err := toolkit.NewIdempotency(o)
		if err != nil {
			return fmt.Errorf("graphql: %w", err)
		}
		opts.idempotency, opts.keyHeader, opts.mismatch = s, true, o.MismatchStatus
		return nil
	}
}

// declaresIdempotent reports whether a schema declares the
// IdempotentDirective on fields, with its key argument.
func declaresIdempotent(s *ast.Schema) bool {
	d := s.Directives[IdempotentDirective]
	if d == nil || !slices.Contains(d.Locations, ast.LocationField) {
		return false
	}
	for _, a := range d.Arguments {
		if a.Name == "key" && (a.Type.Name() == "String" || a.Type.Name() == "ID") && a.Type.Elem == nil {
			return true
		}
	}
	return false
}

// attachIdempotency honours the directive's keys when the schema declares
// it, with WithIdempotency's store or the toolkit's defaults.
func (m *Mock) attachIdempotency() error {
	m.keyDirective = declaresIdempotent(m.schema)
	if !m.keyDirective || m.opts.idempotency != nil {
		return nil
	}
	s, err := toolkit.NewIdempotency(toolkit.IdempotencyOptions{})
	if err != nil {
		return fmt.Errorf("graphql: %w", err)
	}
	m.opts.idempotency = s
	return nil
}

// claim claims the idempotency key of a mutation about to run: nil when
// the request is not keyed; a refusal (its status and error) when the key
// is in flight or was used with other arguments.
func (m *Mock) claim(r *http.Request, p plan, entry *toolkit.Entry) (*toolkit.KeyClaim, int, *gqlerror.Error) {
	s := m.opts.idempotency
	if s == nil || p.op == nil || p.op.Operation != ast.Mutation || m.schema.Mutation == nil {
		return nil, 0, nil
	}
	ex := &execution{ctx: r.Context(), m: m, schema: m.schema, doc: p.doc, op: p.op, vars: p.vars}
	type call struct {
		Field string         `json:"field"`
		Args  map[string]any `json:"args"`
	}
	var calls []call
	var keys []string
	for _, g := range ex.groups(m.schema.Mutation, p.op.SelectionSet) {
		f := g.fields[0]
		calls = append(calls, call{f.Name, f.ArgumentMap(p.vars)})
		if !m.keyDirective {
			continue
		}
		for _, f := range g.fields {
			if k := directiveKey(f, p.vars); k != "" && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	key := strings.Join(keys, ",")
	if key == "" && m.opts.keyHeader {
		key = r.Header.Get(s.Header())
	}
	if key == "" {
		return nil, 0, nil
	}
	entry.IdempotencyKey = key
	fingerprint, err := json.Marshal(calls)
	if err != nil { // arguments are JSON values: never
		return nil, 0, nil
	}
	c := s.Claim(r, key, fingerprint)
	switch c.Standing {
	case toolkit.KeyInFlight:
		entry.Fault = "idempotency: in flight"
		return nil, http.StatusOK, codedError("A request with this idempotency key is still being processed; retry it later.", CodeIdempotencyConcurrent)
	case toolkit.KeyReused:
		entry.Fault = "idempotency: key reused"
		status := http.StatusOK
		if m.opts.mismatch != 0 {
			status = m.opts.mismatch
		}
		return nil, status, codedError("This idempotency key was used with different mutation arguments; use a new key for a new request.", CodeIdempotencyMismatch)
	case toolkit.KeyTooLong:
		entry.Fault = "idempotency: key too long"
		return nil, http.StatusBadRequest, codedError(fmt.Sprintf("The idempotency key is longer than %d characters.", toolkit.MaxIdempotencyKey), CodeIdempotencyKeyTooLong)
	}
	return c, 0, nil
}

// directiveKey is the key a field's IdempotentDirective gives, "" without one.
func directiveKey(f *ast.Field, vars map[string]any) string {
	d := f.Directives.ForName(IdempotentDirective)
	if d == nil {
		return ""
	}
	a := d.Arguments.ForName("key")
	if a == nil || a.Value == nil {
		return ""
	}
	v, err := a.Value.Value(vars)
	if err != nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
