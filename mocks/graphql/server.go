package graphql

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

// Server is a Mock listening on loopback, shaped like httptest.Server: it
// runs once NewServer returns, URL is where to send requests, and Close stops
// it after the requests in flight are answered.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT, without the GraphQL path.
	URL string
	// Endpoint is the URL GraphQL requests go to: URL + the mock's path.
	Endpoint string
	// Mock is the handler the server runs.
	Mock *Mock

	srv       *http.Server
	ln        net.Listener
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewServer starts the mock of c on WithAddr's address (DefaultAddr).
func NewServer(c *contracts.GraphQL, opts ...Option) (*Server, error) {
	m, err := NewHandler(c, opts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", m.opts.addr)
	if err != nil {
		return nil, fmt.Errorf("graphql: listen on %s: %w", m.opts.addr, err)
	}
	s := &Server{
		URL:  "http://" + ln.Addr().String(),
		Mock: m, ln: ln, done: make(chan struct{}),
		srv: &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second},
	}
	s.Endpoint = s.URL + m.opts.path
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("graphql: serve", "addr", s.URL, "err", err)
		}
	}()
	return s, nil
}

// Close stops the server and waits for the requests in flight. It is
// idempotent and safe on a nil Server.
func (s *Server) Close() error {
	return s.Shutdown(context.Background())
}

// Shutdown stops the server, waiting for the requests in flight until ctx
// ends; then it closes the remaining connections. Idempotent, nil-safe.
func (s *Server) Shutdown(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		err := s.srv.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.srv.Close())
		}
		<-s.done
		if err != nil {
			s.closeErr = fmt.Errorf("graphql: close %s: %w", s.URL, err)
		}
	})
	return s.closeErr
}

// checkLoopback refuses addresses other than loopback ones.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("graphql: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("graphql: address %q: only loopback hosts (127.0.0.1, ::1, localhost) are served", addr)
	}
	return nil
}
