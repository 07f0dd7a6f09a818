package scenarios

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

// TestRunGraphQLFaultOnOneRootField: a chaos fault on a GraphQL mock with
// operation: upsertCustomer answers 503 to the mutations that select that
// root field (aliased, in a named operation) and to nothing else; the
// control, the same fault on every operation, hits the query too. Every
// request conforms to the contract, faulted or not.
func TestRunGraphQLFaultOnOneRootField(t *testing.T) {
	t.Parallel()
	for _, scoped := range []bool{true, false} {
		t.Run(fmt.Sprint("scoped=", scoped), func(t *testing.T) {
			t.Parallel()
			s, err := ReadFile(filepath.Join("testdata", "e2e", "graphql-operation-fault.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !scoped {
				delete(s.Chaos[0].Params, "operation")
			}
			out, err := Run(context.Background(), s, Options{Out: t.TempDir()})
			if out == nil || out.Load == nil {
				t.Fatalf("run: %v", err)
			}
			for _, st := range out.Load.Steps {
				t.Logf("%s: %d requests, %d errors, %v %v", st.Name, st.Requests, st.Errors, st.StatusCodes, st.ErrorTexts)
			}
			codes := map[string]map[int]uint64{}
			for _, st := range out.Load.Steps {
				codes[st.Name] = st.StatusCodes
			}
			query, mutation := codes["list customers"], codes["save a customer"]
			// A failed step ends its iteration: the query goes first, so
			// that the mutation is sent while the scoped fault is on.
			if scoped && (mutation[503] == 0 || mutation[200] == 0) {
				t.Errorf("the mutation's answers %v: want 503s during the fault and 200s after", mutation)
			}
			if hit := query[503] > 0; hit == scoped || query[200] == 0 {
				t.Errorf("scoped %v: the query's answers %v", scoped, query)
			}
			for _, g := range out.Verdict.Gates {
				if g.Kind == ci.KindContract && !g.Passed {
					t.Errorf("%s: %s: %s", g.Name, g.Reason, g.Measured)
				}
			}
		})
	}
}

// TestRunContractGateSeesAWrongGraphQLPath: the same flow sent to the
// GraphQL mock's root instead of its /graphql gets 404 on every call, and
// the contract gate fails, naming the path, rather than judging nothing.
func TestRunContractGateSeesAWrongGraphQLPath(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "graphql-operation-fault.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Chaos = nil
	for i := range s.Load.Flow {
		s.Load.Flow[i].URL = "${crm.url}/"
	}
	out, err := Run(context.Background(), s, Options{Out: t.TempDir()})
	if out == nil {
		t.Fatalf("run: %v", err)
	}
	for _, g := range out.Verdict.Gates {
		if g.Kind != ci.KindContract {
			continue
		}
		if g.Passed || !strings.Contains(strings.Join(g.Detail, "\n"), "no GraphQL endpoint at /: send requests to /graphql") {
			t.Errorf("%s: %s: %s (%s)\n%s", g.Name, g.Status(), g.Reason, g.Measured, strings.Join(g.Detail, "\n"))
		}
		return
	}
	t.Errorf("no contract gate: %+v", out.Verdict.Gates)
}
