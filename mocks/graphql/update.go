package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Update applies a JSON merge patch (RFC 7386) to the record with that id
// in the stateful collection name (a type), as an update mutation would:
// each field set checked against the type (a *store.RecordError naming
// it), the id kept; then the webhook its update would send
// (<type>.updated). store.ErrNotFound when no record has that id.
func (m *Mock) Update(name, id string, patch map[string]any) (store.Record, error) {
	return m.update(name, id, patch, true)
}

// UpdateQuiet changes a record as Update does but sends no webhook: a
// change the integration is not told about.
func (m *Mock) UpdateQuiet(name, id string, patch map[string]any) (store.Record, error) {
	return m.update(name, id, patch, false)
}

func (m *Mock) update(name, id string, patch map[string]any, notify bool) (store.Record, error) {
	if m.state == nil {
		return nil, fmt.Errorf("graphql: %s: records are kept in stateful mode (WithStateful): %w", m.opts.name, store.ErrUnknownCollection)
	}
	st := m.state
	def := m.schema.Types[name]
	if _, ok := st.store.Collection(name); !ok || def == nil {
		return nil, fmt.Errorf("graphql: %s: collection %q (the collections are %s): %w", m.opts.name, name, strings.Join(st.store.Collections(), ", "), store.ErrUnknownCollection)
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(patch)) {
		f := def.Fields.ForName(k)
		switch {
		case f == nil:
			errs = append(errs, &store.RecordError{Collection: name, Field: k, Err: fmt.Errorf("%s declares no field %q: %w", name, k, store.ErrBadRequest)})
		case patch[k] == nil && f.Type.NonNull:
			errs = append(errs, &store.RecordError{Collection: name, Field: k, Err: fmt.Errorf("null removes a non-null %s: %w", f.Type.String(), store.ErrBadRequest)})
		case patch[k] != nil:
			if msg := m.checkValue(f.Type, patch[k], 0); msg != "" {
				errs = append(errs, &store.RecordError{Collection: name, Field: k, Err: fmt.Errorf("%s: %w", msg, store.ErrBadRequest)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if notify && st.changed != nil {
		st.changeMu.Lock()
		defer st.changeMu.Unlock()
	}
	p := maps.Clone(patch)
	delete(p, st.idField[name]) // the id names the record; a patch cannot move it
	rec, err := st.store.Patch(name, nil, id, p)
	if err != nil {
		return nil, err
	}
	if notify && st.changed != nil {
		st.changed(change{kind: toolkit.EventUpdate, coll: name, id: id, rec: rec})
	}
	return rec, nil
}

// serveUpdate applies the JSON merge patch in the body to one record
// (Update, or UpdateQuiet with webhooks=false) and answers 200 with the
// record as stored.
func (m *Mock) serveUpdate(w http.ResponseWriter, r *http.Request, name, id string) {
	if r.Method != http.MethodPatch {
		w.Header().Set("Allow", "PATCH")
		adminError(w, http.StatusMethodNotAllowed, "a record is PATCH")
		return
	}
	notify, vs := toolkit.ParseWebhooks(r.URL.Query())
	if len(vs) > 0 {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad update", Violations: vs})
		return
	}
	var patch map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody)).Decode(&patch); err != nil || patch == nil {
		adminError(w, http.StatusBadRequest, fmt.Sprintf("the body must be a JSON object (a merge patch): %v", err))
		return
	}
	rec, err := m.update(name, id, patch, notify)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUnknownCollection):
			status = http.StatusNotFound
		case errors.Is(err, store.ErrConflict):
			status = http.StatusConflict
		}
		var vs []toolkit.Violation
		for _, re := range store.RecordErrors(err) {
			vs = append(vs, toolkit.Violation{In: "body", Name: re.Field, Pointer: "/" + re.Field, Message: re.Reason()})
		}
		toolkit.WriteProblem(w, status, toolkit.Problem{Title: http.StatusText(status), Detail: err.Error(), Violations: vs})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}
