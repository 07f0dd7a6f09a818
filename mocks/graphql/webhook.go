package graphql

import (
	"context"
	"errors"
	"maps"
	"strings"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// WithWebhooks delivers the changes stateful mode makes (WithStateful) to
// w's subscribers, as a vendor's webhooks: after each create, upsert,
// update or delete a mutation really made, an event of kind create, update
// or delete (an upsert is a create when it created the record) and of type
// "<type>.created", ".updated" or ".deleted", the record's GraphQL type in
// snake case (customer.created, line_item.deleted). Its data is the record
// as the mock answers it: every scalar and enum field of its type, stored
// or generated as a query reads them (the record before it went, for a
// delete). Events of one record leave in the order of its changes. A
// mutation that fails, and a repeat answered from an idempotency key,
// send none. The mock serves w's admin API (toolkit.WebhooksPath) and
// journals its attempts. One Webhooks serves one mock.
func WithWebhooks(w *toolkit.Webhooks) Option {
	return func(o *options) error {
		switch {
		case w == nil:
			return errors.New("graphql: nil webhooks")
		case o.webhooks != nil:
			return errors.New("graphql: WithWebhooks given twice: one Webhooks delivers to every subscriber")
		}
		o.webhooks = w
		return nil
	}
}

// attachWebhooks binds the mock's Webhooks once every option is known.
func (m *Mock) attachWebhooks() error {
	w := m.opts.webhooks
	if w == nil {
		return nil
	}
	if m.state == nil {
		return errors.New("graphql: webhooks deliver the changes of stateful mode: add WithStateful(true)")
	}
	if err := w.Attach(m.opts.name, m.journal, m.log); err != nil {
		return err
	}
	m.state.changed = m.notify
	return nil
}

// change is what a mutation did to one stored record.
type change struct {
	kind string // toolkit.EventCreate, EventUpdate or EventDelete
	coll string
	id   string
	rec  store.Record // the record after the change; before it, for a delete
}

var pastTense = map[string]string{toolkit.EventCreate: "created", toolkit.EventUpdate: "updated", toolkit.EventDelete: "deleted"}

// notify queues the event of a change for the subscribers.
func (m *Mock) notify(c change) {
	m.opts.webhooks.Enqueue(c.kind, snakeCase(c.coll)+"."+pastTense[c.kind], c.coll+"/"+c.id, m.render(c.coll, c.rec), nil)
}

// render is a stored record as the mock answers it: the scalar and enum
// fields of its type that take no required argument, stored or generated
// with the record's seed, so that the event and a query agree.
func (m *Mock) render(coll string, rec store.Record) map[string]any {
	def := m.schema.Types[coll]
	if def == nil {
		return maps.Clone(rec)
	}
	var sel ast.SelectionSet
	for _, f := range def.Fields {
		t := m.schema.Types[f.Type.Name()]
		if strings.HasPrefix(f.Name, "__") || t == nil || (t.Kind != ast.Scalar && t.Kind != ast.Enum) || requiresArguments(f) {
			continue
		}
		sel = append(sel, &ast.Field{Alias: f.Name, Name: f.Name, Definition: f, ObjectDefinition: def})
	}
	ex := &execution{ctx: context.Background(), m: m, schema: m.schema}
	obj := ex.selectionSet(m.state.recordOf(coll, rec), def, sel, 0, nil)
	if obj == nil {
		return maps.Clone(rec)
	}
	out := make(map[string]any, len(obj.keys))
	for i, k := range obj.keys {
		out[k] = obj.vals[i]
	}
	return out
}

// requiresArguments reports whether a field cannot be read without
// arguments.
func requiresArguments(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// snakeCase spells a type name as event types do: LineItem → line_item,
// HTTPLog → http_log.
func snakeCase(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
