package toolkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of a Server.
const (
	// DefaultAddr is where a Server listens: loopback, a free port.
	DefaultAddr = "127.0.0.1:0"
	// CloseTimeout bounds how long Close waits for requests in flight.
	CloseTimeout = 10 * time.Second
)

// Defaults of ServerLimits: what a mock's server allows a client before it
// refuses or hangs up, so that one client cannot hold the memory or the
// connections of the process the drill shares with the load.
const (
	// DefaultMaxHeaderBytes bounds a request's line and headers; past it
	// the server answers 431.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultReadHeaderTimeout bounds the time to send them.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the time to send a request, its body
	// included; a body still incomplete then fails to read (the mock
	// answers 400) and the connection is closed.
	DefaultReadTimeout = time.Minute
	// DefaultIdleTimeout is how long a keep-alive connection may wait for
	// its next request.
	DefaultIdleTimeout = 2 * time.Minute
)

// ServerLimits bound what a client may send a mock's server. A zero field
// takes its default, a negative one disables the limit. There is no write
// timeout: faults write slowly on purpose (a slow fault may take up to 10
// minutes), and a client that stops reading is the client's own business.
// ReadTimeout, as http.Server's, bounds reading the request, header and
// body; net/http lifts the deadline once the body is read, so an answer
// may take longer (a slow fault's request keeps its context).
type ServerLimits struct {
	MaxHeaderBytes    int           // DefaultMaxHeaderBytes
	ReadHeaderTimeout time.Duration // DefaultReadHeaderTimeout
	ReadTimeout       time.Duration // DefaultReadTimeout
	IdleTimeout       time.Duration // DefaultIdleTimeout
}

// withDefaults fills the zero fields with the defaults.
func (l ServerLimits) withDefaults() ServerLimits {
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.ReadHeaderTimeout == 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.ReadTimeout == 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	return l
}

// HTTPServer returns an http.Server that serves h within l (zero fields
// taking their defaults) and answers 400 to a request with both
// Content-Length and Transfer-Encoding. Serve it on l.Listener: the
// listener is what sees those headers.
func (l ServerLimits) HTTPServer(h http.Handler) *http.Server {
	l = l.withDefaults()
	pos := func(d time.Duration) time.Duration { return max(d, 0) }
	return &http.Server{
		Handler:           l.handler(h),
		MaxHeaderBytes:    max(l.MaxHeaderBytes, 0), // 0 is net/http's own default, 1 MB
		ReadHeaderTimeout: pos(l.ReadHeaderTimeout),
		ReadTimeout:       pos(l.ReadTimeout),
		IdleTimeout:       pos(l.IdleTimeout),
		ConnContext:       watchedConnContext,
	}
}

// ServerConfig says where and how a Server runs its mock.
type ServerConfig struct {
	Name   string       // the mock's name, in errors and logs
	Addr   string       // where to listen (DefaultAddr when empty); the mock kinds allow loopback only
	Path   string       // where the mock answers, appended to URL: the OpenAPI base path, the GraphQL path
	Logger *slog.Logger // where serving is logged (discarded when nil)
	Limits ServerLimits // what a client may send (zero fields: the defaults)
}

// Server runs a mock of any kind on loopback, shaped like httptest.Server:
// NewServer starts it (or NewUnstartedServer and Start), URL is where the
// mock answers, and Close stops it after the requests in flight. The
// OpenAPI and the GraphQL mocks are both served by it (openapi.Server and
// graphql.Server are this type for their Mock).
type Server[M http.Handler] struct {
	// URL is where the mock answers: http://Addr followed by
	// ServerConfig.Path, e.g. http://127.0.0.1:41234/v1. Empty until
	// started.
	URL string
	// Addr is the address listened on, host:port; the admin API is at
	// http://Addr/__firedrill/. Empty until started.
	Addr string
	// Mock is the handler the server runs.
	Mock M
	// Limits are what a client may send, the defaults filled in; change
	// them before Start.
	Limits ServerLimits

	cfg       ServerConfig
	srv       *http.Server
	done      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	started   bool
}

// NewUnstartedServer returns a server of m that Start will start.
func NewUnstartedServer[M http.Handler](m M, cfg ServerConfig) *Server[M] {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server[M]{Mock: m, Limits: cfg.Limits.withDefaults(), cfg: cfg, done: make(chan struct{})}
}

// NewServer starts a server of m.
func NewServer[M http.Handler](m M, cfg ServerConfig) (*Server[M], error) {
	s := NewUnstartedServer(m, cfg)
	if err := s.Start(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// Start listens and serves in the background. When ctx is cancelled the
// server closes as Close does.
func (s *Server[M]) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("mocks: server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mocks: listen for %s on %s: %w", s.cfg.Name, s.cfg.Addr, err)
	}
	s.started = true
	s.Addr = ln.Addr().String()
	s.URL = "http://" + s.Addr + s.cfg.Path
	s.srv = s.Limits.HTTPServer(s.Mock)
	log := s.cfg.Logger
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := s.srv.Serve(s.Limits.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("mock: serve", "mock", s.cfg.Name, "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
		<-served
	}()
	log.Info("mock: serving", "mock", s.cfg.Name, "url", s.URL)
	return nil
}

// Close stops accepting connections and waits (up to CloseTimeout) for the
// requests in flight to be answered, then closes what is left. It is
// idempotent and safe on nil.
func (s *Server[M]) Close() {
	if s == nil {
		return
	}
	s.closeOnce.Do(func() {
		s.mu.Lock()
		srv := s.srv
		s.mu.Unlock()
		defer close(s.done)
		if srv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	})
}
