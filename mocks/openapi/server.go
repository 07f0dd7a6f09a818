package openapi

import (
	"context"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Server is a mock listening on loopback: the toolkit's one server type,
// shaped like httptest.Server. NewServer starts it; URL is where to reach
// the contract's operations (base path included), Addr where the admin API
// is, Mock the handler, and Close stops it after the requests in flight.
type Server = toolkit.Server[*Mock]

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
	return toolkit.NewUnstartedServer(m, toolkit.ServerConfig{Name: m.name, Addr: m.addr, Path: m.basePath, Logger: m.logger}), nil
}
