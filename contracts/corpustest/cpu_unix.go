//go:build unix

package corpustest

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time the process has used, user and system: a
// figure that contention on a shared machine inflates far less than wall
// time, which the benchmarks report beside their wall-clock ratios.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
