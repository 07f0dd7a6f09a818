// Package ci owns the verdict: gates (load thresholds, data consistency,
// resilience properties read from the mocks' journals, contract conformance),
// the reports a pipeline and a person read (JUnit, JSON, Markdown, HTML) and
// the exit codes that carry the verdict to the shell.
package ci
