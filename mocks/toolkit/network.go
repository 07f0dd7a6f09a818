package toolkit

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Network says where a mock may listen and whom its webhooks and callbacks
// may reach. The zero value is NetworkLoopback.
type Network string

// The networks a mock runs on.
const (
	// NetworkLoopback, the default: the mock listens on loopback and
	// delivers to loopback only (127.0.0.0/8, ::1, localhost).
	NetworkLoopback Network = "loopback"
	// NetworkPrivate is for a mock in a container on a private network
	// (Docker's): it may listen on any interface, and deliver to loopback
	// and private addresses (RFC 1918, RFC 4193 fc00::/7, the shared
	// 100.64.0.0/10) only, by name, the name's address checked when the
	// connection is made. Link-local addresses (169.254.0.0/16, where
	// clouds serve instance metadata) and public ones are refused.
	NetworkPrivate Network = "private"
)

// Networks are the names ParseNetwork takes.
var Networks = []string{string(NetworkLoopback), string(NetworkPrivate)}

// ParseNetwork reads a network's name; "" is NetworkLoopback.
func ParseNetwork(s string) (Network, error) {
	switch Network(strings.TrimSpace(s)) {
	case "", NetworkLoopback:
		return NetworkLoopback, nil
	case NetworkPrivate:
		return NetworkPrivate, nil
	}
	return "", fmt.Errorf("mocks: network %q: want %s", s, strings.Join(Networks, " or "))
}

func (n Network) private() bool { return n == NetworkPrivate }

func (n Network) String() string {
	if n == "" {
		return string(NetworkLoopback)
	}
	return string(n)
}

// AllowsListen reports whether a mock on n may listen at addr (host:port):
// loopback always, any interface on NetworkPrivate.
func (n Network) AllowsListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return n.private() || loopbackHost(host)
}

// AllowsIP reports whether deliveries may connect to ip on n.
func (n Network) AllowsIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	return n.private() && (ip.IsPrivate() || sharedAddressSpace.Contains(ip))
}

// sharedAddressSpace is RFC 6598's 100.64.0.0/10, carrier-grade NAT and
// some container networks.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// AllowsURL reports whether a webhook or callback URL may be delivered to
// on n, as far as can be told before connecting: an http(s) URL whose host
// is loopback on NetworkLoopback; on NetworkPrivate a name (its address is
// checked at dial time) or an address AllowsIP allows.
func (n Network) AllowsURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return n.allowsHost(u.Hostname())
}

func (n Network) allowsHost(h string) bool {
	if loopbackHost(h) {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return n.AllowsIP(ip)
	}
	return n.private() && h != ""
}

// Receivers says, for an error, whom deliveries may reach on n.
func (n Network) Receivers() string {
	if n.private() {
		return "loopback and private addresses (RFC 1918, RFC 4193, 100.64.0.0/10; not link-local nor public)"
	}
	return "loopback (127.0.0.1, ::1, localhost)"
}

// control refuses a connection to an address n does not allow, whatever
// name resolved to it: the check is made on the address dialled.
func (n Network) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !n.AllowsIP(ap.Addr()) {
		return fmt.Errorf("mocks: webhooks: %s is not a %s address", address, n.String())
	}
	return nil
}
