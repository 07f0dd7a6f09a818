package openapi

import "testing"

// BenchmarkAuthOverhead: an API key checked against the valid set.
func BenchmarkAuthOverhead(b *testing.B) {
	benchOverhead(b, []string{"X-API-Key", "k"}, WithAPIKeys("k", "other"))
}
