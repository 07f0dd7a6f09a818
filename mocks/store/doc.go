// Package store holds the stateful collections behind firedrill's mocks.
//
// A mock in stateful mode keeps what clients create: POST /orders stores an
// order, GET /orders/{id} reads it back, PUT replaces it, PATCH merges a JSON
// merge patch (RFC 7386) into it, DELETE removes it and GET /orders lists the
// stored orders in the list shape and with the pagination the contract
// declares. This package owns that state and nothing else: it knows no HTTP.
//
// # From a contract to collections
//
// [Infer] reads an OpenAPI document (version 3 shape, templates as in
// doc.Paths, without the server's base path) and returns one [Collection] per
// resource it finds: a list path (/orders) with its item path (/orders/{id}),
// nested resources (/customers/{cid}/addresses/{id}, named
// "customers.addresses", keyed by the parent's path values), and resources
// that have only one of the two where that makes sense (a GET that answers a
// list, or an item path that can be read or written). Each collection records
// the operations present, the item schema, the property that holds the id
// ([Collection.IDField]), the collection it nests under ([Collection.Parent],
// so a mock can answer 404 under a parent that does not exist) and how the
// list answers ([ListShape]): a bare array
// or an object wrapping the array, with limit/offset, page/per_page or cursor
// pagination detected from the list operation's query parameters and the
// wrapper's properties.
//
// # The store
//
// [Store] is safe for concurrent use: each collection has its own lock, no
// write is lost, and records are listed in insertion order. Every record that
// goes in or comes out is a deep copy, so callers never share memory with the
// store. Operations take the collection name, the parent key (the values of
// the parent path parameters, in path order; nil for a top-level collection,
// see [Collection.ParentValues]) and the id:
//
//	s := store.New(store.Infer(doc)...)
//	rec, err := s.Create("orders", nil, store.Record{"total": 12.5})
//	got, err := s.Get("orders", nil, "1")
//	items, page, err := s.List("orders", nil, req)
//
// Besides Create, Get, Replace (PUT), Patch (JSON merge patch), Delete and
// List, [Store.Upsert] replaces or creates in one step (PUT to create, where
// [Collection.PutCreates] says the contract allows it) and
// [Store.Remove] deletes and returns the record (a GraphQL delete answers
// with it). [Store.Seed] loads records (all or none), [Store.ReplaceAll]
// swaps a collection's records in one step (an admin PUT), [Store.Snapshot]
// and [Store.Entries] read a whole collection across parents for the admin
// API and the consistency checks, [Store.Reset] and [Store.ResetAll] empty
// it.
//
// Errors wrap the sentinels [ErrNotFound] (404), [ErrConflict] (409),
// [ErrUnknownCollection] and [ErrBadRequest] (400), so an HTTP handler maps
// them with errors.Is.
//
// # Answering a list
//
// A list handler reads the page asked with [ListShape.PageRequest] (a bad
// value is an [ErrBadRequest] naming the parameter), lists it, sets the
// request's URL and query on the [PageInfo] and renders the answer with
// [ListShape.Render], passing its sample generator so the wrapper's other
// fields validate:
//
//	req, err := c.List.PageRequest(r.URL.Query())
//	items, page, err := s.List(c.Name, parent, req)
//	page.URL, page.Query = "http://"+r.Host+r.URL.Path, r.URL.Query()
//	body := c.List.Render(items, page, fill)
//
// Cursors are record ids: Stripe's starting_after and ending_before take an
// id as Stripe does; other cursor parameters take an opaque token that
// [ListShape.EncodeCursor] makes from the id. Page numbers start at 1, or at
// 0 when the page parameter's minimum is 0 (Twilio).
//
// # What the store fills on its own
//
// Create assigns the id when the record has none: a sequence (1, 2, 3...) when
// the id schema is an integer, a UUID for format uuid, a value matching the
// schema's pattern when one is declared (Twilio's "CH" + 32 hex digits,
// generated with gofakeit and checked against the pattern), the prefix of the
// schema's example followed by random characters for Stripe-like ids ("cus_"
// + 14 characters), a sequence as text ("1", "2"...) when the schema allows
// fewer than 36 characters or the collection has no id schema, and a UUID
// otherwise. Integer sequences continue above the largest integer id seen.
// It also sets
// creation and update timestamps that the item schema declares by their
// conventional names (created, created_at, createdAt, create_time,
// date_created, and the matching updated forms): an RFC 3339 string for
// string schemas, Unix seconds for integer schemas. Other readOnly
// properties are filled on create by the function given with [WithFill] (the
// mock's sample generator), when it is given and the record lacks them.
// Replace, Patch and Upsert keep the id, the creation time and the readOnly
// properties the new body lacks, and refresh the update time.
package store
