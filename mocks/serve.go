package mocks

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Serve runs a Vendor on loopback at addr (toolkit.DefaultAddr when empty),
// or on any interface when the Vendor runs on toolkit.NetworkPrivate
// (Settings.Network: in a container).
// The server's URL is where the contract's operations are (the OpenAPI base
// path, the GraphQL endpoint). It serves until Close, which waits for the
// requests in flight; ctx only bounds the start. What a client may send is
// bounded by v.Limits (Settings.Limits; toolkit.ServerLimits's defaults).
func Serve(ctx context.Context, v *Vendor, addr string, log *slog.Logger) (*toolkit.Server[http.Handler], error) {
	if addr == "" {
		addr = toolkit.DefaultAddr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("mocks: address %q: %w", addr, err)
	}
	if !v.Network.AllowsListen(addr) {
		return nil, fmt.Errorf("mocks: address %q: only loopback addresses are allowed (a mock in a container listens beyond with --network private)", addr)
	}
	path := v.BasePath
	if v.GraphQL != nil {
		path = v.GraphQL.Path()
	}
	s := toolkit.NewUnstartedServer(v.Handler, toolkit.ServerConfig{Name: v.Name, Addr: addr, Path: path, Logger: log, Limits: v.Limits})
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	return s, nil
}
