package graphql

import (
	"context"
	"fmt"
	"net"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Server is a Mock listening on loopback: the toolkit's one server type,
// shaped like httptest.Server. It runs once NewServer returns; URL is where
// GraphQL requests go (the mock's path included), Addr where the admin API
// is, Mock the handler, and Close stops it after the requests in flight
// are answered.
type Server = toolkit.Server[*Mock]

// NewServer starts the mock of c on WithAddr's address (DefaultAddr),
// within the toolkit.ServerLimits defaults.
func NewServer(c *contracts.GraphQL, opts ...Option) (*Server, error) {
	s, err := NewUnstartedServer(c, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("graphql: %w", err)
	}
	return s, nil
}

// NewUnstartedServer returns the mock server of c that Start will start;
// its Limits may be changed until then.
func NewUnstartedServer(c *contracts.GraphQL, opts ...Option) (*Server, error) {
	m, err := NewHandler(c, opts...)
	if err != nil {
		return nil, err
	}
	return toolkit.NewUnstartedServer(m, toolkit.ServerConfig{Name: m.opts.name, Addr: m.opts.addr, Path: m.opts.path, Logger: m.opts.logger}), nil // nil: not logged, as before WithLogger
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
