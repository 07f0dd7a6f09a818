//go:build !unix && !windows

package corpustest

import "time"

// ProcessCPU is not measured here: the benchmarks report wall time only.
func ProcessCPU() time.Duration { return 0 }
