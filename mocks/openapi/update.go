package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Update applies a JSON merge patch (RFC 7386) to the record with that id
// in the stateful collection name, whichever parent it is under, as a
// PATCH through the API would: the merged record checked against the
// item schema (a *store.RecordError naming the field), its id and
// creation time kept, its update time and declared stamps written; then
// the webhooks its update would send. store.ErrNotFound when no record
// has that id.
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
		return nil, fmt.Errorf("mocks: %s: records are kept by stateful mocks (WithStateful): %w", m.name, store.ErrUnknownCollection)
	}
	c, ok := m.state.store.Collection(name)
	if !ok {
		return nil, fmt.Errorf("mocks: %s: collection %q (the collections are %s): %w", m.name, name, strings.Join(m.state.store.Collections(), ", "), store.ErrUnknownCollection)
	}
	parent, old, err := m.state.store.Locate(name, id)
	if err != nil {
		return nil, err
	}
	if c.ItemSchema != nil {
		merged, _ := store.MergePatch(map[string]any(old), patch).(map[string]any)
		var errs []error
		for _, v := range m.validator.ValidateRecord(c.ItemSchema, normalize(merged)) {
			errs = append(errs, &store.RecordError{Collection: name, Field: pointerField(v.Pointer), Err: fmt.Errorf("%s: %w", v.Message, store.ErrBadRequest)})
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
	}
	rec, err := m.state.store.Patch(name, parent, id, patch)
	if err != nil {
		return nil, err
	}
	if notify {
		m.changed(c, toolkit.EventUpdate, rec)
	}
	return rec, nil
}

// adminUpdate applies the JSON merge patch in the body to one record
// (Update, or UpdateQuiet with webhooks=false) and answers 200 with the
// record as stored.
func (m *Mock) adminUpdate(w http.ResponseWriter, r *http.Request, name, id string) {
	if !toolkit.AllowMethods(w, r, http.MethodPatch) {
		return
	}
	notify, vs := toolkit.ParseWebhooks(r.URL.Query())
	if len(vs) > 0 {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad update", Violations: vs})
		return
	}
	var patch map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, m.maxBody)).Decode(&patch); err != nil || patch == nil {
		msg := "want a JSON object (a merge patch)"
		if err != nil {
			msg += ": " + err.Error()
		}
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad patch", Violations: []toolkit.Violation{{In: "body", Message: msg}}})
		return
	}
	rec, err := m.update(name, id, patch, notify)
	if err != nil {
		writeUpdateProblem(w, err)
		return
	}
	toolkit.WriteJSON(w, http.StatusOK, rec)
}

// writeUpdateProblem answers a refused update: 404 for an unknown
// collection or id, 409 for an id under several parents, 400 naming each
// field the schema refuses.
func writeUpdateProblem(w http.ResponseWriter, err error) {
	status, title := http.StatusBadRequest, "Update refused"
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUnknownCollection):
		status, title = http.StatusNotFound, "No such record"
	case errors.Is(err, store.ErrConflict):
		status, title = http.StatusConflict, "Ambiguous id"
	}
	var vs []toolkit.Violation
	for _, re := range store.RecordErrors(err) {
		vs = append(vs, toolkit.Violation{In: "body", Name: re.Field, Pointer: strings.TrimSuffix("/"+strings.ReplaceAll(re.Field, ".", "/"), "/"), Message: re.Reason()})
	}
	toolkit.WriteProblem(w, status, toolkit.Problem{Title: title, Detail: err.Error(), Violations: vs})
}
