package scenarios

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// A service's port is picked below the range the kernel hands out on its
// own (to listen(":0") and to every outgoing connection): a port firedrill
// picks, holds, and lets go of just before the service binds it cannot be
// taken meanwhile by another program's connection or free-port listen,
// which on a busy CI machine happened ("bind: address already in use").

// servicePortFloor is the lowest port picked for a service.
const servicePortFloor = 20000

// ephemeralFloor is the lowest port of the kernel's own range: Linux's
// ip_local_port_range, else the IANA dynamic range other systems use.
func ephemeralFloor() int {
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil && lo > 1024 {
				return lo
			}
		}
	}
	return 49152
}

// listenOutsideEphemeral listens on a free loopback port below the kernel's
// own range, trying a few at random, and falls back to a port the kernel
// picks when that range is too small or full.
func listenOutsideEphemeral() (net.Listener, error) {
	lo, hi := servicePortFloor, ephemeralFloor()
	if hi-lo >= 1000 {
		for range 64 {
			port := lo + rand.IntN(hi-lo)
			if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return ln, nil
			}
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}
