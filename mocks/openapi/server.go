package openapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/firedrill/firedrill/contracts"
)

// Server is a mock listening on loopback, shaped like httptest.Server:
// NewServer starts it, URL is where to reach the contract's operations (base
// path included) and Close stops it after the requests in flight.
type Server struct {
	// URL is the base URL of the contract's operations, e.g.
	// http://127.0.0.1:41234/v1. Empty until started.
	URL string
	// Addr is the address listened on, host:port.
	Addr string

	mock      *Mock
	srv       *http.Server
	done      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	started   bool
}

// CloseTimeout bounds how long Close waits for requests in flight.
const CloseTimeout = 10 * time.Second

// NewServer starts a mock of c on loopback (WithAddr, DefaultAddr by default).
func NewServer(c *contracts.OpenAPI, opts ...Option) (*Server, error) {
	s, err := NewUnstartedServer(c, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// NewUnstartedServer returns a mock server that Start will start.
func NewUnstartedServer(c *contracts.OpenAPI, opts ...Option) (*Server, error) {
	m, err := NewHandler(c, opts...)
	if err != nil {
		return nil, err
	}
	return &Server{mock: m, done: make(chan struct{})}, nil
}

// Mock is the handler the server runs.
func (s *Server) Mock() *Mock {
	if s == nil {
		return nil
	}
	return s.mock
}

// Start listens and serves in the background. When ctx is cancelled the
// server closes as Close does.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("mocks: server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.mock.addr)
	if err != nil {
		return fmt.Errorf("mocks: listen for %s on %s: %w", s.mock.name, s.mock.addr, err)
	}
	s.started = true
	s.Addr = ln.Addr().String()
	s.URL = "http://" + s.Addr + s.mock.basePath
	s.srv = &http.Server{
		Handler:           s.mock,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.mock.logger.Error("mock: serve", "mock", s.mock.name, "err", err)
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
	s.mock.logger.Info("mock: serving", "mock", s.mock.name, "url", s.URL)
	return nil
}

// Close stops accepting connections and waits (up to CloseTimeout) for the
// requests in flight to be answered. It is idempotent and safe on nil.
func (s *Server) Close() {
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
