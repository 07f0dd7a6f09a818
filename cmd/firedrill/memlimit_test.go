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
