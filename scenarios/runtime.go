package scenarios

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Runtime is where a scenario's systems run. The runner builds the mocks
// itself (they are firedrill's own handlers) and asks the runtime to serve
// them, to provide the Toxiproxy the proxies live in, and to start the
// service under test. Nothing in the runner assumes every system is a
// process on loopback: every address it hands the service comes from here.
type Runtime interface {
	// Name is embedded, docker or staging.
	Name() string
	// Toxiproxy returns the Toxiproxy the proxies of this run live in.
	Toxiproxy(ctx context.Context) (*chaos.Toxiproxy, error)
	// ServeMock serves the mock of system name and returns the address
	// (host:port) a proxy of this runtime reaches it on.
	ServeMock(ctx context.Context, name string, h http.Handler, limits toolkit.ServerLimits) (addr string, err error)
	// ProxyListen is the address a new proxy listens on: where both the
	// harness and the service under test can reach it.
	ProxyListen(name string) string
	// ServiceAddress chooses where the service listens; port 0 asks for a free one.
	ServiceAddress(name string, port int) (Address, error)
	// StartService starts the service under test.
	StartService(ctx context.Context, spec ProcessSpec) (RunningService, error)
	// Close stops what the runtime started. Idempotent.
	Close(ctx context.Context) error
}

// MockRunner is a runtime that runs each mock itself, from its
// declaration (a container per mock), instead of serving the run's handler
// in this process. The run reads and drives such a mock through its admin
// API at Direct.
type MockRunner interface {
	RunMock(ctx context.Context, m MockPlan) (RunningMock, error)
}

// MockPlan is a mock to run: its declaration with every reference resolved
// (secrets, addresses, the contract's and records' paths).
type MockPlan struct {
	Name string
	Spec mocks.Spec
}

// RunningMock is where a mock a runtime runs is reached.
type RunningMock struct {
	Upstream string // host:port its proxy forwards to, in the runtime's network
	Direct   string // host:port the harness reaches it on, past the proxy (loopback)
}

// Networked is a runtime whose systems reach each other at other addresses
// than the harness does (names on a private network; loopback-mapped ports
// for the harness).
type Networked interface {
	// ProxyAddrs says where the proxy name, which its Toxiproxy reports
	// listening on listen, is reached from the runtime's network (inner)
	// and from the harness.
	ProxyAddrs(ctx context.Context, name, listen string) (inner, harness string, err error)
}

// harnessMapped is a running service the harness reaches at another
// host:port than its peers do.
type harnessMapped interface {
	HarnessAddr() string
}

// RunningService is a service under test that a runtime started.
type RunningService interface {
	WaitHealthy(ctx context.Context, url string, timeout time.Duration) error
	LastLines() string
	Stop(grace time.Duration) error
}

// Embedded is the default runtime: mocks and Toxiproxy in this process on
// loopback, the service under test as a child process.
type Embedded struct {
	Logger *slog.Logger
	// Supervisor is the command that runs each service under Supervise on
	// Linux (firedrill's own binary: [firedrill, __supervise, --]), so that
	// nothing the service starts outlives firedrill. See ProcessSpec.
	Supervisor []string

	mu       sync.Mutex
	tp       *chaos.Toxiproxy
	servers  []*http.Server
	services []RunningService
	held     map[string]net.Listener // service ports, held until the service starts
	closed   bool
}

// Name is "embedded".
func (e *Embedded) Name() string { return "embedded" }

// Toxiproxy starts the in-process Toxiproxy on first use.
func (e *Embedded) Toxiproxy(ctx context.Context) (*chaos.Toxiproxy, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tp != nil {
		return e.tp, nil
	}
	var opts []chaos.Option
	if e.Logger != nil {
		// Toxiproxy reports every connection a fault cuts as a warning:
		// in a drill that is the point, not news. Keep its errors.
		opts = append(opts, chaos.WithLogger(slog.New(minLevel{e.Logger.Handler(), slog.LevelError})))
	}
	tp, err := chaos.Embedded(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("scenarios: embedded toxiproxy: %w", err)
	}
	e.tp = tp
	return tp, nil
}

// ServeMock serves h on a free loopback port.
func (e *Embedded) ServeMock(ctx context.Context, name string, h http.Handler, limits toolkit.ServerLimits) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("scenarios: serve mock %q: %w", name, err)
	}
	// The limits every mock server keeps (header size and time, read and
	// idle timeouts, framing): a hostile client must not take the run down.
	srv := limits.HTTPServer(h)
	e.mu.Lock()
	e.servers = append(e.servers, srv)
	e.mu.Unlock()
	go func() { _ = srv.Serve(limits.Listener(ln)) }()
	return ln.Addr().String(), nil
}

// ProxyListen is a free loopback port.
func (e *Embedded) ProxyListen(string) string { return "127.0.0.1:0" }

// ServiceAddress picks a free loopback port when port is 0, below the
// kernel's own range (chaos.ListenStable), and holds the port, fixed or picked, until
// the service starts: a mock or proxy of this run listening on :0
// meanwhile cannot be handed it, and the health check cannot reach another
// program instead of the service. A fixed port that
// another program already holds is an error.
func (e *Embedded) ServiceAddress(name string, port int) (Address, error) {
	var ln net.Listener
	var err error
	if port == 0 {
		ln, err = chaos.ListenStable("127.0.0.1")
	} else {
		ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	if err != nil {
		if port != 0 {
			return Address{}, fmt.Errorf("scenarios: systems.%s.service.port: port %d is taken by another program, whose answers would pass for the service's: %w", name, port, err)
		}
		return Address{}, fmt.Errorf("scenarios: a port for %q: %w", name, err)
	}
	e.mu.Lock()
	if e.held == nil {
		e.held = map[string]net.Listener{}
	}
	if old := e.held[name]; old != nil {
		old.Close()
	}
	e.held[name] = ln
	e.mu.Unlock()
	return Address{Scheme: "http", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}, nil
}

// reserved hands over the listener ServiceAddress holds for the service
// name, or nil. A runtime that serves the service in this process serves
// on it; one that starts a process closes it just before the start.
func (e *Embedded) reserved(name string) net.Listener {
	e.mu.Lock()
	defer e.mu.Unlock()
	ln := e.held[name]
	delete(e.held, name)
	return ln
}

// StartService starts the service as a child process group, on the port
// ServiceAddress held for it.
func (e *Embedded) StartService(ctx context.Context, spec ProcessSpec) (RunningService, error) {
	if ln := e.reserved(spec.Name); ln != nil {
		ln.Close()
	}
	if spec.Supervisor == nil {
		spec.Supervisor = e.Supervisor
	}
	p, err := StartProcess(ctx, spec)
	if p != nil {
		e.mu.Lock()
		e.services = append(e.services, p)
		e.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops the services, then the mocks, then Toxiproxy (whose proxies
// go with it).
func (e *Embedded) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	services, servers, tp := e.services, e.servers, e.tp
	for _, ln := range e.held { // services that never started
		ln.Close()
	}
	e.held = nil
	e.mu.Unlock()
	for _, s := range services {
		_ = s.Stop(5 * time.Second)
	}
	for _, srv := range servers {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		cancel()
	}
	if tp != nil {
		return tp.Close()
	}
	return nil
}

// minLevel drops records below a level before they reach a handler.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }
