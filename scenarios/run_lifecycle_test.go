package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// lifecycleScenario is a stateful shop mock under 20 s of load, with a
// consistency gate that would wait 20 s to settle, and a service run by sh.
func lifecycleScenario(t *testing.T, service string) *Scenario {
	t.Helper()
	contract, err := filepath.Abs(filepath.Join("..", "examples", "ordersync", "contracts", "shop.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := `name: a service that dies mid-run
seed: 3
systems:
  shop: {contract: ` + contract + `, mock: {stateful: true}}
  sync:
    service:
      command: [sh, -c, '` + service + `']
load:
  flow:
    - {name: list orders, url: "${shop.url}/orders?limit=5", headers: {X-Shop-Key: k}, expect: 200}
  peak: 5/s
  duration: 20s
gates:
  load: ["success >= 99%"]
  consistency:
    settle: 20s
    checks:
      - name: every order kept
        source: {system: shop, collection: orders}
        target: {system: shop, collection: orders}
        join: {source: id, target: id}
`
	s, err := Parse(filepath.Join(t.TempDir(), "dies.yaml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunStopsAtOnceWhenTheServiceExits: a service that exits 2 s into the
// attack stops the run then, not after the attack and the settle: exit 3
// (set-up, not a gate), with its status and its last words, and the reports
// say so with the gates not run. The control: a service that lives through
// the run lets the same scenario pass.
func TestRunStopsAtOnceWhenTheServiceExits(t *testing.T) {
	t.Parallel()
	t.Run("dies", func(t *testing.T) {
		t.Parallel()
		s := lifecycleScenario(t, `echo starting; sleep 2; echo "panic: lost the database"; exit 7`)
		dir := t.TempDir()
		var progress strings.Builder
		start := time.Now()
		out, err := Run(context.Background(), s, Options{Out: dir, Progress: &syncWriter{w: &progress}})
		took := time.Since(start)
		t.Log(progress.String()) // read after Run: no goroutine writes any more
		if ci.CodeOf(err) != ci.ExitSetup || !errors.Is(err, ErrServiceExited) {
			t.Fatalf("want exit 3 for a service that exited, got %v: %v", ci.CodeOf(err), err)
		}
		for _, want := range []string{`service "sync"`, "exit status 7", "panic: lost the database", "during attack"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say %q:\n%v", want, err)
			}
		}
		if took > 10*time.Second {
			t.Errorf("the run went on for %s after the service died at 2 s", took.Round(time.Second))
		}
		if out == nil || out.Verdict.Code != ci.ExitSetup || out.Verdict.Failed != 0 {
			t.Fatalf("outcome verdict %+v", out)
		}
		for _, g := range out.Verdict.Gates {
			if g.Status() != "not run" {
				t.Errorf("gate %q is %s after the service died, want not run", g.Name, g.Status())
			}
		}
		var sum struct {
			Verdict  string `json:"verdict"`
			ExitCode int    `json:"exit_code"`
			Cause    string `json:"cause"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.ExitCode != 3 || sum.Verdict != "setup" || !strings.Contains(sum.Cause, "exit status 7") {
			t.Errorf("summary.json: %+v", sum)
		}
	})
	t.Run("lives", func(t *testing.T) {
		t.Parallel()
		s := lifecycleScenario(t, `echo starting; exec sleep 120`)
		s.Load.Duration = Duration(3 * time.Second)
		s.Gates.Consistency.Settle = Duration(2 * time.Second)
		out, err := Run(context.Background(), s, Options{Out: t.TempDir()})
		if err != nil || !out.Verdict.Passed {
			t.Fatalf("a service that lives: %v, %+v", err, out)
		}
	})
}

// syncWriter is a strings.Builder safe for the run's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// TestHealthProbeHasATimeout: the recovery gate's probe of a /healthz that
// never answers fails within its bound instead of hanging the run; the
// control, a /healthz that answers, passes.
func TestHealthProbeHasATimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer hang.Close()
	defer close(release)
	addr, err := ParseAddress(hang.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		health string
		fails  bool
	}{{"/healthz", true}, {"/ok", false}} {
		r := &run{probeTimeout: 300 * time.Millisecond, systems: []*system{{name: "sync", addr: addr,
			spec: &System{Service: &Service{Command: []string{"x"}, Health: tc.health}}}}}
		done := make(chan error, 1)
		go func() { done <- r.healthProbe()(context.Background()) }()
		select {
		case err := <-done:
			if (err != nil) != tc.fails {
				t.Errorf("%s: probe error %v, want an error: %v", tc.health, err, tc.fails)
			}
			if tc.fails && !strings.Contains(fmt.Sprint(err), "did not answer within 300ms") {
				t.Errorf("%s: %v", tc.health, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the health probe still waits after 5 s: it has no timeout", tc.health)
		}
	}
}

// TestShortenedAttackLeavesLaterFaultsUnjudged: --duration 3s of a
// scenario whose fault starts at 10 s never runs the fault: a warning,
// no fault window, so "recovers after faults" is not exercised (skipped)
// instead of failed on a fault that never ran, and the run passes.
func TestShortenedAttackLeavesLaterFaultsUnjudged(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Load.Duration = Duration(12 * time.Second)
	s.Chaos = append(s.Chaos[:0], Fault{At: Duration(10 * time.Second), For: Duration(time.Second), Proxy: "shop", Toxic: "latency", Params: map[string]string{"latency": "300ms"}})
	s.Gates.Resilience = []ResilienceGate{{System: "shop", RecoveryWithin: Duration(2 * time.Second)}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	out, err := Run(context.Background(), s, Options{Out: t.TempDir(), Duration: 3 * time.Second, Progress: &syncWriter{w: &progress}})
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("run: %v\n%+v", err, out.Verdict)
	}
	if !strings.Contains(progress.String(), "WARNING chaos[0] at 10s is after the end of the attack (3s)") {
		t.Errorf("no warning for the fault past the end")
	}
	var recovery *ci.Gate
	for i, g := range out.Verdict.Gates {
		if strings.HasPrefix(g.Name, "recovers after faults") {
			recovery = &out.Verdict.Gates[i]
		}
	}
	if recovery == nil || recovery.Status() != "skip" {
		t.Errorf("the recovery gate: %+v", recovery)
	}
	if n := len(out.Verdict.Gates); n != 5 || out.Verdict.Failed != 0 {
		t.Errorf("%d gates, %d failed", n, out.Verdict.Failed)
	}
}

// failOn writes into a folder but fails on one file, as a full disk would.
type failOn struct {
	ci.Dir
	name string
}

func (f failOn) WriteFile(name string, data []byte) error {
	if name == f.name {
		return fmt.Errorf("write %s: no space left on device", name)
	}
	return f.Dir.WriteFile(name, data)
}

// TestRunThatCannotWriteAReportNeverSaysPass: a run whose gates all pass
// but whose summary.md (or a journal) cannot be written exits 3, its
// outcome (what the terminal prints) is a set-up failure, and the reports
// that were written say so. The control: the same run written whole passes.
func TestRunThatCannotWriteAReportNeverSaysPass(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "summary.md", "journal-shop.jsonl"} {
		t.Run("fail "+name, func(t *testing.T) {
			t.Parallel()
			s, err := ReadFile(filepath.Join("testdata", "e2e", "mock-only.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			out, err := Run(context.Background(), s, Options{Out: dir, Files: failOn{ci.Dir(dir), name}})
			if name == "" {
				if err != nil || out.Verdict.Headline() != "PASS" {
					t.Fatalf("the control: %v, %s", err, out.Verdict.Headline())
				}
				return
			}
			if ci.CodeOf(err) != ci.ExitSetup || !strings.Contains(fmt.Sprint(err), name) {
				t.Fatalf("exit %d, want 3: %v", ci.CodeOf(err), err)
			}
			if out.Verdict.Passed || out.Verdict.Headline() != "SET-UP FAILED" || !strings.Contains(out.Verdict.Stopped.Cause, name) {
				t.Errorf("the outcome: %+v", out.Verdict)
			}
			data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), `"exit_code": 3`) || strings.Contains(string(data), `"verdict": "pass"`) {
				t.Errorf("summary.json:\n%.400s", data)
			}
		})
	}
}
