package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

// The probe gates ask at the end of settle what a service says of itself
// (a dead-letter queue) and what a system holds, and fail the run when the
// answer does not hold: the positive and the negative control, in one run
// each, with the same scenario.
func TestRunProbeGates(t *testing.T) {
	t.Parallel()
	var parked atomic.Int64
	dlq := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"count": %d}`, parked.Load())
	}))
	defer dlq.Close()
	run := func(orders string) (*Outcome, error) {
		s, err := ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		s.Chaos = nil
		s.Gates.Probes = []Probe{
			{Name: "no dead letters", URL: dlq.URL + "/admin/dead-letters", Expect: 200, JSON: "body.count == 0", Within: new(Duration)},
			{Name: "orders stored", URL: "http://${shop.host}:${shop.port}/__firedrill/collections/orders", JSON: orders},
		}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		return Run(context.Background(), s, Options{Out: t.TempDir()})
	}
	out, err := run("size(body) >= 30")
	if err != nil {
		t.Fatalf("correct service: %v", err)
	}
	probes := 0
	for _, g := range out.Verdict.Gates {
		if g.Kind == ci.KindService {
			probes++
			if !g.Passed {
				t.Errorf("probe %q: %s (%s)", g.Name, g.Reason, g.Measured)
			}
		}
	}
	if probes != 2 {
		t.Errorf("%d probe gates in the verdict, want 2", probes)
	}
	parked.Store(4)
	out, err = run("size(body) == 0")
	if ci.CodeOf(err) != ci.ExitFail {
		t.Fatalf("parked letters: exit %v (%v), want 1", ci.CodeOf(err), err)
	}
	failed := map[string]string{}
	for _, g := range out.Verdict.Gates {
		if !g.Passed {
			failed[g.Name] = g.Reason
		}
	}
	if len(failed) != 2 || !strings.Contains(failed["no dead letters"], "body.count == 0 false") ||
		!strings.Contains(failed["orders stored"], "size(body) == 0 false") {
		t.Errorf("failed gates %v, want the two probes, each for its expression", failed)
	}
}
