//go:build !race

package contracts

// sampleRace is true when the tests run under the race detector.
const sampleRace = false
