package openapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Seed stores records a stateful collection holds before the mock serves:
// checked and stored as Insert does, but they send no webhook (they
// existed before anyone could subscribe) and their references are not
// checked (seeded collections name each other in any order).
func (m *Mock) Seed(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, false, false)
}

// Insert stores records in the stateful collection name as creates
// through the API would, all or none: each checked against the
// collection's item schema (as a request: the id and the other properties
// the server writes may be there, need not be), its references checked
// with WithReferences, its id assigned when missing; then each sends the
// webhooks its create would, to the subscribers that want creates and
// those the contract's subscription collection made (a record inserted
// there subscribes its URL). Every refused record is a *store.RecordError
// in the error (store.RecordErrors lists them).
func (m *Mock) Insert(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, true, true)
}

// InsertQuiet stores records as Insert does, references checked, but
// sends no webhook: rows that reach the vendor without the event their
// create would send (a lost webhook, a late row an integration must find
// by polling).
func (m *Mock) InsertQuiet(name string, recs []store.Record) ([]store.Record, error) {
	return m.insert(name, recs, true, false)
}

// insert checks and stores records; live checks their references (a
// record entering a running vendor), notify sends their webhooks.
func (m *Mock) insert(name string, recs []store.Record, live, notify bool) ([]store.Record, error) {
	if m.state == nil {
		return nil, fmt.Errorf("mocks: %s: records are kept by stateful mocks (WithStateful): %w", m.name, store.ErrUnknownCollection)
	}
	c, ok := m.state.store.Collection(name)
	if !ok {
		return nil, fmt.Errorf("mocks: %s: collection %q (the collections are %s): %w", m.name, name, strings.Join(m.state.store.Collections(), ", "), store.ErrUnknownCollection)
	}
	var errs []error
	for i, rec := range recs {
		_, hasID := c.IDOf(rec)
		if c.ItemSchema != nil {
			for _, v := range m.validator.ValidateRecord(c.ItemSchema, normalize(map[string]any(rec))) {
				field := pointerField(v.Pointer)
				if !hasID && field == c.IDField {
					continue // the store assigns it, as a create does
				}
				errs = append(errs, &store.RecordError{Collection: name, Index: i, Field: field,
					Err: fmt.Errorf("%s: %w", v.Message, store.ErrBadRequest)})
			}
		}
		if live && m.references {
			if err := m.state.checkReferences(c, rec); err != nil {
				errs = append(errs, &store.RecordError{Collection: name, Index: i, Err: err})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	stored, err := m.state.store.Insert(name, recs)
	if err != nil {
		return nil, err
	}
	if notify {
		for _, rec := range stored {
			m.changed(c, toolkit.EventCreate, rec)
		}
	}
	return stored, nil
}

// changed sends the webhooks of a record created or updated outside the
// API, as the stage sends those of a write through it.
func (m *Mock) changed(c store.Collection, kind string, rec store.Record) {
	if len(m.hooks) == 0 {
		return
	}
	id, _ := c.IDOf(rec)
	var parent []string
	for _, p := range c.ParentParams {
		for k, v := range rec {
			if fieldNorm.Replace(strings.ToLower(k)) == fieldNorm.Replace(strings.ToLower(p)) {
				parent = append(parent, fmt.Sprint(v))
				break
			}
		}
	}
	resource := c.Name + "/" + strings.Join(parent, "/") + "/" + id
	data, _ := m.state.shape(c.ItemSchema, map[string]any(rec), nil).(map[string]any)
	if data == nil {
		data = rec
	}
	for _, h := range m.hooks {
		if !h.subscription(kind, resource, c, data) {
			h.change(c, kind, resource, data)
		}
	}
}

// fieldNorm compares property and parameter names as the store places
// records under their parents: without case, "_" and "-".
var fieldNorm = strings.NewReplacer("_", "", "-", "")

// pointerField spells a JSON pointer (/customer/email) as a field path
// (customer.email); "" for the whole record.
func pointerField(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return ""
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return strings.Join(parts, ".")
}

// adminInsert stores the JSON object, or array of objects, in the body as
// creates (Insert) and answers 201 with what was stored, in the body's
// shape.
func (m *Mock) adminInsert(w http.ResponseWriter, r *http.Request, name string) {
	notify, vs := toolkit.ParseWebhooks(r.URL.Query())
	if len(vs) > 0 {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad insert", Violations: vs})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, m.maxBody))
	var recs []store.Record
	many := false
	if err == nil {
		recs, many, err = store.DecodeRecords(body)
	}
	if err != nil {
		toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad records", Violations: []toolkit.Violation{{In: "body", Message: err.Error()}}})
		return
	}
	stored, err := m.insert(name, recs, true, notify)
	if err != nil {
		status, title := http.StatusBadRequest, "Records refused"
		if errors.Is(err, store.ErrConflict) {
			status, title = http.StatusConflict, "Already exists"
		}
		var vs []toolkit.Violation
		for _, re := range store.RecordErrors(err) {
			ptr := "/" + strings.ReplaceAll(re.Field, ".", "/")
			if many {
				ptr = fmt.Sprintf("/%d%s", re.Index, strings.TrimSuffix(ptr, "/"))
			}
			vs = append(vs, toolkit.Violation{In: "body", Name: re.Field, Pointer: strings.TrimSuffix(ptr, "/"), Message: re.Reason()})
		}
		toolkit.WriteProblem(w, status, toolkit.Problem{Title: title, Detail: err.Error(), Violations: vs})
		return
	}
	if many {
		toolkit.WriteJSON(w, http.StatusCreated, stored)
		return
	}
	toolkit.WriteJSON(w, http.StatusCreated, stored[0])
}
