package graphql_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestServerLimits: a GraphQL mock's server has the toolkit's limits, by
// default and as set on an unstarted server.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	c, err := contracts.LoadGraphQL(context.Background(), filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := graphql.NewUnstartedServer(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Limits.MaxHeaderBytes != toolkit.DefaultMaxHeaderBytes || s.Limits.IdleTimeout != toolkit.DefaultIdleTimeout {
		t.Errorf("limits %+v, want the defaults", s.Limits)
	}
	s.Limits.MaxHeaderBytes = 1 << 10
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for _, tc := range []struct{ pad, want int }{{8 << 10, http.StatusRequestHeaderFieldsTooLarge}, {100, http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"?query="+"%7B__typename%7D", nil)
		req.Header.Set("X-Pad", strings.Repeat("p", tc.pad))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("a %d-byte header: %d, want %d", tc.pad, resp.StatusCode, tc.want)
		}
	}
}
