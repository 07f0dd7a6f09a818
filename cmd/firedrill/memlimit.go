package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// runMemoryLimit is the soft memory limit of every command but mock: far
// above what a bounded run holds (mocks, load histograms, chaos), a guard
// that has the collector work harder before a runaway heap takes a CI
// runner's memory.
const runMemoryLimit = 1 << 30

// fitMemoryLimit raises the mock's soft memory limit, once its contracts
// are loaded, to twice what they hold live plus the journal's body budget
// when that is more: a large contract (Stripe's holds about 30 MiB) under
// a limit near its live heap would have the collector run without pause,
// taking up to half the CPU the answers need. A limit the user set
// (GOMEMLIMIT), or none, is left alone.
func fitMemoryLimit(logger *slog.Logger) {
	current := debug.SetMemoryLimit(-1)
	if current != toolkit.MockMemoryLimit {
		return
	}
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	want := fittedLimit(int64(sample[0].Value.Uint64()))
	if want > current {
		debug.SetMemoryLimit(want)
		logger.Debug("firedrill: soft memory limit raised for the contracts' live heap", "live", sample[0].Value.Uint64(), "limit", want)
	}
}

// fittedLimit is the soft limit for a mock whose contracts hold live bytes.
func fittedLimit(live int64) int64 {
	return max(toolkit.MockMemoryLimit, 2*live+toolkit.DefaultJournalBodyBytes)
}

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
