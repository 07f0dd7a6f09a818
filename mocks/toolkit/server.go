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

// ServerConfig says where and how a Server runs its mock.
type ServerConfig struct {
	Name   string       // the mock's name, in errors and logs
	Addr   string       // where to listen (DefaultAddr when empty); the mock kinds allow loopback only
	Path   string       // where the mock answers, appended to URL: the OpenAPI base path, the GraphQL path
	Logger *slog.Logger // where serving is logged (discarded when nil)
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
	return &Server[M]{Mock: m, cfg: cfg, done: make(chan struct{})}
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
	s.srv = &http.Server{Handler: s.Mock, ReadHeaderTimeout: 10 * time.Second}
	log := s.cfg.Logger
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
