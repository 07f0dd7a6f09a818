package main

import (
	"strings"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// runMemoryLimit is the soft memory limit of every command but mock: far
// above what a bounded run holds (mocks, load histograms, chaos), a guard
// that has the collector work harder before a runaway heap takes a CI
// runner's memory.
const runMemoryLimit = 1 << 30

// memoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) the
// process sets for the command of args, and false when the user set
// GOMEMLIMIT (the runtime has already applied it, "off" included): a
// process that only serves mocks holds to toolkit.MockMemoryLimit, every
// other command to runMemoryLimit.
func memoryLimit(args []string, getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if a == "mock" {
			return toolkit.MockMemoryLimit, true
		}
		break
	}
	return runMemoryLimit, true
}
