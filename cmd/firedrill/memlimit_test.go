package main

import (
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestMemoryLimit: the process sets a soft memory limit by command, and
// leaves the runtime's when the user set GOMEMLIMIT.
func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		env   string
		limit int64
		set   bool
	}{
		{[]string{"mock", "--contract", "x.yaml"}, "", toolkit.MockMemoryLimit, true},
		{[]string{"--no-color", "mock"}, "", toolkit.MockMemoryLimit, true},
		{[]string{"run", "scenario.yaml"}, "", runMemoryLimit, true},
		{[]string{"run", "mock"}, "", runMemoryLimit, true},
		{nil, "", runMemoryLimit, true},
		{[]string{"mock"}, "200MiB", 0, false},
		{[]string{"run"}, "off", 0, false},
	}
	for _, tt := range tests {
		limit, set := memoryLimit(tt.args, func(k string) string {
			if k == "GOMEMLIMIT" {
				return tt.env
			}
			return ""
		})
		if limit != tt.limit || set != tt.set {
			t.Errorf("%q with GOMEMLIMIT=%q: %d %v, want %d %v", tt.args, tt.env, limit, set, tt.limit, tt.set)
		}
	}
}

// TestFittedLimitLeavesRoomForLargeContracts: a mock of small contracts
// keeps the 48 MiB limit; one whose contracts hold 30 MiB live (Stripe's)
// gets twice that plus the journal's body budget, so that its collector
// does not run without pause.
func TestFittedLimitLeavesRoomForLargeContracts(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	for _, c := range []struct{ live, want int64 }{
		{5 * mib, toolkit.MockMemoryLimit},
		{22 * mib, toolkit.MockMemoryLimit},
		{30 * mib, 64 * mib},
		{100 * mib, 204 * mib},
	} {
		if got := fittedLimit(c.live); got != c.want {
			t.Errorf("live %d MiB: limit %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}
}
