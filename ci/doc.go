// Package ci owns the verdict: gates (load thresholds, data consistency,
// resilience properties read from the mocks' journals, contract conformance),
// the reports a pipeline and a person read (JUnit, JSON, Markdown, HTML) and
// the exit codes that carry the verdict to the shell.
//
// Consistency: a Check compares a source collection with a target collection
// (a Source: records in memory, a mock's store through SourceFunc, or a list
// endpoint through HTTPSource, paginated, with credentials from the
// environment). Each side maps to canonical fields by CEL expressions
// (cel.dev/cel-go with its strings and math extensions), compiled once;
// plain field references (customer.email, items[0].sku) and the commonest
// expressions over them (double(x), x.lowerAscii(), x / 100.0) skip the
// interpreter wherever CEL's answer is plain, and leave the rest to it, so
// every value and message stays CEL's. Run counts exactly what is
// missing, unexpected, duplicated or mismatched, keeping a bounded number of
// examples with go-cmp diffs; Settle retries until consistent. A side
// that holds many records per key (stock per bin against one level per
// SKU) is grouped first by an Aggregate: sum, count, min and max per group,
// whose examples say how many records stand behind each group.
//
// Resilience: Backoff, RetryAfter, Breaker, Idempotency, Timeouts and
// Recovery judge the integration from the mocks' journals ([]toolkit.Entry,
// package mocks/toolkit) and the FaultWindows of the run; Conformance
// judges the requests against the contracts. Each
// returns a Gate with its measured value and reason, and is skipped when the
// run did not exercise it.
//
// Provider verification: Verify calls a live API with a request built from
// its contract for each operation (mocks.SampleRequest, the mocks' own
// request generator; credentials from the environment, never shown), at a
// rate and honouring Retry-After, reads only unless writes are allowed, and
// names each drift of the answers: an undeclared status, any 5xx, an
// undeclared content type, a required header missing, a body that breaks
// its schema (with the JSON pointer into it). The Verification writes as
// text, JSON and JUnit; its Err carries ExitFail.
//
// Verdict: Judge weighs gates; Verdict.Err carries ExitFail, so the same
// check ends a go test and a CI job. Reports: WriteAll renders a Report as
// report.html (self-contained, SVG charts), junit.xml, summary.json and
// summary.md; WriteAnnotations prints GitHub Actions annotations.
//
// The load package's results map onto this package's own types: a
// threshold verdict is Gate{Name: source, Kind: KindLoad, Passed, Measured,
// Reason: message}; a per-second bucket is a Second.
package ci
