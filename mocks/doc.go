// Package mocks declares a mocked vendor and builds it.
//
// A mocked vendor is one value, [Spec]: the contract it serves and the
// vendor behaviours it imitates (stateful collections and the references
// between them, credentials, a rate limit, idempotency keys, webhooks and
// callbacks, HTTP and data faults). Every door fills that same value: a
// scenario's `mock:` section decodes into it, the flags of `firedrill mock`
// fill it, and `firedrill mock --config FILE` reads it whole, in the very
// format of a scenario's `mock:` section. It serialises back to that format,
// so a runtime can hand it to a `firedrill mock` process elsewhere.
//
// [New] builds the mock a Spec declares for a loaded [Contract], and [Serve]
// runs it on loopback, or, in a container, on its private network
// (Settings.Network, toolkit.NetworkPrivate: any interface, webhooks to the
// network's names, each connection checked on the address it reaches).
// The behaviours apply in a fixed order, by kind, not
// in the order they are declared ([Order]): faults outermost, then auth,
// rate limit, idempotency and webhooks innermost.
//
// The work is done below this package, in three packages that do not
// import each other upwards:
//
//	mocks/toolkit   the vendor toolkit: journal (and its file format), auth,
//	                rate limits, idempotency, faults, webhooks, problems, and
//	                the one httptest-shaped server type
//	mocks/openapi   the OpenAPI mock: routing, validation, answers, stateful
//	                collections, webhook shapes and callbacks from the contract
//	mocks/graphql   the GraphQL mock: parsing, execution, generated answers,
//	                state, query cost
//
// mocks/store holds the stateful collections both mock kinds keep.
package mocks
