package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Staging is the runtime of a drill: its systems are real endpoints
// (url:), so it starts no mock and no service. Its proxies live in the
// Toxiproxy the team runs in staging (ToxiproxyURL), where the drill
// deletes the ones it made when it ends, or in an embedded one; the fault
// proxies in front of endpoints that take HTTP faults are served in this
// process, on loopback.
type Staging struct {
	Logger *slog.Logger
	// ToxiproxyURL is the API of the team's Toxiproxy; empty embeds one.
	ToxiproxyURL string

	local   Embedded // the embedded Toxiproxy and the fault proxies
	mu      sync.Mutex
	remote  *chaos.Toxiproxy
	proxies []string // made on the remote Toxiproxy, deleted on Close
}

// Name is "staging".
func (s *Staging) Name() string { return "staging" }

// Toxiproxy is the team's Toxiproxy when ToxiproxyURL is set (every call
// to it with the run's context and the client's timeouts), else an
// embedded one.
func (s *Staging) Toxiproxy(ctx context.Context) (*chaos.Toxiproxy, error) {
	if s.ToxiproxyURL == "" {
		s.local.Logger = s.Logger
		return s.local.Toxiproxy(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remote == nil {
		tp, err := chaos.Remote(s.ToxiproxyURL)
		if err != nil {
			return nil, fmt.Errorf("scenarios: drill.toxiproxy: %w", err)
		}
		s.remote = tp
	}
	return s.remote, nil
}

// ServeMock serves a handler on loopback: in a drill, the fault proxy in
// front of a real endpoint.
func (s *Staging) ServeMock(ctx context.Context, name string, h http.Handler, limits toolkit.ServerLimits) (string, error) {
	return s.local.ServeMock(ctx, name, h, limits)
}

// ProxyListen is a free loopback port of the embedded Toxiproxy, or a
// free port on every interface of the team's: the load reaches it there.
func (s *Staging) ProxyListen(string) string {
	if s.ToxiproxyURL != "" {
		return "0.0.0.0:0"
	}
	return "127.0.0.1:0"
}

// ProxyMade notes a proxy the drill made, to be deleted from the team's
// Toxiproxy when the drill ends. One that was there before (a name
// taken) is never noted, so never deleted.
func (s *Staging) ProxyMade(name string) {
	s.mu.Lock()
	s.proxies = append(s.proxies, name)
	s.mu.Unlock()
}

// ProxyAddrs says where a proxy of the team's Toxiproxy is reached: at the
// Toxiproxy's host, on the port it listens on.
func (s *Staging) ProxyAddrs(_ context.Context, _, listen string) (inner, harness string, err error) {
	if s.ToxiproxyURL == "" {
		return listen, listen, nil
	}
	u, err := url.Parse(s.remote.URL())
	if err != nil {
		return "", "", fmt.Errorf("scenarios: drill.toxiproxy: %w", err)
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", "", fmt.Errorf("scenarios: proxy listens on %q: %w", listen, err)
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	return addr, addr, nil
}

// ServiceAddress refuses: a drill starts no service.
func (s *Staging) ServiceAddress(name string, _ int) (Address, error) {
	return Address{}, fmt.Errorf("scenarios: systems.%s: a drill starts no service: give the running one's url", name)
}

// StartService refuses: a drill starts no service.
func (s *Staging) StartService(_ context.Context, spec ProcessSpec) (RunningService, error) {
	return nil, fmt.Errorf("scenarios: systems.%s: a drill starts no service", spec.Name)
}

// Close deletes the proxies the drill made on the remote Toxiproxy (and
// their toxics with them), then stops what runs in this process.
func (s *Staging) Close(ctx context.Context) error {
	s.mu.Lock()
	remote, names := s.remote, s.proxies
	s.proxies = nil
	s.mu.Unlock()
	var errs []error
	if remote != nil {
		for _, n := range names {
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := remote.DeleteProxy(dctx, n); err != nil && !errors.Is(err, chaos.ErrNotFound) {
				errs = append(errs, fmt.Errorf("delete proxy %q from %s: %w", n, remote.URL(), err))
			}
			cancel()
		}
	}
	if err := s.local.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// faultProxy is the embedded fault proxy in front of a real endpoint: a
// reverse proxy to target behind a fault set, which the timeline switches
// as it switches a mock's. Its admin API (toolkit.FaultsPath) lists what
// is on.
func faultProxy(target *url.URL, seed int64, logger *slog.Logger) (http.Handler, *toolkit.FaultSet) {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		// A request the drill's end cancels is no news: debug level.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	fs := toolkit.NewFaultSet(seed)
	return fs.Handler(rp, nil), fs
}

// drillFaulted reports whether a timeline entry puts an HTTP fault on the
// system: it then gets a fault proxy in front.
func (r *run) drillFaulted(name string) bool {
	for _, f := range r.s.Chaos {
		if f.System == name && !f.data() {
			return true
		}
	}
	return false
}

// upEndpoint is where the proxy in front of a real endpoint forwards to:
// the endpoint itself, or a fault proxy in front of it when the timeline
// has HTTP faults for it.
func (r *run) upEndpoint(ctx context.Context, sys *system) (upstream, basePath, scheme string, err error) {
	a, err := ParseAddress(sys.spec.URL)
	if err != nil {
		return "", "", "", err
	}
	if !r.drillFaulted(sys.name) {
		return a.Addr(), a.BasePath, a.Scheme, nil
	}
	target, err := url.Parse(a.Scheme + "://" + a.Addr())
	if err != nil {
		return "", "", "", fmt.Errorf("scenarios: systems.%s.url: %w", sys.name, err)
	}
	h, fs := faultProxy(target, r.seed, r.log)
	upstream, err = r.rt.ServeMock(ctx, sys.name, h, toolkit.ServerLimits{})
	if err != nil {
		return "", "", "", fmt.Errorf("scenarios: fault proxy for %q: %w", sys.name, err)
	}
	sys.faults, sys.direct = fs, upstream
	r.progress("up     %-12s fault proxy %s in front of %s", sys.name, upstream, target)
	r.audit("fault proxy", sys.name, "ok", fmt.Sprintf("serves on %s, forwards to %s", upstream, target))
	// The fault proxy speaks plain HTTP on loopback, whatever the endpoint.
	return upstream, a.BasePath, "http", nil
}
