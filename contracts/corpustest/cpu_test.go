package corpustest

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessCPUCountsWork: a fixed amount of work (tens of milliseconds
// of one core) adds CPU time where the system reports it (Unix, Windows),
// however busy the machine.
func TestProcessCPUCountsWork(t *testing.T) {
	if runtime.GOOS != "windows" && runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no CPU clock read on " + runtime.GOOS)
	}
	before := ProcessCPU()
	x := uint64(1)
	for i := range 100_000_000 {
		x = x*6364136223846793005 + uint64(i)
	}
	if got := ProcessCPU() - before; got < 5*time.Millisecond {
		t.Fatalf("10^8 multiplications (%d) added %v of CPU time", x, got)
	}
}
