package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

func newDemoCmd(st *state) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Mock the example petstore contract and show valid and invalid calls",
		Long: `Start a stateful mock of the example petstore contract (embedded in the
binary), send it a few requests, valid and invalid, print each request and
answer, then stop. What ` + "`make demo`" + ` runs.`,
		Example: "  firedrill demo",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), st)
		},
	}
}

// demoStep is one request of the demo and why it is sent.
type demoStep struct {
	why    string
	method string
	path   string // under the base path; {id} is the pet created first
	body   string
	header map[string]string
}

var demoKey = map[string]string{"X-API-Key": "demo-key"}

func demoSteps() []demoStep {
	withJSON := map[string]string{"X-API-Key": "demo-key", "Content-Type": "application/json"}
	return []demoStep{
		{why: "no API key: the contract requires one", method: "GET", path: "/pets"},
		{why: "create a pet", method: "POST", path: "/pets", body: `{"name":"Rex","species":"dog","tags":["good boy"]}`, header: withJSON},
		{why: "read it back", method: "GET", path: "/pets/{id}", header: demoKey},
		{why: "a body that breaks the contract: every violation is listed", method: "POST", path: "/pets", body: `{"species":"dragon","colour":"green"}`, header: withJSON},
		{why: "a path parameter of the wrong type", method: "GET", path: "/pets/rex", header: demoKey},
		{why: "merge patch", method: "PATCH", path: "/pets/{id}", body: `{"status":"sold"}`, header: map[string]string{"X-API-Key": "demo-key", "Content-Type": "application/merge-patch+json"}},
		{why: "the list, paginated as the contract declares", method: "GET", path: "/pets?limit=5", header: demoKey},
		{why: "delete", method: "DELETE", path: "/pets/{id}", header: demoKey},
		{why: "gone", method: "GET", path: "/pets/{id}", header: demoKey},
		{why: "a method the path does not have", method: "PUT", path: "/pets", header: demoKey},
	}
}

func runDemo(ctx context.Context, st *state) error {
	c, err := contracts.ParseOpenAPI(ctx, "examples/petstore/"+petstore.FileName, petstore.Contract())
	if err != nil {
		return ci.WithExit(ci.ExitSetup, fmt.Errorf("demo: %w", err))
	}
	srv, err := openapi.NewServer(c, openapi.WithStateful(true), openapi.WithLogger(st.logger))
	if err != nil {
		return ci.WithExit(ci.ExitSetup, fmt.Errorf("demo: %w", err))
	}
	defer srv.Close()
	fmt.Fprintf(st.stdout, "mock %s serving %s\n", srv.Mock.Name(), srv.URL)
	client := &http.Client{Timeout: 5 * time.Second}
	id := ""
	for _, s := range demoSteps() {
		if err := ctx.Err(); err != nil {
			return nil
		}
		path := strings.ReplaceAll(s.path, "{id}", id)
		status, body, err := demoCall(ctx, client, srv.URL, s, path, st.stdout)
		if err != nil {
			return ci.WithExit(ci.ExitSetup, fmt.Errorf("demo: %s %s: %w", s.method, path, err))
		}
		if s.method == "POST" && status == http.StatusCreated {
			var pet struct {
				ID json.Number `json:"id"`
			}
			json.Unmarshal(body, &pet)
			id = pet.ID.String()
		}
	}
	j := srv.Mock.Journal()
	refused := 0
	for _, e := range j.Entries(toolkit.Filter{}) {
		if !e.Valid {
			refused++
		}
	}
	fmt.Fprintf(st.stdout, "\njournal: %d requests, %d refused as contract violations (GET %s/__firedrill/requests)\n", j.Total(), refused, strings.TrimSuffix(srv.URL, srv.Mock.BasePath()))
	return nil
}

func demoCall(ctx context.Context, client *http.Client, base string, s demoStep, path string, out io.Writer) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, s.method, base+path, strings.NewReader(s.body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	fmt.Fprintf(out, "\n# %s\n→ %s %s%s", s.why, s.method, strings.TrimPrefix(base, "http://"), path)
	for _, k := range []string{"X-API-Key", "Content-Type"} {
		if v := req.Header.Get(k); v != "" {
			fmt.Fprintf(out, "  [%s: %s]", k, v)
		}
	}
	fmt.Fprintln(out)
	if s.body != "" {
		fmt.Fprintf(out, "  %s\n", s.body)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintf(out, "← %s  (%s)\n", resp.Status, resp.Header.Get("Content-Type"))
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "  ", "  ") == nil {
		fmt.Fprintf(out, "  %s\n", pretty.String())
	} else if len(body) > 0 {
		fmt.Fprintf(out, "  %s\n", body)
	}
	return resp.StatusCode, body, nil
}
