package mocks

import (
	"fmt"

	"github.com/firedrill/firedrill/mocks/store"
)

// Insert stores records in a stateful collection of the vendor, of either
// kind, as creates through its API would (openapi.Mock.Insert,
// graphql.Mock.Insert); with webhooks false, without the webhooks they
// would send. store.ErrUnknownCollection when the mock keeps no such
// collection (or none: not stateful).
func (v *Vendor) Insert(coll string, recs []store.Record, webhooks bool) ([]store.Record, error) {
	switch {
	case v.OpenAPI != nil && webhooks:
		return v.OpenAPI.Insert(coll, recs)
	case v.OpenAPI != nil:
		return v.OpenAPI.InsertQuiet(coll, recs)
	case v.GraphQL != nil && webhooks:
		return v.GraphQL.Insert(coll, recs)
	case v.GraphQL != nil:
		return v.GraphQL.InsertQuiet(coll, recs)
	}
	return nil, fmt.Errorf("mocks: %s: no mock to insert into: %w", v.Name, store.ErrUnknownCollection)
}

// Update applies a JSON merge patch to the record with that id in a
// stateful collection of the vendor, as an update through its API would
// (openapi.Mock.Update, graphql.Mock.Update); with webhooks false, without
// the webhook it would send. store.ErrNotFound when no record has the id.
func (v *Vendor) Update(coll, id string, patch map[string]any, webhooks bool) (store.Record, error) {
	switch {
	case v.OpenAPI != nil && webhooks:
		return v.OpenAPI.Update(coll, id, patch)
	case v.OpenAPI != nil:
		return v.OpenAPI.UpdateQuiet(coll, id, patch)
	case v.GraphQL != nil && webhooks:
		return v.GraphQL.Update(coll, id, patch)
	case v.GraphQL != nil:
		return v.GraphQL.UpdateQuiet(coll, id, patch)
	}
	return nil, fmt.Errorf("mocks: %s: no mock to update: %w", v.Name, store.ErrUnknownCollection)
}
