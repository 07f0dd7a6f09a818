package graphql

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Seed stores records a stateful collection (a type) holds before the mock
// serves: checked and stored as Insert does, but they send no webhook:
// they existed before anyone could subscribe.
func (m *Mock) Seed(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, false)
}

// Insert stores records in the stateful collection name (a type the
// mutations return) as a create mutation would, all or none: each field
// checked against the type (a field it declares, a value of the field's
// type), the id made a string and assigned when missing; then each sends
// the webhook its create would (<type>.created). Every refused record is a
// *store.RecordError in the error (store.RecordErrors lists them).
func (m *Mock) Insert(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, true)
}

// InsertQuiet stores records as Insert does but sends no webhook: rows
// that reach the vendor without the event their create would send (a
// lost webhook, a late row an integration must find by polling).
func (m *Mock) InsertQuiet(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, false)
}

func (m *Mock) insert(name string, recs []store.Record, notify bool) ([]store.Record, error) {
	if m.state == nil {
		return nil, fmt.Errorf("graphql: %s: records are kept in stateful mode (WithStateful): %w", m.opts.name, store.ErrUnknownCollection)
	}
	st := m.state
	def := m.schema.Types[name]
	if _, ok := st.store.Collection(name); !ok || def == nil {
		return nil, fmt.Errorf("graphql: %s: collection %q (the collections are %s): %w", m.opts.name, name, strings.Join(st.store.Collections(), ", "), store.ErrUnknownCollection)
	}
	idf := st.idField[name]
	var errs []error
	prepared := make([]store.Record, len(recs))
	for i, rec := range recs {
		for _, k := range slices.Sorted(maps.Keys(rec)) {
			f := def.Fields.ForName(k)
			if f == nil {
				errs = append(errs, &store.RecordError{Collection: name, Index: i, Field: k,
					Err: fmt.Errorf("%s declares no field %q: %w", name, k, store.ErrBadRequest)})
				continue
			}
			if msg := m.checkValue(f.Type, rec[k], 0); msg != "" {
				errs = append(errs, &store.RecordError{Collection: name, Index: i, Field: k, Err: fmt.Errorf("%s: %w", msg, store.ErrBadRequest)})
			}
		}
		p := make(store.Record, len(rec))
		for k, v := range rec {
			p[k] = v
		}
		if id, ok := p[idf]; ok && id != nil {
			p[idf] = idText(id)
		} else {
			delete(p, idf)
		}
		prepared[i] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if notify && st.changed != nil {
		st.changeMu.Lock()
		defer st.changeMu.Unlock()
	}
	stored, err := st.store.Insert(name, prepared)
	if err != nil {
		return nil, err
	}
	if notify && st.changed != nil {
		for _, rec := range stored {
			st.changed(change{kind: toolkit.EventCreate, coll: name, id: fmt.Sprint(rec[idf]), rec: rec})
		}
	}
	return stored, nil
}

// checkValue says what is wrong with v as a value of type t; "" when
// nothing is. Custom scalars take any value; objects are checked field by
// field, a few levels deep.
func (m *Mock) checkValue(t *ast.Type, v any, depth int) string {
	if v == nil {
		if t.NonNull {
			return "null for a non-null " + t.String()
		}
		return ""
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("want a list (%s), got %T", t.String(), v)
		}
		for i, e := range list {
			if msg := m.checkValue(t.Elem, e, depth+1); msg != "" {
				return fmt.Sprintf("[%d]: %s", i, msg)
			}
		}
		return ""
	}
	def := m.schema.Types[t.NamedType]
	if def == nil || depth > 8 {
		return ""
	}
	switch def.Kind {
	case ast.Scalar:
		if t.NamedType == "ID" {
			if f, ok := v.(float64); ok && f == float64(int64(f)) {
				return ""
			}
		}
		if _, ok := coerceScalar(t.NamedType, v); !ok && slices.Contains([]string{"Int", "Float", "String", "ID", "Boolean"}, t.NamedType) {
			return fmt.Sprintf("%v is not a %s", v, t.NamedType)
		}
	case ast.Enum:
		s, _ := v.(string)
		if def.EnumValues.ForName(s) == nil {
			names := make([]string, len(def.EnumValues))
			for i, e := range def.EnumValues {
				names[i] = e.Name
			}
			return fmt.Sprintf("%v is not a value of %s (%s)", v, def.Name, strings.Join(names, ", "))
		}
	case ast.Object, ast.Interface, ast.Union, ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("want an object (%s), got %T", def.Name, v)
		}
		if def.Kind != ast.Object {
			return ""
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f := def.Fields.ForName(k)
			if f == nil {
				return fmt.Sprintf("%s declares no field %q", def.Name, k)
			}
			if msg := m.checkValue(f.Type, obj[k], depth+1); msg != "" {
				return k + ": " + msg
			}
		}
	}
	return ""
}

// idText is an id as the mock stores it: text, as GraphQL's ID is
// serialised.
func idText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// serveInsert stores the JSON object, or array of objects, in the body as
// creates (Insert) and answers 201 with what was stored, in the body's
// shape.
func (m *Mock) serveInsert(w http.ResponseWriter, r *http.Request, name string) {
	notify, vs := toolkit.ParseWebhooks(r.URL.Query())
	if len(vs) > 0 {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad insert", Violations: vs})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	var recs []store.Record
	many := false
	if err == nil {
		recs, many, err = store.DecodeRecords(body)
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, "the body must be a JSON object or an array of objects: "+err.Error())
		return
	}
	stored, err := m.insert(name, recs, notify)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, store.ErrConflict) {
			status = http.StatusConflict
		}
		var vs []toolkit.Violation
		for _, re := range store.RecordErrors(err) {
			ptr := "/" + re.Field
			if many {
				ptr = fmt.Sprintf("/%d/%s", re.Index, re.Field)
			}
			vs = append(vs, toolkit.Violation{In: "body", Name: re.Field, Pointer: strings.TrimSuffix(ptr, "/"), Message: re.Reason()})
		}
		toolkit.WriteProblem(w, status, toolkit.Problem{Title: http.StatusText(status), Detail: err.Error(), Violations: vs})
		return
	}
	if many {
		writeJSON(w, http.StatusCreated, stored)
		return
	}
	writeJSON(w, http.StatusCreated, stored[0])
}
