package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrRefusedTarget is returned for a target that is neither loopback nor on
// the allow-list.
var ErrRefusedTarget = errors.New("load: target refused")

// guard admits targets: loopback addresses, names that resolve only to
// loopback, and allow-listed names. Verdicts are cached per host.
type guard struct {
	mu      sync.Mutex
	allowed map[string]bool // lower-case host names from the allow-list
	seen    map[string]error
	lookup  func(ctx context.Context, host string) ([]net.IPAddr, error)
}

func newGuard() *guard {
	return &guard{allowed: map[string]bool{}, seen: map[string]error{}, lookup: net.DefaultResolver.LookupIPAddr}
}

func (g *guard) allow(hosts ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, h := range hosts {
		g.allowed[strings.ToLower(strings.TrimSpace(h))] = true
	}
}

// CheckTarget reports whether load may go to rawURL: its host must be a
// loopback address, a name resolving only to loopback addresses, or one of
// allow (compared without case). The error wraps ErrRefusedTarget.
func CheckTarget(ctx context.Context, rawURL string, allow ...string) error {
	g := newGuard()
	g.allow(allow...)
	return g.check(ctx, rawURL)
}

func (g *guard) check(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("load: target %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("load: target %q: scheme must be http or https", rawURL)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return fmt.Errorf("load: target %q: no host", rawURL)
	}
	g.mu.Lock()
	err, ok := g.seen[host]
	g.mu.Unlock()
	if ok {
		return err
	}
	err = g.verdict(ctx, host)
	g.mu.Lock()
	g.seen[host] = err
	g.mu.Unlock()
	return err
}

func (g *guard) verdict(ctx context.Context, host string) error {
	g.mu.Lock()
	allowed := g.allowed[host]
	g.mu.Unlock()
	if allowed {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("%w: %s is not a loopback address and not on the allow-list (--allow-host)", ErrRefusedTarget, host)
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return fmt.Errorf("%w: %s: cannot resolve: %v", ErrRefusedTarget, host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%w: %s resolves to %s, not loopback, and is not on the allow-list (--allow-host)", ErrRefusedTarget, host, a.IP)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%w: %s resolves to no address", ErrRefusedTarget, host)
	}
	return nil
}

func (g *guard) isAllowed(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.allowed[strings.ToLower(host)]
}

// dialer connects only where the guard admits: to allow-listed hosts, and
// otherwise to loopback addresses, checked on the address actually dialed
// (a name that resolved to loopback when checked cannot rebind elsewhere).
func (g *guard) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	open := &net.Dialer{KeepAlive: 30 * time.Second}
	strict := &net.Dialer{KeepAlive: 30 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%w: connection to %s is not loopback", ErrRefusedTarget, host)
		}
		return nil
	}}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && g.isAllowed(host) {
			return open.DialContext(ctx, network, addr)
		}
		return strict.DialContext(ctx, network, addr)
	}
}
