// Package load pushes business flows at a target rate with Vegeta: flows of
// chained requests, open-model pacing, results over time and thresholds.
package load
