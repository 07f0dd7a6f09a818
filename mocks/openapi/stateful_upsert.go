package openapi

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// upsert answers a PUT that the contract says may create (see
// store.Collection.PutCreates): it replaces the record with the path's id,
// or creates it under that id, and returns what was stored and the status
// to answer (a conditional write, check not nil, only replaces): the
// contract's creation status (201 where declared) for a
// create, its update status (200 or 204 as declared) for a replace. What
// happened is noted on x for the webhooks.
func (s *stateful) upsert(x *exchange, c store.Collection, parent []string, id string, rec store.Record, check func(store.Record) error) (store.Record, int, error) {
	var (
		out     store.Record
		created bool
		err     error
	)
	if check != nil {
		// A conditional write replaces the record it was read from; with
		// none to compare, the condition fails.
		if out, err = s.store.ReplaceIf(c.Name, parent, id, rec, check); errors.Is(err, store.ErrNotFound) {
			err = check(nil)
		}
	} else {
		out, created, err = s.store.Upsert(c.Name, parent, id, rec)
	}
	if err != nil {
		return nil, 0, err
	}
	x.change = toolkit.EventUpdate
	if created {
		x.change = toolkit.EventCreate
	}
	return out, upsertStatus(x.op.op, created), nil
}

// upsertStatus is the status an upsert answers with: 201 for a create and
// the lowest other 2xx for a replace, when the operation declares them;
// else 0, the operation's lowest 2xx.
func upsertStatus(op *openapi3.Operation, created bool) int {
	if op.Responses == nil {
		return 0
	}
	var codes []int
	for k := range op.Responses.Map() {
		if n, err := strconv.Atoi(k); err == nil && n/100 == 2 {
			codes = append(codes, n)
		}
	}
	slices.Sort(codes)
	if created {
		if slices.Contains(codes, http.StatusCreated) {
			return http.StatusCreated
		}
		return 0
	}
	for _, c := range codes {
		if c != http.StatusCreated {
			return c
		}
	}
	return 0
}
