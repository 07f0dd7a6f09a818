// Package scenarios owns the scenario file (strict YAML, its JSON Schema),
// the runner and its phases, and the runtimes a scenario runs on.
//
// # The timeline
//
// The chaos section is the attack's timeline, counted from its start. Each
// entry is one of three things, told apart by its fields, never by
// guessing at its parameters:
//
//	chaos:
//	  - {at: 15s, for: 20s, proxy: accounting, toxic: latency, latency: 800ms}   # a toxic
//	  - {at: 20s, for: 5s, system: crm, fault: status, status: 503}              # a mock fault
//	  - at: 4s                                                                   # a data event
//	    system: shop
//	    insert: {collection: orders, webhooks: false, records: [{id: late-1, total: 12, updated_at: "${now-5m}"}]}
//	  - {at: 6s, system: crm, update: {collection: Customer, id: c-1, set: {tier: gold}}}
//
// A toxic or a mock fault is on from at for its for. A data event has no
// for: at its second it writes into a stateful mock (system) as the
// vendor's own users would, past the chaos proxy and out of the journal.
// insert stores records (inline, or a .json, .yaml or .ndjson file
// relative to the scenario, as seed records) as creates through the API
// would: checked against the contract, ids assigned where missing, stamps
// written unless the record holds one, so a row can carry an older
// updated_at. update applies set as a JSON merge patch to the record with
// that id (fields not set are kept, null removes one) as an update through
// the API would: the update time and stamps are written. Each sends the
// webhooks its write would, unless webhooks: false: a row that reaches the
// vendor without its event is how a lost webhook, or a late row behind a
// sync's watermark, is provoked.
//
// An entry that is both a data event and a fault, or both an insert and an
// update, or neither a fault nor a data event, is refused by Validate, as
// are an unknown system, a mock that is not stateful, a collection it does
// not keep and records its contract refuses (file:line, with a did-you-mean).
// What only the run can know (the id an update names must exist when it
// fires) makes the event fail: the audit log records the fire with its
// error, summary.json and summary.md list it, and the run stops as when a
// fault cannot be applied (exit 3). Data events run the same in every
// runtime: in process for the embedded one, through the mock's admin API
// (POST and PATCH /__firedrill/collections/..., webhooks=false) for docker.
//
// # Times relative to the run
//
// A string value of a seed record, or of a data event's records or set,
// that is exactly ${now}, ${now-5m}, ${now+90s} or ${now-30d} (a Go
// duration, or days: ${now-1d12h}) becomes that instant, RFC 3339 in UTC
// to the second (2026-03-01T09:55:00Z). Seed records read the clock when
// the mock loads them (the run's start; firedrill mock's start; in docker,
// the mock container's start), a data event when it fires. The reference
// is the whole value: "opened ${now}" and any other ${...} are errors
// naming the field, file and line, in firedrill validate as in a run;
// $${ writes a literal ${.
package scenarios
