package toolkit_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// FaultSet.Handler puts the HTTP faults in front of a GraphQL mock (the
// CRM of the order-sync example) over loopback: exactly the rate's share
// of 1,000 queries get 503 or a body that is not JSON, the others answer
// data, and onFault names each shaped answer.
func TestFaultHandlerInFrontOfAGraphQLMock(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := contracts.ParseGraphQL(context.Background(), path, src)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := graphql.NewHandler(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, mode string
		faulted    func(resp *http.Response, body []byte, readErr error) bool
	}{
		{toolkit.FaultStatus, "", func(resp *http.Response, _ []byte, _ error) bool { return resp.StatusCode == 503 }},
		{toolkit.FaultMalformed, "html", func(resp *http.Response, body []byte, _ error) bool {
			return resp.StatusCode == 200 && !json.Valid(body)
		}},
		{toolkit.FaultTruncated, "", func(_ *http.Response, body []byte, readErr error) bool { return readErr != nil && !json.Valid(body) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			fs := toolkit.NewFaultSet(3)
			var mu sync.Mutex
			labels := map[string]int{}
			s := httptest.NewServer(fs.Handler(gm, func(_ *http.Request, label string) {
				mu.Lock()
				labels[label]++
				mu.Unlock()
			}))
			t.Cleanup(s.Close)
			params := map[string]string{}
			if tc.mode != "" {
				params["mode"] = tc.mode
			}
			spec, _ := json.Marshal(toolkit.HTTPFault{Kind: tc.kind, Rate: 0.25, Params: params})
			resp, err := http.Post(s.URL+toolkit.FaultsPath, "application/json", strings.NewReader(string(spec)))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("add the fault through the admin API: %v %v", err, resp.Status)
			}
			resp.Body.Close()
			const n = 1000
			hits := 0
			for range n {
				resp, err := http.Post(s.URL+gm.Path(), "application/json", strings.NewReader(`{"query":"{ customers(first: 2) { edges { node { id email } } } }"}`))
				if err != nil {
					t.Fatal(err)
				}
				body, readErr := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case tc.faulted(resp, body, readErr):
					hits++
				case resp.StatusCode != 200 || readErr != nil || !json.Valid(body) || !strings.Contains(string(body), `"data"`):
					t.Fatalf("an answer the fault left alone is not GraphQL data: %d %v %s", resp.StatusCode, readErr, body)
				}
			}
			// The mock's own admin API is never faulted.
			for range 20 {
				resp, err := http.Get(s.URL + openapi.AdminPrefix + "health")
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("admin health through the fault handler: %v %v", err, resp.Status)
				}
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if hits != n/4 || len(labels) != 1 || sum(labels) != hits {
				t.Errorf("%d of %d answers faulted, want exactly %d; onFault saw %v", hits, n, n/4, labels)
			}
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
