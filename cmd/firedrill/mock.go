package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/graphql"
)

// mockFlags are the options of `firedrill mock`.
type mockFlags struct {
	port     int
	host     string
	stateful bool
	seed     int64
}

func newMockCmd(st *state) *cobra.Command {
	var f mockFlags
	cmd := &cobra.Command{
		Use:   "mock CONTRACT...",
		Short: "Serve vendor APIs as strict mocks from their contracts",
		Long: `Serve each contract (OpenAPI 2.0, 3.0 or 3.1 in YAML or JSON; GraphQL SDL in
.graphql or .gql) as a mock on loopback. Requests are validated against the
contract (refusals are application/problem+json naming every violation) and
answered with the contract's examples or data generated from its schemas.

Once every mock is ready, one line per contract is printed: NAME URL. The
mocks serve until interrupted (Ctrl-C, SIGTERM), then finish the requests in
flight and exit 0. With one contract the mock listens on --port; with several,
on consecutive ports from --port (random ports with --port 0).

Admin API of each OpenAPI mock: GET /__firedrill/health, /__firedrill/requests,
/__firedrill/collections (with --stateful).`,
		Example: `  firedrill mock examples/petstore/petstore.yaml --port 8080
  firedrill mock shop.openapi.yaml accounting.openapi.yaml crm.graphql --port 0 --stateful
  curl -H 'X-API-Key: k' http://127.0.0.1:8080/v1/pets/1`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMock(cmd.Context(), st, args, f)
		},
	}
	cmd.Flags().IntVar(&f.port, "port", 0, "port of the first mock (0: a random free port for each)")
	cmd.Flags().StringVar(&f.host, "host", "127.0.0.1", "loopback address to listen on")
	cmd.Flags().BoolVar(&f.stateful, "stateful", false, "keep what clients create: collections inferred from the paths")
	cmd.Flags().Int64Var(&f.seed, "seed", mocks.DefaultSeed, "seed of the generated answers")
	return cmd
}

// servedMock is one running mock, whatever its kind.
type servedMock struct {
	name, url string
	close     func()
}

func runMock(ctx context.Context, st *state, paths []string, f mockFlags) error {
	if ip := net.ParseIP(f.host); f.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --host %q: mocks listen on loopback only (127.0.0.1, ::1, localhost)", f.host))
	}
	if f.port < 0 || f.port+len(paths)-1 > 65535 {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --port %d: out of range for %d contract(s)", f.port, len(paths)))
	}
	served, err := startMocks(ctx, st, paths, f)
	defer func() {
		for _, s := range served {
			s.close()
		}
	}()
	if err != nil {
		return err
	}
	for _, s := range served {
		fmt.Fprintf(st.stdout, "%s %s\n", s.name, s.url)
	}
	<-ctx.Done()
	return nil
}

// startMocks loads every contract first (bad input is reported before any
// port is taken), then starts one mock per contract.
func startMocks(ctx context.Context, st *state, paths []string, f mockFlags) ([]servedMock, error) {
	type loaded struct {
		openapi *contracts.OpenAPI
		graphql *contracts.GraphQL
		name    string
	}
	var all []loaded
	var errs []error
	names := map[string]int{}
	for _, p := range paths {
		var l loaded
		var err error
		if isGraphQL(p) {
			l.graphql, err = contracts.LoadGraphQL(ctx, p)
			l.name = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		} else if l.openapi, err = contracts.LoadOpenAPI(ctx, p); err == nil {
			l.name = l.openapi.Name()
			if n := len(l.openapi.Problems); n > 0 {
				// Served anyway: real contracts have flaws; lint lists them.
				st.logger.Warn("mock: contract served despite problems", "contract", p, "problems", n, "details", "firedrill contract lint "+p)
			}
			for _, pr := range l.openapi.Problems {
				st.logger.Debug("mock: contract problem", "problem", pr.String())
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if names[l.name]++; names[l.name] > 1 {
			l.name += "-" + strconv.Itoa(names[l.name])
		}
		all = append(all, l)
	}
	if len(errs) > 0 {
		return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", errors.Join(errs...)))
	}
	var served []servedMock
	for i, l := range all {
		port := 0
		if f.port != 0 {
			port = f.port + i
		}
		addr := net.JoinHostPort(f.host, strconv.Itoa(port))
		s, err := startOne(ctx, st, l.openapi, l.graphql, l.name, addr, f)
		if err != nil {
			return served, ci.WithExit(ci.ExitSetup, err)
		}
		served = append(served, s)
	}
	return served, nil
}

func startOne(ctx context.Context, st *state, o *contracts.OpenAPI, g *contracts.GraphQL, name, addr string, f mockFlags) (servedMock, error) {
	if g != nil {
		s, err := graphql.NewServer(g, graphql.WithAddr(addr), graphql.WithName(name), graphql.WithSeed(f.seed),
			graphql.WithStateful(f.stateful), graphql.WithLogger(st.logger))
		if err != nil {
			return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
		}
		return servedMock{name: name, url: s.Endpoint, close: func() { s.Close() }}, nil
	}
	s, err := mocks.NewUnstartedServer(o, mocks.WithAddr(addr), mocks.WithName(name), mocks.WithSeed(f.seed),
		mocks.WithStateful(f.stateful), mocks.WithLogger(st.logger))
	if err != nil {
		return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
	}
	// The server outlives ctx's cancellation only until runMock closes it:
	// Close waits for the requests in flight.
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
	}
	return servedMock{name: name, url: s.URL, close: s.Close}, nil
}

func isGraphQL(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".graphql", ".gql", ".graphqls":
		return true
	}
	return false
}
