// Package openapi is the OpenAPI mock: it serves a vendor's API from its
// OpenAPI contract (2.0, 3.0, 3.1) with routing, request validation,
// example or generated answers, stateful collections and their admin API,
// and the OpenAPI side of webhooks. It sits on mocks/toolkit, as the
// GraphQL mock (mocks/graphql) does: the journal, problems, auth, rate
// limits, idempotency keys, HTTP faults, webhook delivery and the server
// are the toolkit's; this package reads from the contract what they need.
//
// # Serving a contract
//
// [NewHandler] turns a loaded OpenAPI contract into an http.Handler;
// [NewServer] runs one on loopback as a toolkit.Server, shaped like
// httptest.Server (URL, Close that waits for the requests in flight). Operations are served under the
// path of the contract's first server URL (Swagger 2.0: basePath). Paths are
// matched as a real router does: literal segments before parameters
// (/orders/latest beats /orders/{id}), with backtracking. Templates that
// differ only in their parameter names (Xero's attachments by
// {AttachmentID} and by {FileName}) are all served: a request goes to the
// one with its method, and among several, to the first whose path
// parameters fit their schemas; a 405's Allow lists every method the path
// is served with.
//
// Every request is validated against the contract (kin-openapi's
// openapi3filter, wrapped by contracts.Validator): parameters, content type,
// body and security (credentials present). A refusal is a 4xx
// application/problem+json toolkit.Problem listing every violation and where it
// is: 401 with WWW-Authenticate when credentials are missing, 415 for an
// undeclared content type, 400 otherwise, 404 for an unknown path, 405 with
// Allow for a wrong method. A mock never answers 500 because of what a client
// sent; a panic (a bug of the mock) becomes a journaled, logged 500.
//
// # Answers
//
// Prefer: code=NNN and Prefer: example=NAME choose the answer, as Prism
// reads them; otherwise the lowest declared 2xx (then default). The body is
// the operation's first example that validates against the response schema,
// otherwise a value generated from the schema by contracts.Sample, seeded
// ([WithSeed]). Declared response headers are set. Answers are built on first
// use and cached per operation, status, media type and example, so start-up
// does no work proportional to the schemas and the hot path no generation.
//
// With [WithStateful], the collections mocks/store infers from the paths keep
// what clients create: POST creates, GET reads or 404s, PUT replaces, PATCH
// merges (RFC 7386), DELETE removes, and lists answer the stored records in
// the contract's list shape with its pagination. A PUT the contract says
// may create (it declares a 201, or its words say create or update,
// upsert) is an upsert keyed by the path: it creates an absent record under
// the path's id and answers 201 where declared, replaces a present one and
// answers the update status (200 or 204); the webhooks say which. Any other
// PUT on an absent record is a 404. A POST on a verb under a
// record's path (/orders/{id}/capture) is an action on it: 404 when the
// record does not exist, the record itself when the answer describes it.
// Ids fit the id property and the item path's parameter. Answers are fitted
// to the response schema: required fields a record lacks are generated,
// but for list objects, which a new record holds empty.
//
// # Stages and vendor behaviours
//
// [WithStage] wraps the operation handler like middleware that knows the
// operation (a toolkit.Exchange, whose Contract answers for the
// operation's security requirements and answer schemas). The toolkit's
// behaviours plug in there, in the order of their options, and mark the
// journal entry with what they did (Throttled, Replayed, Fault...):
// [WithAuth] (credentials checked against the contract's security
// schemes), [WithRateLimit] (one bucket per credential, API keys read where
// the contract's apiKey schemes say), [WithIdempotency] and [WithFaults]
// (bad_data breaks answers against their response schema). They also serve
// their admin APIs beside the contract's paths.
//
// # Webhooks
//
// [WithWebhooks] hands the toolkit's deliverer what this mock knows from
// its contract: the changes of stateful collections, shaped as the
// contract's 3.1 webhooks or 3.0 callbacks declare; the callbacks a request
// names through runtime expressions; the subscriptions clients create in a
// subscription collection (Stripe's webhook_endpoints).
//
// # Journal and admin API
//
// Every exchange goes into a bounded toolkit.Journal ([WithJournalSize]):
// method, path, operation, headers and query with secrets masked
// (toolkit.Secrets: Authorization, cookies, the contract's API-key
// parameters, anything named like a token, secret, key or password),
// bodies (the newest within a body budget), status, validation outcome and
// violations, timings. The admin API, under [AdminPrefix]:
//
//	GET    /__firedrill/health
//	GET    /__firedrill/requests?operation=&method=&status=&since=&until=&after=&limit=
//	DELETE /__firedrill/requests
//	GET    /__firedrill/collections
//	GET|POST|PUT|DELETE /__firedrill/collections/{name}
package openapi
