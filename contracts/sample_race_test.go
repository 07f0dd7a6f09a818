//go:build race

package contracts

// sampleRace is true when the tests run under the race detector, which makes
// schema validation several times slower; heavy proofs then check a
// deterministic share of their cases (set FIREDRILL_CORPUS_FULL=1 for all).
const sampleRace = true
