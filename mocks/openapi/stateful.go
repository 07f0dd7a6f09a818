package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The kinds of operation a stateful collection answers.
const (
	opCreate = "create"
	opList   = "list"
	opGet    = "get"
	opPut    = "put"
	opUpsert = "upsert" // PUT on the item path that creates an absent record
	opPatch  = "patch"
	opDelete = "delete"
	opAction = "action" // POST on a verb under the item path: /orders/{id}/capture
)

// stateful answers the operations of the collections inferred from the
// contract from a store instead of from examples.
type stateful struct {
	m     *Mock
	store *store.Store
	byOp  map[string]binding // operation id → what it does to which collection
	bases sync.Map           // *openapi3.Schema → generated value, read-only once stored
	// warned holds "operation\x00parameter" for each query parameter a
	// list could not interpret and the log has named.
	warned sync.Map
}

// base is the value generated for a response schema, made once: answers
// take the fields a record lacks from it and never change it.
func (s *stateful) base(schema *openapi3.Schema) any {
	if v, ok := s.bases.Load(schema); ok {
		return v
	}
	v, _ := s.bases.LoadOrStore(schema, normalize(s.m.sample(schema, s.m.seed, "", contracts.Response)))
	return v
}

type binding struct {
	coll store.Collection
	kind string
}

func newStateful(m *Mock) (*stateful, error) {
	colls := store.Infer(m.contract.Doc)
	if err := applyRules(colls, m.keys, m.stamps, m.filters, m.cas); err != nil {
		return nil, fmt.Errorf("mocks: stateful %s: %w", m.name, err)
	}
	fill := func(s *openapi3.Schema) any { return normalize(m.sample(s, m.seed, "", contracts.Response)) }
	st, err := store.NewWithOptions([]store.Option{store.WithSeed(uint64(m.seed)), store.WithFill(fill)}, colls...)
	if err != nil {
		return nil, fmt.Errorf("mocks: stateful %s: %w", m.name, err)
	}
	s := &stateful{m: m, store: st, byOp: map[string]binding{}}
	for _, c := range colls {
		put := opPut
		if c.PutCreates {
			put = opUpsert
		}
		for kind, op := range map[string]string{
			opCreate: c.CreateOp, opList: c.ListOp, opGet: c.GetOp,
			put: c.PutOp, opPatch: c.PatchOp, opDelete: c.DeleteOp,
		} {
			if op != "" {
				s.byOp[op] = binding{coll: c, kind: kind}
			}
		}
		if c.UpdateOp != "" {
			s.byOp[c.UpdateOp] = binding{coll: c, kind: opPatch}
		}
	}
	s.bindActions(colls)
	return s, nil
}

// bindActions binds the actions on a record: a POST on one literal segment
// under a collection's item path (PayPal's /orders/{id}/capture, Stripe's
// /invoices/{invoice}/pay). An action on a record the store does not hold
// is a 404, as on the vendor; one whose answer describes the record (its
// schema has the id property) answers with the record, so the id and what
// was stored carry over. Operations a collection already claims keep their
// binding.
func (s *stateful) bindActions(colls []store.Collection) {
	if s.m.contract.Doc.Paths == nil {
		return
	}
	for _, c := range colls {
		if c.ItemPath == "" {
			continue
		}
		for path, item := range s.m.contract.Doc.Paths.Map() {
			verb, ok := strings.CutPrefix(path, c.ItemPath+"/")
			if !ok || item == nil || item.Post == nil || verb == "" || strings.ContainsAny(verb, "/{") {
				continue
			}
			id := item.Post.OperationID
			if id == "" {
				id = http.MethodPost + " " + path
			}
			if _, taken := s.byOp[id]; !taken {
				s.byOp[id] = binding{coll: c, kind: opAction}
			}
		}
	}
}

// Store is the mock's stateful store, nil unless WithStateful.
func (m *Mock) Store() *store.Store {
	if m.state == nil {
		return nil
	}
	return m.state.store
}

// handles answers x from the store when its operation belongs to a
// collection, and reports whether it did. A Prefer header asking for a
// status or an example is left to the contract's answers.
func (s *stateful) handles(w http.ResponseWriter, x *exchange) bool {
	b, ok := s.byOp[x.Operation]
	if !ok {
		return false
	}
	if p, _ := parsePrefer(x.Request.Header.Values("Prefer")); p.code != 0 || p.example != "" {
		return false
	}
	parent := b.coll.ParentValues(x.Template, x.PathParams)
	id := x.PathParams[b.coll.IDParam]
	if len(b.coll.Key) > 0 && b.kind != opCreate && b.kind != opList {
		id = keyID(b.coll, x)
	}
	name := b.coll.Name
	var (
		out    any
		err    error
		status int // 0: the operation's lowest 2xx
	)
	switch b.kind {
	case opCreate, opPut, opUpsert, opPatch:
		rec, ok := decodeRecord(x)
		if !ok {
			return false
		}
		if s.m.references {
			if err := s.checkReferences(b.coll, rec); err != nil {
				s.refuse(w, x, err)
				return true
			}
		}
		check := casCheck(b.coll, x, rec)
		switch b.kind {
		case opCreate:
			out, err = s.store.Create(name, parent, rec)
		case opPut:
			out, err = s.store.ReplaceIf(name, parent, id, rec, check)
		case opUpsert:
			out, status, err = s.upsert(x, b.coll, parent, id, rec, check)
		default:
			out, err = s.store.PatchIf(name, parent, id, rec, check)
		}
	case opGet:
		out, err = s.store.Get(name, parent, id)
	case opAction:
		// The item path's parameters are the action path's first ones,
		// with the same names: the action path starts with it.
		parent = b.coll.ParentValues(b.coll.ItemPath, x.PathParams)
		if out, err = s.store.Get(name, parent, id); err == nil && !s.describesRecord(x, b.coll) {
			return false // the record exists; the contract's answer is not it
		}
	case opDelete:
		err = s.store.Delete(name, parent, id)
	case opList:
		out, err = s.list(b.coll, parent, x)
	}
	if err != nil {
		s.refuse(w, x, err)
		return true
	}
	if rec, ok := out.(store.Record); ok && b.coll.CAS != nil && b.kind != opDelete {
		w.Header().Set("ETag", store.ETag(rec))
	}
	s.write(w, x, b.kind, out, status)
	return true
}

// applyRules sets on the collections they name the keys (WithKeys),
// stamps (WithStamps), filters (WithFilters) and compare-and-set rules
// (WithCompareAndSet) a declaration gives.
func applyRules(colls []store.Collection, keys map[string][]string, stamps, filters map[string]map[string]string, cas map[string]store.CompareAndSet) error {
	find := func(what, name string) (*store.Collection, error) {
		i := slices.IndexFunc(colls, func(c store.Collection) bool { return c.Name == name })
		if i < 0 {
			names := make([]string, len(colls))
			for j, c := range colls {
				names[j] = c.Name
			}
			return nil, fmt.Errorf("%s: the contract has no collection %q (it has %s)", what, name, strings.Join(names, ", "))
		}
		return &colls[i], nil
	}
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		c, err := find("keys", name)
		if err != nil {
			return err
		}
		c.Key = slices.Clone(keys[name])
	}
	for _, name := range slices.Sorted(maps.Keys(stamps)) {
		c, err := find("stamps", name)
		if err != nil {
			return err
		}
		c.Stamps = nil
		for _, field := range slices.Sorted(maps.Keys(stamps[name])) {
			st, err := store.ParseStamp(field, stamps[name][field])
			if err != nil {
				return fmt.Errorf("stamps.%s: %w", name, err)
			}
			c.Stamps = append(c.Stamps, st)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cas)) {
		c, err := find("compare_and_set", name)
		if err != nil {
			return err
		}
		rule := cas[name]
		c.CAS = &rule
	}
	for _, name := range slices.Sorted(maps.Keys(filters)) {
		c, err := find("filters", name)
		if err != nil {
			return err
		}
		for _, param := range slices.Sorted(maps.Keys(filters[name])) {
			f, err := store.ParseFilterRule(param, filters[name][param])
			if err != nil {
				return fmt.Errorf("filters.%s: %w", name, err)
			}
			c.List.SetFilters(f)
		}
	}
	return nil
}

// keyID is the id of the record an item operation on a collection keyed by
// several properties names: each property's value from the path when the
// item path's id names it, else from the query, else from the body.
func keyID(c store.Collection, x *exchange) string {
	var body store.Record
	_ = json.Unmarshal(x.Body, &body) // absent or not an object: no values from it
	q := x.Request.URL.Query()
	vals := make([]string, len(c.Key))
	for i, k := range c.Key {
		switch {
		case k == c.IDField && x.PathParams[c.IDParam] != "":
			vals[i] = x.PathParams[c.IDParam]
		case q.Has(k):
			vals[i] = q.Get(k)
		case body[k] != nil:
			vals[i] = fmt.Sprint(body[k])
		}
	}
	return store.KeyID(vals...)
}

// checkReferences refuses a record that names a record of another
// collection the store does not hold (WithReferences).
func (s *stateful) checkReferences(c store.Collection, rec store.Record) error {
	for _, prop := range slices.Sorted(maps.Keys(c.References)) {
		var id string
		switch v := rec[prop].(type) {
		case string:
			id = v
		case float64:
			id = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			continue // absent, null, or an expanded object
		}
		target := c.References[prop]
		if _, err := s.store.Get(target, nil, id); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s %q: no such record in %s (it must exist before a record of %s names it)",
				store.ErrBadRequest, prop, id, target, c.Name)
		}
	}
	return nil
}

// describesRecord reports whether the answer x's operation gives on success
// is the record itself: an object schema with the collection's id property.
func (s *stateful) describesRecord(x *exchange, c store.Collection) bool {
	_, resp, types, err := x.op.defaults()
	if err != nil || len(types) == 0 {
		return false
	}
	mt := resp.Content.Get(types[0])
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return false
	}
	props, _, _ := objectView(mt.Schema.Value)
	_, ok := props[c.IDField]
	return ok
}

func (s *stateful) list(c store.Collection, parent []string, x *exchange) (any, error) {
	query := x.Request.URL.Query()
	req, err := c.List.PageRequest(query)
	if err != nil {
		return nil, err
	}
	where, ignored, err := c.List.Where(query)
	if err != nil {
		return nil, err
	}
	s.reportIgnored(x, ignored)
	items, page, err := s.store.ListWhere(c.Name, parent, req, where)
	if err != nil {
		return nil, err
	}
	if is := listItemSchema(c); is != nil {
		for i, it := range items {
			if shaped, ok := s.shape(is, it, x).(map[string]any); ok {
				items[i] = shaped
			}
		}
	}
	u := *x.Request.URL
	u.RawQuery, u.Scheme, u.Host = "", "http", x.Request.Host
	page.URL, page.Query = u.String(), x.Request.URL.Query()
	return listValue(c.List.Render(items, page, s.fillFor(x))), nil
}

func listValue(v any) any { return normalize(v) }

// listItemSchema is the schema of one item of the list answer: the array's
// items, in the wrapper's array property or the bare array.
func listItemSchema(c store.Collection) *openapi3.Schema {
	ls := c.List.Schema
	if ls == nil {
		return c.ItemSchema
	}
	if c.List.Wrapped {
		p := ls.Properties[c.List.ItemsField]
		if p == nil || p.Value == nil {
			return c.ItemSchema
		}
		ls = p.Value
	}
	if ls.Items != nil && ls.Items.Value != nil {
		return ls.Items.Value
	}
	return c.ItemSchema
}

// fillFor generates the fields of a list wrapper; Render changes the value
// it gets, so it gets a copy of the cached one.
func (s *stateful) fillFor(x *exchange) func(*openapi3.Schema) any {
	return func(sc *openapi3.Schema) any { return normalize(s.base(sc)) }
}

// decodeRecord reads the request body as an object: JSON, or a form as
// Stripe and Twilio take, typed by the request schema. A body that is not an
// object is not stateful.
func decodeRecord(x *exchange) (store.Record, bool) {
	ct := strings.ToLower(x.Request.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		var schema *openapi3.Schema
		if rb := x.op.op.RequestBody; rb != nil && rb.Value != nil {
			if mt := rb.Value.Content.Get(ct); mt != nil && mt.Schema != nil {
				schema = mt.Schema.Value
			}
		}
		v, err := contracts.DecodeForm(string(x.Body), schema)
		rec, ok := v.(map[string]any)
		return rec, err == nil && ok
	}
	if len(x.Body) == 0 {
		return store.Record{}, true
	}
	var rec store.Record
	if err := json.Unmarshal(x.Body, &rec); err != nil || rec == nil {
		return nil, false
	}
	return rec, true
}

func (s *stateful) refuse(w http.ResponseWriter, x *exchange, err error) {
	status, title := http.StatusInternalServerError, "Store failed"
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, title = http.StatusNotFound, "Not found"
	case errors.Is(err, store.ErrConflict):
		status, title = http.StatusConflict, "Already exists"
	case errors.Is(err, errPrecondition):
		status, title = http.StatusPreconditionFailed, "Precondition failed"
	case errors.Is(err, store.ErrStale):
		status, title = http.StatusConflict, "Stale write"
	case errors.Is(err, store.ErrBadRequest):
		status, title = http.StatusBadRequest, "Bad request"
	}
	x.Entry.Operation = x.Operation
	toolkit.WriteProblem(w, status, toolkit.Problem{Title: title, Detail: err.Error(), Operation: x.Operation})
}

// write answers with want, a status the operation declares, or its lowest
// 2xx when want is 0, the value shaped by the response schema: what the
// schema declares and the record lacks is generated, so the answer still
// validates.
func (s *stateful) write(w http.ResponseWriter, x *exchange, kind string, v any, want int) {
	status, resp, types, err := x.op.defaults()
	if err != nil {
		status, resp, types = http.StatusOK, &openapi3.Response{}, nil
	}
	if want != 0 && want != status {
		if r := responseFor(x.op.op.Responses, want); r != nil {
			status, resp, types = want, r, sortedMedia(r)
		}
	}
	media, err := negotiate(types, x.Request.Header.Get("Accept"))
	if err != nil {
		s.m.refuse(w, x.Entry, http.StatusNotAcceptable, "Not acceptable", []toolkit.Violation{{In: "header", Name: "Accept", Message: err.Error()}})
		return
	}
	if media == "" || kind == opDelete {
		a, err := s.m.cachedAnswer(answerKey{op: x.op.index, status: status, media: media}, x.op, resp)
		if err != nil {
			a = &answer{status: status}
		}
		writeAnswer(w, a)
		return
	}
	var schema *openapi3.Schema
	if mt := resp.Content[media]; mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	}
	if kind != opList {
		v = s.shape(schema, v, x)
	}
	body, ct, err := encodeBody(media, v)
	if err != nil {
		toolkit.WriteProblem(w, http.StatusInternalServerError, toolkit.Problem{Title: "Unencodable record", Detail: err.Error()})
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	if a, err := s.m.cachedAnswer(answerKey{op: x.op.index, status: status, media: media}, x.op, resp); err == nil {
		for k, vs := range a.header {
			if k != "Content-Type" && k != "Content-Length" && h.Get(k) == "" { // the store's ETag is the record's
				h[k] = vs
			}
		}
	}
	w.WriteHeader(status)
	w.Write(body)
}

// shape fits a record to the response schema. Request and response shapes
// differ in real contracts (Stripe takes metadata="" to clear, answers an
// object; takes lines as an array, answers a list object), so each property
// of the record is kept where it validates against the response schema,
// fitted recursively where both are objects, and otherwise replaced by the
// generated value; required properties the record lacks are generated;
// undeclared ones are kept only where the schema allows them.
func (s *stateful) shape(schema *openapi3.Schema, v any, _ *exchange) any {
	if schema == nil {
		return normalize(v)
	}
	out, _ := s.fit(schema, normalize(v), s.base(schema), 0)
	return out
}

const maxFitDepth = 12

// fit returns v fitted to schema, with base (generated for schema) as the
// fallback, and whether the result is usable.
func (s *stateful) fit(schema *openapi3.Schema, v, base any, depth int) (any, bool) {
	if schema == nil {
		return v, true
	}
	props, required, open := objectView(schema)
	rec, isObj := v.(map[string]any)
	if isObj && len(props) == 0 && depth <= maxFitDepth {
		// An object behind anyOf/oneOf (Stripe's expandable fields): fit it
		// to the first object alternative that then validates.
		for _, alt := range append(append([]*openapi3.SchemaRef{}, schema.AnyOf...), schema.OneOf...) {
			if alt == nil || alt.Value == nil {
				continue
			}
			if p, _, _ := objectView(alt.Value); len(p) == 0 {
				continue
			}
			altBase := base
			if _, ok := base.(map[string]any); !ok {
				altBase = s.base(alt.Value)
			}
			if fitted, ok := s.fit(alt.Value, v, altBase, depth+1); ok && len(s.m.validator.ValidateValue(schema, fitted, true)) == 0 {
				return fitted, true
			}
		}
	}
	if !isObj || len(props) == 0 || depth > maxFitDepth {
		if len(s.m.validator.ValidateValue(schema, v, true)) == 0 {
			return v, true
		}
		return base, base != nil
	}
	baseObj, _ := base.(map[string]any)
	out := make(map[string]any, len(rec))
	for k, val := range rec {
		ps, declared := props[k]
		switch {
		case declared && ps != nil:
			bv, ok := baseObj[k]
			if !ok {
				bv = s.base(ps)
			}
			if fitted, ok := s.fit(ps, val, bv, depth+1); ok {
				out[k] = fitted
			}
		case !declared && open:
			out[k] = val
		}
	}
	for _, k := range required {
		if _, ok := out[k]; ok {
			continue
		}
		bv, ok := baseObj[k]
		if !ok && props[k] != nil {
			bv, ok = s.base(props[k]), true
		}
		if ok {
			out[k] = emptyList(props[k], bv)
		}
	}
	return out, true
}

// emptyList returns v, or, when schema is a list object the record does not
// hold (Stripe's {"object": "list", "data": [...], "has_more": false} for a
// customer's sources), a copy with no items: a record just created has none
// yet, where the generated ones would be another customer's cards.
func emptyList(schema *openapi3.Schema, v any) any {
	obj, ok := v.(map[string]any)
	if schema == nil || !ok {
		return v
	}
	props, _, _ := objectView(schema)
	data, more := props["data"], props["has_more"]
	if data == nil || more == nil || !data.Type.Includes("array") || data.MinItems > 0 || !more.Type.Includes("boolean") {
		return v
	}
	out := maps.Clone(obj)
	out["data"], out["has_more"] = []any{}, false
	if tc := props["total_count"]; tc != nil && out["total_count"] != nil {
		out["total_count"] = float64(0)
	}
	return out
}

// objectView flattens an object schema with its allOf parts: the declared
// properties, the required ones and whether others are allowed.
func objectView(s *openapi3.Schema) (props map[string]*openapi3.Schema, required []string, open bool) {
	props = map[string]*openapi3.Schema{}
	open = true
	var walk func(*openapi3.Schema, int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > maxFitDepth {
			return
		}
		for k, p := range s.Properties {
			if p != nil {
				props[k] = p.Value
			}
		}
		required = append(required, s.Required...)
		if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
			open = false
		}
		for _, part := range s.AllOf {
			if part != nil {
				walk(part.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	return props, required, open
}

// CollectionInfo is one entry of GET /__firedrill/collections.
type CollectionInfo struct {
	Name     string `json:"name"`
	Records  int    `json:"records"`
	ListPath string `json:"list_path,omitempty"`
	ItemPath string `json:"item_path,omitempty"`
	IDField  string `json:"id_field,omitempty"`
}

func (m *Mock) adminState(w http.ResponseWriter, r *http.Request, name string) {
	st := m.state.store
	if name == "" {
		if !toolkit.AllowMethods(w, r, http.MethodGet) {
			return
		}
		out := []CollectionInfo{}
		for _, n := range st.Collections() {
			c, _ := st.Collection(n)
			out = append(out, CollectionInfo{Name: n, Records: st.Len(n), ListPath: c.ListPath, ItemPath: c.ItemPath, IDField: c.IDField})
		}
		toolkit.WriteJSON(w, http.StatusOK, out)
		return
	}
	if !toolkit.AllowMethods(w, r, http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete) {
		return
	}
	if _, ok := st.Collection(name); !ok {
		toolkit.WriteProblem(w, http.StatusNotFound, toolkit.Problem{Title: "No such collection", Detail: fmt.Sprintf("%q; the collections are %s", name, strings.Join(st.Collections(), ", "))})
		return
	}
	switch r.Method {
	case http.MethodGet:
		recs, err := st.Snapshot(name)
		if err != nil {
			toolkit.WriteProblem(w, http.StatusInternalServerError, toolkit.Problem{Title: "Store failed", Detail: err.Error()})
			return
		}
		if recs == nil {
			recs = []store.Record{}
		}
		toolkit.WriteJSON(w, http.StatusOK, recs)
	case http.MethodDelete:
		st.Reset(name)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		m.adminSeed(w, r, name)
	case http.MethodPost:
		m.adminInsert(w, r, name)
	}
}

// adminSeed replaces a collection's records with the JSON array in the body.
func (m *Mock) adminSeed(w http.ResponseWriter, r *http.Request, name string) {
	var recs []store.Record
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, m.maxBody))
	if err := dec.Decode(&recs); err != nil {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad records", Violations: []toolkit.Violation{{In: "body", Message: "want a JSON array of objects: " + err.Error()}}})
		return
	}
	st := m.state.store
	st.Reset(name)
	if err := st.Seed(name, recs); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, store.ErrConflict) {
			status = http.StatusConflict
		}
		toolkit.WriteProblem(w, status, toolkit.Problem{Title: "Records refused", Detail: err.Error()})
		return
	}
	toolkit.WriteJSON(w, http.StatusOK, CollectionInfo{Name: name, Records: st.Len(name)})
}
