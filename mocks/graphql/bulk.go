package graphql

import (
	"fmt"
	"maps"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
)

// bulk is a mutation that writes each element of a list argument of input
// objects to a collection, the one its payload lists:
// productVariantsBulkUpdate(productId:, variants: [{id, price}]) updates
// ProductVariant records, and its payload's productVariants lists them. The
// type the payload returns on its own (product) is read, not written.
type bulk struct {
	verb         string          // create, upsert, update or delete
	arg          string          // the list argument
	entity       *ast.Definition // the type each element is written to
	payloadField string          // the payload's list field of that type
}

// bulkOf finds the bulk write of a root mutation: a payload type's list
// field of an object type with an id, whose name ends with a list
// argument's of input objects (productVariants and variants), or the other
// way round.
func (st *state) bulkOf(f *ast.FieldDefinition) (*bulk, bool) {
	verb, _ := splitVerb(f.Name)
	ret := st.schema.Types[f.Type.Name()]
	if verb == "" || ret == nil || ret.Kind != ast.Object || f.Type.Elem != nil || !isPayload(ret.Name) {
		return nil, false
	}
	for _, pf := range ret.Fields {
		t := st.schema.Types[pf.Type.Name()]
		if pf.Type.Elem == nil || t == nil || t.Kind != ast.Object || idFieldOf(t) == "" {
			continue
		}
		for _, a := range f.Arguments {
			in := st.schema.Types[a.Type.Name()]
			p, n := normName(pf.Name), normName(a.Name)
			if a.Type.Elem != nil && in != nil && in.Kind == ast.InputObject && (strings.HasSuffix(p, n) || strings.HasSuffix(n, p)) {
				return &bulk{verb: verb, arg: a.Name, entity: t, payloadField: pf.Name}, true
			}
		}
	}
	return nil, false
}

// mutateEach writes each element of the bulk's list argument as one
// mutation of its verb would, with the references the other arguments
// name (productId for a variant's product), all or none for elements
// naming records that do not exist; it answers the payload listing them.
func (st *state) mutateEach(def *ast.FieldDefinition, b *bulk, args map[string]any) (any, error) {
	if st.changed != nil {
		st.changeMu.Lock()
		defer st.changeMu.Unlock()
	}
	coll, idf := b.entity.Name, st.idField[b.entity.Name]
	elems, _ := args[b.arg].([]any)
	type element struct {
		rec   store.Record
		id    any
		hasID bool
	}
	todo := make([]element, len(elems))
	for i, e := range elems {
		m, _ := e.(map[string]any)
		rec := st.references(b.entity, args)
		maps.Copy(rec, m)
		id, hasID, _ := takeID(rec, coll, idf)
		todo[i] = element{rec, id, hasID}
		if err := st.canWrite(coll, b.verb, id, hasID); err != nil {
			return nil, fmt.Errorf("%s: %s[%d]: %w", def.Name, b.arg, i, err)
		}
	}
	out := make([]any, 0, len(todo))
	for i, e := range todo {
		written, kind, _, err := st.apply(coll, idf, b.verb, fmt.Sprint(e.id), e.hasID, e.rec, st.casCheck(coll, e.rec))
		if err != nil {
			return nil, fmt.Errorf("%s: %s[%d]: %w", def.Name, b.arg, i, err)
		}
		if st.changed != nil {
			st.changed(change{kind: kind, coll: coll, id: fmt.Sprint(written[idf]), rec: written})
		}
		out = append(out, st.recordOf(coll, written))
	}
	payload, _, _ := mutationPayload(st.schema, def)
	p, _ := payload.(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	p[b.payloadField] = out
	st.referenced(def, args, p)
	return p, nil
}

// referenced fills the payload's fields of a collection's type with the
// records the arguments name by id (product from productId).
func (st *state) referenced(def *ast.FieldDefinition, args map[string]any, payload map[string]any) {
	for _, pf := range st.schema.Types[def.Type.Name()].Fields {
		if _, isColl := st.idField[pf.Type.Name()]; !isColl || pf.Type.Elem != nil {
			continue
		}
		if id, ok := storedKey(args, pf.Name+"id"); ok && id != nil {
			if rec, err := st.store.Get(pf.Type.Name(), nil, fmt.Sprint(id)); err == nil {
				payload[pf.Name] = st.recordOf(pf.Type.Name(), rec)
			}
		}
	}
}

// canWrite checks, before a bulk writes anything, that one element's write
// can be made: an update or delete names a record that exists, a create
// with an id names none.
func (st *state) canWrite(coll, verb string, id any, hasID bool) error {
	idf := st.idField[coll]
	_, err := st.store.Get(coll, nil, fmt.Sprint(id))
	switch {
	case (verb == "update" || verb == "delete") && !hasID:
		return fmt.Errorf("no %s argument names the %s to %s", idf, coll, verb)
	case (verb == "update" || verb == "delete") && err != nil:
		return fmt.Errorf("no %s with %s %q", coll, idf, fmt.Sprint(id))
	case verb == "create" && hasID && err == nil:
		return fmt.Errorf("a %s with %s %q exists", coll, idf, fmt.Sprint(id))
	}
	return nil
}

// references are the arguments naming a record an element refers to:
// productId, when the entity has a product field of a collection's type.
func (st *state) references(entity *ast.Definition, args map[string]any) store.Record {
	rec := store.Record{}
	for k, v := range args {
		name, ok := strings.CutSuffix(normName(k), "id")
		if !ok || v == nil {
			continue
		}
		if f := fieldNamed(entity, name); f != nil && f.Type.Elem == nil {
			if _, isColl := st.idField[f.Type.Name()]; isColl {
				rec[k] = v
			}
		}
	}
	return rec
}
