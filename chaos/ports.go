package chaos

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Ports firedrill picks for itself (a proxy's, a service's) lie below the
// range the kernel hands out on its own, to listen(":0") and to every
// outgoing connection: a port firedrill lets go of for a while (a proxy
// disabled on Toxiproxy's own server, a service's port between the pick
// and its bind) cannot be taken meanwhile by another program's connection or
// free-port listen, which on a busy CI machine happened ("bind: address
// already in use").

// PortFloor is the lowest port picked.
const PortFloor = 20000

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

// EphemeralFloor is the lowest port of the kernel's own range: Linux's
// ip_local_port_range, else the IANA dynamic range other systems use.
func EphemeralFloor() int { return ephemeralFloor() }

// ListenStable listens on host at a free port below the kernel's own
// range, trying a few at random, and falls back to a port the kernel picks
// when that range is too small or full.
func ListenStable(host string) (net.Listener, error) {
	lo, hi := PortFloor, ephemeralFloor()
	if hi-lo >= 1000 {
		for range 64 {
			port := lo + rand.IntN(hi-lo)
			if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port))); err == nil {
				return ln, nil
			}
		}
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}
