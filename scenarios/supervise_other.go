//go:build !linux

package scenarios

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// canSupervise is false off Linux: there is no parent-death signal nor
// child subreaper. On Windows the service's job object is killed when
// firedrill's handle to it closes, even when firedrill is killed; on macOS
// and the BSDs a firedrill killed outright (SIGKILL) leaves its service
// running: see the README.
const canSupervise = false

func deathSignal(*syscall.SysProcAttr) {}

// Supervise runs on Linux only.
func Supervise([]string, io.Reader) int {
	fmt.Fprintln(os.Stderr, "firedrill __supervise: runs on Linux only")
	return 2
}
