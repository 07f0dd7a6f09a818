// Package mocks serves mock vendor APIs from their contracts: routing,
// request validation, example or generated answers, stateful collections,
// vendor behaviours, a request journal and an admin API under /__firedrill/.
//
// # Serving a contract
//
// [NewHandler] turns a loaded OpenAPI contract into an http.Handler;
// [NewServer] runs one on loopback, shaped like httptest.Server (URL, Close
// that waits for the requests in flight). Operations are served under the
// path of the contract's first server URL (Swagger 2.0: basePath). Paths are
// matched as a real router does: literal segments before parameters
// (/orders/latest beats /orders/{id}), with backtracking.
//
// Every request is validated against the contract (kin-openapi's
// openapi3filter, wrapped by contracts.Validator): parameters, content type,
// body and security (credentials present). A refusal is a 4xx
// application/problem+json [Problem] listing every [Violation] and where it
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
// the contract's list shape with its pagination. A POST on a verb under a
// record's path (/orders/{id}/capture) is an action on it: 404 when the
// record does not exist, the record itself when the answer describes it.
// Ids fit the id property and the item path's parameter. Answers are fitted
// to the response schema: required fields a record lacks are generated,
// but for list objects, which a new record holds empty.
//
// # Stages
//
// [WithStage] wraps the operation handler like middleware that knows the
// operation ([Exchange]): vendor behaviours (rate limits, idempotency keys,
// auth) and HTTP faults plug in there and mark the journal [Entry] with what
// they did (Throttled, Replayed, Fault...).
//
// # Journal and admin API
//
// Every exchange goes into a bounded ring ([Journal]; [WithJournalSize]):
// method, path, operation, headers and query with secrets masked ([Masked]:
// Authorization, cookies, the contract's API-key parameters, anything named
// like a token, secret, key or password), bodies (as text in JSON when they
// are UTF-8: [Body]), status, validation outcome and violations, timings. The admin API, under [AdminPrefix]:
//
//	GET    /__firedrill/health
//	GET    /__firedrill/requests?operation=&method=&status=&since=&until=
//	DELETE /__firedrill/requests
//	GET    /__firedrill/collections
//	GET|PUT|DELETE /__firedrill/collections/{name}
package openapi
