//go:build !race

package contracts

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
