//go:build unix

package scenarios

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcessStopKillsTheGroup starts a service that starts a child of its
// own (as `go run` does) and ignores SIGTERM: Stop must leave neither.
func TestProcessStopKillsTheGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := dir + "/child.pid"
	p, err := StartProcess(context.Background(), ProcessSpec{
		Name:    "stubborn",
		Command: []string{"sh", "-c", fmt.Sprintf("trap '' TERM; sleep 60 & echo $! > %s; wait", pidFile)},
		LogDir:  dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			fmt.Sscan(strings.TrimSpace(string(b)), &child)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if child == 0 {
		t.Fatal("the child never started")
	}
	p.Stop(200 * time.Millisecond)
	deadline = time.Now().Add(2 * time.Second)
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("child %d outlived Stop", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
