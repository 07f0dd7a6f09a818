package graphql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Verbs of the mutations that change records, as a prefix (createCustomer)
// or a suffix (customerCreate, as Shopify names them). A set writes by id
// as an upsert does (Shopify's metafieldsSet; a verb inside the name, as in
// inventorySetQuantities, is not read).
var mutationVerbs = []struct{ word, verb string }{
	{"create", "create"}, {"add", "create"}, {"insert", "create"},
	{"upsert", "upsert"}, {"set", "upsert"},
	{"update", "update"}, {"edit", "update"}, {"change", "update"},
	{"delete", "delete"}, {"remove", "delete"},
}

// mutation is what a root mutation field does to which collection.
type mutation struct {
	verb         string          // create, upsert, update or delete
	entity       *ast.Definition // the type stored: its name is the collection's
	payloadField string          // the payload's field holding the record; "" when the mutation returns it
	noun         string          // what the name says it acts on: Customer in createCustomer, cartLines in cartLinesAdd
}

// state is the stateful mode: one collection per object type with an id
// that a mutation writes or a root query field lists (a list of it, or a
// connection of it).
type state struct {
	schema    *ast.Schema
	store     *store.Store
	seed      uint64
	scalar    ScalarFunc          // the executor's, to read generated fields as a query would
	mutations map[string]mutation // by root mutation field
	bulks     map[string]*bulk    // by root mutation field, those writing a list argument's elements
	idField   map[string]string   // collection → the field holding the id
	// upsertMu makes an upsert by unique key one step: find, then write.
	upsertMu sync.Mutex
	// changed, when set (WithWebhooks), hears of every change a mutation
	// made; changeMu makes a change and its telling one step, so the
	// events of one record leave in the order of its changes.
	changed  func(change)
	changeMu sync.Mutex
	// cas and staleCodes are the compare-and-set rules by collection
	// (WithCompareAndSet).
	cas        map[string]store.CompareAndSet
	staleCodes map[string]string
	// warned holds the ignored arguments already logged (reportIgnored).
	warned map[string]bool
	warnMu sync.Mutex
}

func newState(s *ast.Schema, seed int64, scalar ScalarFunc) *state {
	st := &state{schema: s, store: store.New(), seed: uint64(seed), scalar: scalar,
		mutations: map[string]mutation{}, bulks: map[string]*bulk{}, idField: map[string]string{}}
	if s.Mutation != nil {
		for _, f := range s.Mutation.Fields {
			if mu, ok := st.classify(f); ok {
				st.mutations[f.Name] = mu
				st.ensure(mu.entity)
			}
			if b, ok := st.bulkOf(f); ok {
				st.bulks[f.Name] = b
				st.ensure(b.entity)
			}
		}
	}
	for _, f := range s.Query.Fields {
		if t := st.listedType(f); t != nil {
			st.ensure(t)
		}
	}
	return st
}

// ensure makes the object type def a collection, named after it.
func (st *state) ensure(def *ast.Definition) {
	if _, seen := st.idField[def.Name]; !seen {
		st.idField[def.Name] = idFieldOf(def)
		st.store.Ensure(store.Collection{Name: def.Name, IDField: st.idField[def.Name]})
	}
}

// classify finds the verb and the entity of a root mutation field.
func (st *state) classify(f *ast.FieldDefinition) (mutation, bool) {
	verb, noun := splitVerb(f.Name)
	if verb == "" {
		return mutation{}, false
	}
	ret := st.schema.Types[f.Type.Name()]
	if ret != nil && ret.Kind == ast.Object && idFieldOf(ret) != "" && !isPayload(ret.Name) {
		return mutation{verb: verb, entity: ret, noun: noun}, true
	}
	if ret != nil && ret.Kind == ast.Object {
		var best *ast.FieldDefinition
		for _, pf := range ret.Fields {
			t := st.schema.Types[pf.Type.Name()]
			if pf.Type.Elem != nil || t == nil || t.Kind != ast.Object || idFieldOf(t) == "" {
				continue
			}
			if best == nil || strings.EqualFold(pf.Name, noun) || strings.EqualFold(t.Name, noun) {
				best = pf
			}
		}
		if best != nil {
			return mutation{verb: verb, entity: st.schema.Types[best.Type.Name()], payloadField: best.Name, noun: noun}, true
		}
	}
	for _, t := range st.schema.Types {
		if t.Kind == ast.Object && !t.BuiltIn && strings.EqualFold(t.Name, noun) && idFieldOf(t) != "" {
			return mutation{verb: verb, entity: t, noun: noun}, true
		}
	}
	return mutation{}, false
}

// splitVerb splits createCustomer or customerCreate into its verb and
// noun: a verb in front first (delete_update deletes an Update), else one
// behind, a version suffix aside (checkoutEmailUpdateV2).
func splitVerb(name string) (verb, noun string) {
	if verb, noun = splitName(name); verb != "" {
		return verb, noun
	}
	if i := strings.LastIndexByte(name, 'V'); i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" {
		return splitName(name[:i])
	}
	return "", ""
}

func splitName(name string) (verb, noun string) {
	for _, v := range mutationVerbs {
		if rest, ok := strings.CutPrefix(name, v.word); ok && rest != "" && unicode.IsUpper(rune(rest[0])) {
			return v.verb, rest
		}
		if rest, ok := strings.CutPrefix(name, v.word+"_"); ok && rest != "" { // create_item, as monday.com
			return v.verb, rest
		}
	}
	for _, v := range mutationVerbs {
		suffix := strings.ToUpper(v.word[:1]) + v.word[1:]
		if rest, ok := strings.CutSuffix(name, suffix); ok && rest != "" {
			return v.verb, rest
		}
		if rest, ok := strings.CutSuffix(name, "_"+v.word); ok && rest != "" {
			return v.verb, rest
		}
	}
	return "", ""
}

func isPayload(name string) bool {
	for _, s := range []string{"Payload", "Result", "Response", "Output"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// idFieldOf is the field of an object type that holds its id: "id", else
// the first field of type ID; "" when it has none.
func idFieldOf(def *ast.Definition) string {
	if f := def.Fields.ForName("id"); f != nil && f.Type.Elem == nil {
		return "id"
	}
	for _, f := range def.Fields {
		if f.Type.Elem == nil && f.Type.NamedType == "ID" {
			return f.Name
		}
	}
	return ""
}

// recordOf wraps a stored record for the executor; its generated fields are
// seeded by collection and id, so every query reads the same record.
func (st *state) recordOf(coll string, rec store.Record) *record {
	id := fmt.Sprint(rec[st.idField[coll]])
	return &record{typ: coll, data: rec, seed: mix(st.seed, coll, id)}
}

// statefulRoot is the root object in stateful mode.
type statefulRoot struct {
	st  *state
	typ *ast.Definition
	op  ast.Operation
}

func (r *statefulRoot) typeName() string { return r.typ.Name }

func (r *statefulRoot) resolve(ex *execution, def *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	if r.op == ast.Mutation {
		if b, ok := r.st.bulks[def.Name]; ok && args[b.arg] != nil {
			v, err := r.st.mutateEach(def, b, args)
			return v, true, err
		}
		if mu, ok := r.st.mutations[def.Name]; ok {
			v, err := r.st.mutate(def, mu, args)
			return v, true, err
		}
		return mutationPayload(ex.schema, def)
	}
	return r.st.query(def, args, ex.ignore)
}

// mutationRoot is the Mutation root of a stateless mock.
type mutationRoot struct{ typ *ast.Definition }

func (r *mutationRoot) typeName() string { return r.typ.Name }

func (r *mutationRoot) resolve(ex *execution, def *ast.FieldDefinition, _ map[string]any) (any, bool, error) {
	return mutationPayload(ex.schema, def)
}

// mutationPayload answers a mutation the mock does not store: generated,
// except that the payload's error lists (userErrors, customerUserErrors)
// are empty, since a client reads errors there as a failed mutation.
func mutationPayload(s *ast.Schema, def *ast.FieldDefinition) (any, bool, error) {
	ret := s.Types[def.Type.Name()]
	if ret == nil || ret.Kind != ast.Object || def.Type.Elem != nil {
		return nil, false, nil
	}
	var payload map[string]any
	for _, f := range ret.Fields {
		if f.Type.Elem != nil && strings.HasSuffix(strings.ToLower(f.Name), "errors") {
			if payload == nil {
				payload = map[string]any{}
			}
			payload[f.Name] = []any{}
		}
	}
	if payload == nil {
		return nil, false, nil
	}
	return payload, true, nil
}

// mutate applies a create/upsert/update/delete and returns the field's
// value; a change it made is told to changed.
func (st *state) mutate(def *ast.FieldDefinition, mu mutation, args map[string]any) (any, error) {
	if st.changed != nil {
		st.changeMu.Lock()
		defer st.changeMu.Unlock()
	}
	coll, idf := mu.entity.Name, st.idField[mu.entity.Name]
	rec := inputRecord(args, mu.entity)
	id, hasID, longID := takeID(rec, mu.entity.Name, idf)
	ids := fmt.Sprint(id)
	verb := mu.verb
	switch {
	case verb == "create" && hasID && normName(mu.noun) != normName(coll):
		verb = "update" // cartLinesAdd(cartId:) adds to a cart: it changes the cart
	case verb == "delete" && longID && normName(mu.noun) != normName(coll):
		verb = "update" // cartLinesRemove(cartId:) takes from a cart: the cart stays
	}
	check := st.casCheck(coll, rec)
	out, kind, ids, err := st.apply(coll, idf, verb, ids, hasID, rec, check)
	if se, ok := isStale(err); ok {
		current, _ := st.store.Get(coll, nil, ids)
		return st.staleAnswer(def, mu, se, current)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: no %s with %s %q", def.Name, coll, idf, ids)
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("%s: a %s with %s %q exists", def.Name, coll, idf, ids)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", def.Name, err)
	}
	if st.changed != nil {
		st.changed(change{kind: kind, coll: coll, id: fmt.Sprint(out[idf]), rec: out})
	}
	return st.answer(def, mu, out), nil
}

// takeID finds the id a record to write names: its id field, else id or
// the entity's id by a longer name (customerId, item_id: longID), which is
// taken out of rec. A null id is none.
func takeID(rec store.Record, entity, idf string) (id any, hasID, longID bool) {
	id, hasID = rec[idf]
	if !hasID {
		for _, k := range []string{"id", entity + "id"} {
			for key, v := range rec {
				if normName(key) == normName(k) {
					id, hasID, longID = v, true, k != "id"
					delete(rec, key)
					break
				}
			}
			if hasID {
				break
			}
		}
	}
	if hasID && id == nil {
		delete(rec, idf)
		hasID = false
	}
	return id, hasID, longID
}

// apply makes the store change of a verb and says which kind of change it
// was (an upsert creates or updates) and the id it found for an upsert by
// unique key. check, when not nil, is the compare-and-set condition of an
// update or upsert, checked in the same step as the write.
func (st *state) apply(coll, idf, verb, ids string, hasID bool, rec store.Record, check func(store.Record) error) (out store.Record, kind, id string, err error) {
	kind, id = verb, ids
	switch verb {
	case "create":
		if hasID {
			rec[idf] = id
		}
		out, err = st.store.Create(coll, nil, rec)
	case "upsert":
		kind = toolkit.EventUpdate
		if !hasID {
			// No id: a real vendor upserts by the record's unique key, the
			// argument of a lookup query (customerByEmail(email:)).
			st.upsertMu.Lock()
			defer st.upsertMu.Unlock()
			found, ok := st.findByUniqueKey(coll, rec)
			if !ok {
				out, err = st.store.Create(coll, nil, rec)
				return out, toolkit.EventCreate, id, err
			}
			id = found
		}
		// Patch, else create; a create that loses a race to a concurrent
		// upsert of the same id patches what the other one stored.
		patch := maps.Clone(rec)
		delete(patch, idf)
		if out, err = st.store.PatchIf(coll, nil, id, map[string]any(patch), check); errors.Is(err, store.ErrNotFound) {
			if check != nil { // nothing holds the value the write expects
				return nil, kind, id, check(nil)
			}
			rec[idf] = id
			kind = toolkit.EventCreate
			if out, err = st.store.Create(coll, nil, rec); errors.Is(err, store.ErrConflict) {
				kind = toolkit.EventUpdate
				out, err = st.store.Patch(coll, nil, id, map[string]any(patch))
			}
		}
	case "update":
		if !hasID {
			return nil, kind, id, fmt.Errorf("no %s argument names the %s to update", idf, coll)
		}
		delete(rec, idf)
		out, err = st.store.PatchIf(coll, nil, id, map[string]any(rec), check)
	case "delete":
		if !hasID {
			return nil, kind, id, fmt.Errorf("no %s argument names the %s to delete", idf, coll)
		}
		if out, err = st.store.Get(coll, nil, id); err == nil {
			err = st.store.Delete(coll, nil, id)
		}
	}
	return out, kind, id, err
}

// answer shapes a changed record as the mutation's return type.
func (st *state) answer(def *ast.FieldDefinition, mu mutation, rec store.Record) any {
	coll := mu.entity.Name
	r := st.recordOf(coll, rec)
	id := fmt.Sprint(rec[st.idField[coll]])
	ret := st.schema.Types[def.Type.Name()]
	switch {
	case ret != nil && ret.Name == coll:
		if def.Type.Elem != nil {
			return []any{r}
		}
		return r
	case ret != nil && ret.Kind == ast.Object:
		payload := map[string]any{}
		if mu.payloadField != "" {
			payload[mu.payloadField] = r
		}
		for _, f := range ret.Fields {
			lower := strings.ToLower(f.Name)
			switch {
			case f.Type.Elem != nil && strings.HasSuffix(lower, "errors"):
				payload[f.Name] = []any{} // a successful mutation has no user errors
			case strings.HasPrefix(lower, "deleted") && strings.HasSuffix(lower, "id") && mu.verb == "delete":
				payload[f.Name] = id
			}
		}
		return payload
	case def.Type.Name() == "Boolean":
		return true
	}
	return id
}

// inputRecord flattens a mutation's arguments into the fields of a record:
// an input object argument (input: {...}) gives its fields, and a field of
// it named after the entity (input: {customer: {...}}) gives its own. A
// value named after the entity and one of its fields (item_name, as
// monday.com names Item.name) is stored under the field's name as well.
func inputRecord(args map[string]any, entity *ast.Definition) store.Record {
	rec := store.Record{}
	for k, v := range args {
		m, ok := v.(map[string]any)
		if !ok {
			rec[k] = v
			continue
		}
		for kk, vv := range m {
			if inner, ok := vv.(map[string]any); ok && strings.EqualFold(kk, entity.Name) {
				for k3, v3 := range inner {
					rec[k3] = v3
				}
				continue
			}
			rec[kk] = vv
		}
	}
	prefix := normName(entity.Name)
	for _, k := range slices.Sorted(maps.Keys(rec)) {
		rest, ok := strings.CutPrefix(normName(k), prefix)
		if !ok || rest == "" || rest == "id" || entity.Fields.ForName(k) != nil {
			continue
		}
		for _, f := range entity.Fields {
			if _, set := rec[f.Name]; !set && normName(f.Name) == rest {
				rec[f.Name] = rec[k]
			}
		}
	}
	return rec
}

// query reads stored records for root query fields that return a
// collection's type: by id, by a unique key, as a list or a connection
// (filtered by the arguments, see listed); ignore hears of the arguments
// and search terms it answered without. Other fields are generated (ok
// false).
func (st *state) query(def *ast.FieldDefinition, args map[string]any, ignore func(string)) (any, bool, error) {
	t := st.schema.Types[def.Type.Name()]
	if t == nil {
		return nil, false, nil
	}
	if _, isColl := st.idField[t.Name]; isColl {
		if def.Type.Elem != nil {
			picks := st.listed([]string{t.Name}, def, args, ignore)
			return st.wrapPicks(pageList(picks, args)), true, nil
		}
		v, ok, err := st.lookup(t.Name, def, args, ignore)
		if ok && v == nil && def.Type.NonNull {
			return nil, true, fmt.Errorf("%s: no %s matches %v", def.Name, t.Name, argsKey(args))
		}
		return v, ok, err
	}
	if t.IsAbstractType() {
		return st.abstract(t, def, args)
	}
	if colls := st.connectionOf(t); len(colls) > 0 {
		return st.connection(colls, def, args, ignore), true, nil
	}
	return nil, false, nil
}

// abstract answers node(id:) and nodes(ids:) from the collections whose
// type implements t.
func (st *state) abstract(t *ast.Definition, def *ast.FieldDefinition, args map[string]any) (any, bool, error) {
	if id, ok := args["id"]; ok && def.Type.Elem == nil {
		return st.byIDAnywhere(t, fmt.Sprint(id)), true, nil
	}
	ids, ok := args["ids"].([]any)
	if !ok || def.Type.Elem == nil {
		return nil, false, nil
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		if r := st.byIDAnywhere(t, fmt.Sprint(id)); r != nil {
			out[i] = r
		}
	}
	return out, true, nil
}

// lookup reads one record by its id argument or, else, the first its
// other arguments select as a list's would (customerByEmail(email:),
// repository(owner:, name:) by name when owner cannot be read): none when
// no argument sent can be read (customer(customerAccessToken:)); ok is
// false (generated) when none is sent (viewer).
func (st *state) lookup(coll string, def *ast.FieldDefinition, args map[string]any, ignore func(string)) (any, bool, error) {
	idf := st.idField[coll]
	for _, k := range []string{idf, "id"} {
		if id, ok := args[k]; ok && id != nil {
			rec, err := st.store.Get(coll, nil, fmt.Sprint(id))
			if err != nil {
				return nil, true, nil
			}
			return st.recordOf(coll, rec), true, nil
		}
	}
	sel := st.selectionOf([]string{coll}, def, args, ignore)
	if !sel.selective() {
		return nil, sentAny(def, args), nil
	}
	if picks := st.picks(sel); len(picks) > 0 {
		return st.recordOf(coll, picks[0].rec), true, nil
	}
	return nil, true, nil
}

// sentAny reports whether a field got an argument that may select: not
// null, not paging, not left at its default.
func sentAny(def *ast.FieldDefinition, args map[string]any) bool {
	for _, a := range def.Arguments {
		if v := args[a.Name]; v != nil && !passiveArgs[normName(a.Name)] && !atDefault(a.DefaultValue, v) {
			return true
		}
	}
	return false
}

// uniqueKeys are the fields that identify a record of coll besides its id:
// the argument of every single-argument root query that returns one coll.
func (st *state) uniqueKeys(coll string) []string {
	if st.schema.Query == nil {
		return nil
	}
	var keys []string
	for _, f := range st.schema.Query.Fields {
		if f.Type.Name() != coll || f.Type.Elem != nil || len(f.Arguments) != 1 {
			continue
		}
		if name := f.Arguments[0].Name; normName(name) != "id" && normName(name) != normName(st.idField[coll]) {
			keys = append(keys, name)
		}
	}
	return keys
}

// findByUniqueKey returns the id of the stored record of coll that shares
// a unique key's value with rec.
func (st *state) findByUniqueKey(coll string, rec map[string]any) (string, bool) {
	for _, key := range st.uniqueKeys(coll) {
		want, ok := rec[key]
		if !ok || want == nil {
			continue
		}
		if stored, ok, _ := st.store.Find(coll, key, want); ok {
			return fmt.Sprint(stored[st.idField[coll]]), true
		}
	}
	return "", false
}

// byIDAnywhere finds the record with that id among the collections whose
// type implements the abstract type t (node(id:)).
func (st *state) byIDAnywhere(t *ast.Definition, id string) any {
	var names []string
	for _, p := range st.schema.GetPossibleTypes(t) {
		if _, ok := st.idField[p.Name]; ok {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	for _, coll := range names {
		if rec, err := st.store.Get(coll, nil, id); err == nil {
			return st.recordOf(coll, rec)
		}
	}
	return nil
}

func (st *state) records(coll string) []store.Record {
	recs, _ := st.store.Snapshot(coll)
	return recs
}

// normName folds case and drops _ and - so item_id, itemId and ItemID match.
func normName(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// reference resolves a field whose type is a collection's through the id
// the record holds under the field's name plus Id (customer → customerId,
// customer_id); nil when there is none or no such record.
func (st *state) reference(def *ast.FieldDefinition, data map[string]any) *record {
	coll := def.Type.Name()
	if _, ok := st.idField[coll]; !ok {
		return nil
	}
	want := normName(def.Name + "id")
	for k, v := range data {
		if normName(k) != want || v == nil {
			continue
		}
		if rec, err := st.store.Get(coll, nil, fmt.Sprint(v)); err == nil {
			return st.recordOf(coll, rec)
		}
	}
	return nil
}
