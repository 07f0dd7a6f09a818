// Package toolkit is the vendor toolkit the mocks are built on: what makes a
// mock behave like a vendor's API whatever describes that API. The OpenAPI
// mock (mocks/openapi) and the GraphQL mock (mocks/graphql) are siblings on
// top of it; the toolkit imports neither, and the GraphQL mock does not
// import the OpenAPI one.
//
// # What it owns
//
//   - The journal: every exchange of a mock as an [Entry] in a bounded
//     [Journal], bodies as text or base64 ([Body]), selected with a
//     [Filter] ([ParseFilter] reads one from a query), secrets masked
//     ([Secrets]). The journal file format, a run folder's
//     journal-SYSTEM.jsonl, is written by [WriteJournal] and read by
//     [ReadJournal], and by nothing else.
//   - Refusals: an RFC 9457 [Problem] listing every [Violation]
//     ([WriteProblem], [ProblemContentType]), and the admin API's
//     [Health] under [AdminPrefix].
//   - Where a mock may be: a [Network], loopback unless a runtime puts it
//     in a container on a private network ([NetworkPrivate]): where it
//     listens, and whom its webhooks and callbacks reach.
//   - One server type: [Server] runs a mock of either kind on loopback,
//     shaped like httptest.Server ([NewServer], [NewUnstartedServer] and
//     Start, URL, Addr, a Close that waits for the requests in flight, is
//     idempotent and safe on nil).
//
// # Behaviours
//
// A mock kind with a chain of stages (the OpenAPI mock) runs a behaviour's
// Stage around its operation handler: an [Exchange] goes through each
// ([HandlerFunc], [Stage]) and what a stage did is marked in its entry.
// What a stage needs to know of the operation from the contract, it asks
// the mock kind through Exchange.Contract ([Contract]; [ResponseSchemas]
// as an extra ability), so no stage depends on a mock kind. A mock kind
// with a handler chain of its own (the GraphQL mock) calls the same
// behaviours directly.
//
//   - [Auth]: API keys, HTTP basic users and OAuth2 bearer tokens with
//     scopes, an OAuth2 token endpoint (client_credentials,
//     refresh_token), keys revoked and tokens expired at run time through
//     an admin API ([AuthPath]); [Auth.Bind] reads a contract's security
//     schemes, [Auth.Attach] and [Auth.Check] serve a mock without them.
//   - [RateLimiter]: a token bucket per credential with a vendor's budget
//     headers and Retry-After ([ParseRateLimit]); by cost, Shopify's way,
//     for GraphQL ([RateLimiter.Charge]).
//   - [Idempotency]: idempotency keys as Stripe documents them
//     ([ParseIdempotency]).
//   - [FaultSet]: seeded HTTP faults ([HTTPFault]; [FaultCatalogue]
//     describes each kind and its parameters, the one registry the checks
//     and every piece of documentation read), switched on and off at run
//     time through an admin API ([FaultsPath]) or a chaos timeline
//     ([FaultSet.Activate]), as a Stage or in front of any handler
//     ([FaultSet.Handler]).
//   - [Webhooks]: signed deliveries ([WebhookScheme]: Standard Webhooks,
//     Stripe, GitHub, plain HMAC; [SignDelivery]), retried with backoff, in
//     order per resource, journaled, paused, resumed and drained through an
//     admin API ([WebhooksPath]). The mock kind says what to deliver
//     ([Webhooks.Enqueue], [Webhooks.EnqueueTo], [Webhooks.Subscribe]);
//     the OpenAPI mock shapes its events from its contract.
package toolkit
