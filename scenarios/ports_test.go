package scenarios

import (
	"context"

	"net"
	"runtime"
	"testing"

	"github.com/firedrill/firedrill/chaos"
)

// TestServicePortsAreOutsideTheKernelsRange checks that the ports picked
// for services lie below the range the kernel hands to free-port listens
// and outgoing connections, so that none of those can take one between
// firedrill letting it go and the service binding it; and that two picks
// held at once differ.
func TestServicePortsAreOutsideTheKernelsRange(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the kernel's range is read from /proc on Linux")
	}
	floor := chaos.EphemeralFloor()
	e := &Embedded{}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	seen := map[int]bool{}
	for i := range 20 {
		a, err := e.ServiceAddress("svc"+string(rune('a'+i)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if a.Port < chaos.PortFloor || a.Port >= floor || seen[a.Port] {
			t.Fatalf("service port %d: want a new one in [%d, %d)", a.Port, chaos.PortFloor, floor)
		}
		seen[a.Port] = true
		// The kernel's own pick lands in its range: the control.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if p := ln.Addr().(*net.TCPAddr).Port; p < floor {
			t.Fatalf("the kernel picked %d, below the floor %d read from /proc", p, floor)
		}
		ln.Close()
	}
}
