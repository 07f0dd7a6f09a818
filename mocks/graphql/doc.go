// Package graphql serves a mock of a vendor's GraphQL API from its schema.
//
// [NewHandler] turns a schema loaded by contracts.LoadGraphQL into an
// http.Handler; [NewServer] runs it on loopback, shaped like httptest.Server
// (URL, Close waits for requests in flight).
//
// # Requests
//
// POST on the mock's path ([DefaultPath], /graphql) with a JSON body {"query",
// "variables", "operationName"} or an application/graphql body; GET with
// ?query= (&variables=, &operationName=). Every document is parsed and
// validated against the schema with gqlparser, and variables are coerced to
// their declared types. The answers follow the GraphQL-over-HTTP convention
// for application/json responses:
//
//   - a request that is not a GraphQL request (no query, a body that is not
//     JSON, variables that are not an object): 400, errors only;
//   - a media type other than JSON or application/graphql: 415;
//   - a body over MaxRequestBody: 413;
//   - a method other than GET or POST, or a mutation over GET: 405 with Allow;
//   - a document that does not parse or validate, variables that do not
//     coerce, an unknown operationName: 200 with "errors" (each with its
//     locations) and no "data";
//   - an executed operation: 200 with "data" and, when a field failed,
//     "errors" with the field's path.
//
// A mock never answers 500 because of what a client sent. Answers carry
// Access-Control-Allow-Origin: * and OPTIONS answers the CORS preflight, so
// browser IDEs on other origins connect. Parsed and validated documents are
// kept (DocCacheSize documents, DocCacheBytes of query text, least recently
// used out first) since clients repeat their queries. An answer that would
// generate over MaxGeneratedItems list items (deeply nested lists grow as
// 3^depth) is refused with an error instead. A subscription is answered once,
// like a query, with one generated event.
//
// # Limits
//
// Every request is bounded ([WithLimits], [Limits], defaults
// DefaultMaxDepth and the like) before it is validated or run: its tokens
// while it is parsed, its depth, selections and aliases (fragments expanded)
// in one linear pass that also finds fragment cycles, which gqlparser's
// validation finds in quadratic time. Over a bound the answer is 200 with
// a coded error (CodeMaxDepthExceeded...) and no "data"; a fragment cycle is
// a validation error. An answer whose data would pass MaxAnswerBytes stops
// executing and is "data": null with CodeAnswerTooLarge. A request over the
// limits breaks no contract (an SDL declares none): its journal entry has
// no violation.
//
// # Data
//
// Fields are generated from their types, their names and the seed
// ([WithSeed]): the same seed and query give the same answer, and each value
// is seeded by its path in the query (field names, arguments and list
// indexes), so list items differ and aliases of one field agree. Lists have 2
// or 3 items, fewer when a first, last or limit argument asks for fewer (on
// the list's field, or on the connection whose edges and nodes they are).
// Scalars look like their field name and type suggest (an email for email, RFC
// 3339 for DateTime, a URL for URI); enums take one of their values; an
// interface or union takes one of its object types, chosen by the seed among
// the possible types sorted by name, and reports it in __typename. Scalar
// arguments are echoed into the generated object's field of the same name:
// customer(id: "7") answers a customer with id "7". Generated enums avoid
// deprecated values. A mutation the mock does not store answers generated data
// with empty error lists (userErrors...), as a successful mutation would.
// Aliases, named and inline fragments, variables with defaults (input-object
// field defaults included), @skip and @include, non-null and lists behave as
// the spec says. Introspection (__schema, __type, __typename) describes the
// loaded schema, so GraphiQL, Apollo and gqlgen's clients can connect.
//
// # Stateful mode
//
// With [WithStateful], root mutations named create*, add*, insert*, upsert*,
// set* (an upsert), update*, edit*, change*, delete* or remove* (or with the
// verb as a suffix, customerCreate, as Shopify names them, a version aside,
// checkoutEmailUpdateV2, or in snake case, create_item, as monday.com does)
// change records in a collection named after the object type they return (a
// payload type such as CreateCustomerPayload { customer: Customer,
// userErrors } is unwrapped to the type of its field holding an object with
// an id, and answers with empty userErrors). Arguments become the record's
// fields (an input object argument gives its fields; a value named after the
// type and a field, item_name, is stored as that field too); the store
// assigns ids ("1", "2"...). The record to update or delete is named by an
// id argument (id, customerId, item_id); an add or a remove whose name is not
// the type's (cartLinesAdd(cartId:), cartLinesRemove(cartId:)) updates the
// record it names. A mutation whose payload lists an object type with an id
// under a name ending with a list argument's of input objects
// (productVariantsBulkUpdate(productId:, variants: [{id, price}]) and its
// payload's productVariants) writes each element to that type, with the
// record the other arguments name (productId), all or none, and lists what
// it wrote. Updating or deleting a record that does not exist is an error
// on that field. Every object type with an id that a root query lists
// (a list of it, or a connection of it) is a collection too, empty until
// records are seeded or inserted.
//
// Root queries then read the records: a field returning that type reads one
// record, by its id argument or else the first its other arguments select
// as a list's would (customerByEmail(email:); repository(owner:, name:) by
// name when the owner cannot be read): null when none matches or no
// argument sent can be read, an error on the field when it is non-null,
// generated when no argument is sent. A field returning a list of it,
// or a Relay connection of it (edges { node }, nodes, pageInfo, totalCount)
// or of an interface or union its types implement (GitHub's search), lists
// the records its arguments select: an argument naming a field (ids, a list,
// keeps any of its values; an input object's fields read as arguments, as
// GitHub's filterBy: {states: [OPEN]}), a search string (query:, search:, q:, filter:;
// the grammar is documented on searchQuery in search.go), then pages them
// (first, after, last, before, limit, page); totalCount and pageInfo count
// the selected records. Filters read what a query would show, generated
// fields included. An argument or term the mock cannot read is answered
// without, named in the exchange's journal entry (Ignored) and logged once.
// node(id:) and nodes(ids:) search every collection whose type implements the
// interface. A field of a stored record whose type is a collection's is
// read through the id the record holds under that name plus Id (order.customer
// through order.customerId); a list or connection of a collection's type
// lists the records linked to it, selected and paged as above: those storing
// its id under a field of its type (repository.issues, through each issue's
// repositoryId), or those whose ids it stores (post.tags through tagIds);
// none without a link. Fields a record lacks are generated, seeded by
// collection and id, so every read of a record agrees. Records live in a
// mocks/store Store ([Mock.Store]), one collection per type, named after it.
//
// # Vendor behaviours
//
// Off unless asked for, and built on the vendor toolkit the OpenAPI mock
// uses too (package mocks/toolkit), since an SDL declares no security
// schemes nor limits:
//
//   - [WithAuth] accepts only the credentials a toolkit.Auth knows: an API key
//     as "Authorization: Bearer KEY" or in an X-API-Key header, an HTTP basic
//     user, or an access token of the OAuth2 token endpoint the mock serves
//     at /oauth/token (client_credentials and refresh_token grants; tokens
//     expire). Introspection needs credentials too. A refusal is 401 with
//     WWW-Authenticate and {"errors":[{"message":...,"extensions":{"code":
//     "UNAUTHENTICATED"}}]}. Keys are added and revoked and tokens expired at
//     run time through /__firedrill/auth, as on the OpenAPI mock.
//   - [WithRateLimit] gives each credential (Authorization, else X-API-Key,
//     else the client's address) a token bucket. Every answer within the
//     limit carries X-RateLimit-Limit, -Remaining and -Reset (names
//     configurable); a request over it gets 429 with Retry-After and the
//     error code RATE_LIMITED, and is journaled as Throttled. With
//     toolkit.RateLimitOptions.Cost (by=cost) it throttles by calculated
//     query cost instead, Shopify's way: each bucket holds points, a valid
//     operation is charged its requested cost (scalars and enums 0,
//     objects 1, connections 2 plus their page times one item, mutations
//     10) and refunded what its answer did not use; every answer carries
//     extensions.cost with the bucket's throttleStatus, and a query the
//     bucket cannot pay gets 200 with the code THROTTLED (journaled as
//     Throttled), one over the bucket size MAX_COST_EXCEEDED.
//   - Idempotency keys on mutations, when the schema declares Shopify's
//     directive (directive @idempotent(key: String!) on FIELD; see
//     [IdempotentDirective]) and, with [WithIdempotency], in a header
//     (Idempotency-Key), on the toolkit's rules: a repeat with the same key
//     and the same mutation arguments gets the first answer byte for byte
//     and runs nothing; the key with other arguments gets the code
//     IDEMPOTENCY_KEY_PARAMETER_MISMATCH, a repeat while the first runs
//     IDEMPOTENCY_CONCURRENT_REQUEST, both HTTP 200. Queries are never keyed.
//   - [WithWebhooks] tells a toolkit.Webhooks' subscribers of every change
//     stateful mode makes, as the OpenAPI mock does: signed deliveries
//     (Standard Webhooks, Stripe, GitHub or plain HMAC), retried with a
//     growing backoff, in order per record, of type customer.created,
//     customer.updated or customer.deleted (the record's type in snake
//     case) with the record as a query reads it. A mutation that fails
//     sends none. /__firedrill/webhooks pauses, resumes and drains them.
//
// WithAuth and WithRateLimit run in the order of their options, WithAuth
// first to throttle only requests that authenticated. A request they refuse
// is still judged against the schema for the journal (Valid, violations),
// never executed. Idempotency keys are claimed once the mutation is parsed
// and validated (after the cost throttle in cost mode), and webhooks leave
// from inside the mutation, for the changes it made.
//
// # Admin API
//
// Under [AdminPrefix]: GET health; GET and DELETE requests (the journal of
// toolkit.Entry, the same shape the OpenAPI mock records, with Operation the
// operation's name or its first root field); GET collections; GET, PUT (a JSON
// array replaces the records) and DELETE collections/{name}. A request that
// breaks the contract is journaled with Valid false and one violation per
// error, In "body" (POST) or "query" (GET), named "query", "variables" or
// "operationName"; refused methods are In "method".
package graphql
