package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// slowForwarder is the service of testdata/e2e/catchup.yaml: it takes
// orders and forwards them to accounting one by one, each with its own
// Idempotency-Key; after a failure it waits pause before trying again.
type slowForwarder struct {
	pause time.Duration
	ctx   context.Context

	mu      sync.Mutex
	pending []string
	url     string
	started sync.Once
}

func (f *slowForwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		return
	}
	var o struct{ ID string }
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.ID == "" {
		http.Error(w, "an order id, please", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.pending = append(f.pending, o.ID)
	f.mu.Unlock()
	f.started.Do(func() { go f.forward() })
	w.WriteHeader(http.StatusAccepted)
}

func (f *slowForwarder) forward() {
	for f.ctx.Err() == nil {
		f.mu.Lock()
		if len(f.pending) == 0 {
			f.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		id := f.pending[0]
		f.mu.Unlock()
		body, _ := json.Marshal(map[string]any{"reference": id, "customer_email": "a@example.com", "amount_cents": 1250, "currency": "EUR"})
		req, _ := http.NewRequestWithContext(f.ctx, http.MethodPost, f.url+"/invoices", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer sk_test")
		// A retry after an answer the outage cut off must not invoice twice.
		req.Header.Set("Idempotency-Key", "invoice-"+id)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if err != nil || resp.StatusCode != http.StatusCreated {
			time.Sleep(f.pause) // a breaker cooling down
			continue
		}
		f.mu.Lock()
		f.pending = f.pending[1:]
		f.mu.Unlock()
	}
}

// catchupRuntime serves the forwarder, telling it accounting's address.
type catchupRuntime struct {
	*inProcess
	f *slowForwarder
}

func (c *catchupRuntime) StartService(ctx context.Context, spec ProcessSpec) (RunningService, error) {
	for _, kv := range spec.Env {
		if v, ok := strings.CutPrefix(kv, "ACCOUNTING_URL="); ok {
			c.f.url = v
		}
	}
	return c.inProcess.StartService(ctx, spec)
}

// TestRunRecoveryCountsACatchUpDuringChecks: a service whose retry waits
// out settle's quiet second catches up while the consistency checks wait
// for the data to agree; the recovery gate, read from the journals, sees
// that catching up and passes. Read before the checks had waited, it saw
// no success after the outage and failed a service that recovered.
func TestRunRecoveryCountsACatchUpDuringChecks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &slowForwarder{pause: 2500 * time.Millisecond, ctx: ctx}
	s, err := ReadFile(filepath.Join("testdata", "e2e", "catchup.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	rt := &catchupRuntime{inProcess: &inProcess{Embedded: &Embedded{}, h: f}, f: f}
	out, err := Run(ctx, s, Options{Out: t.TempDir(), Progress: &progress, Runtime: rt})
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var recovery, consistency bool
	for _, g := range out.Verdict.Gates {
		recovery = recovery || g.Kind == "resilience" && g.Passed && strings.Contains(g.Measured, "first success after")
		consistency = consistency || g.Kind == "consistency" && g.Passed && !strings.Contains(g.Measured, " 1 attempts")
	}
	if !recovery || !consistency {
		t.Errorf("want the recovery gate passed after a catch-up the consistency check waited for: %+v", out.Verdict.Gates)
	}
}

// TestRunJudgesTheOutageThatHappened: run with --duration 4s inside a
// 10 s outage of accounting, the attack ends sooner still, when the load
// can no longer pass its gate; the fault ends with it. The breaker gate
// judges the outage as the timeline applied it: a service that waited a
// second after each failure passes, though it drained its backlog at once
// when accounting came back, before 4 s. Judged on the planned window (to
// 4 s), that drain failed it. The control: a service that retries every
// 10 ms fails the gate over the same outage.
func TestRunJudgesTheOutageThatHappened(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pause  time.Duration
		passes bool
	}{{time.Second, true}, {10 * time.Millisecond, false}} {
		t.Run(c.pause.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &slowForwarder{pause: c.pause, ctx: ctx}
			s, err := ReadFile(filepath.Join("testdata", "e2e", "breaker-cut.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var progress strings.Builder
			rt := &catchupRuntime{inProcess: &inProcess{Embedded: &Embedded{}, h: f}, f: f}
			out, err := Run(ctx, s, Options{Out: t.TempDir(), Progress: &syncWriter{w: &progress}, Runtime: rt, Duration: 4 * time.Second})
			t.Log(progress.String())
			if out == nil {
				t.Fatalf("run: %v", err)
			}
			if out.Load == nil || out.Load.Aborted == "" {
				t.Fatalf("the load ran to its end: the attack did not end inside the fault (%+v)", out.Load)
			}
			t.Logf("load: %s", out.Load.Aborted)
			for _, g := range out.Verdict.Gates {
				t.Logf("%s: %s: %s (%s)", g.Name, g.Status(), g.Reason, g.Measured)
			}
			var breaker *ci.Gate
			for i, g := range out.Verdict.Gates {
				if strings.HasPrefix(g.Name, "breaker opens") {
					breaker = &out.Verdict.Gates[i]
				}
			}
			switch {
			case breaker == nil:
				t.Fatalf("no breaker gate: %+v", out.Verdict.Gates)
			case breaker.Skipped:
				t.Errorf("the breaker gate judged nothing: %s (%s)", breaker.Reason, breaker.Measured)
			case breaker.Passed != c.passes:
				t.Errorf("pause %s: breaker gate %s: %s (%s)\n%s", c.pause, breaker.Status(), breaker.Reason, breaker.Measured, strings.Join(breaker.Detail, "\n"))
			}
		})
	}
}
