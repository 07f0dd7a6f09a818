package openapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A mock's fault passes the checks the chaos timeline relies on: off
// before, on after Apply, off after Revert, a second Revert harmless.
func TestFaultActivateIsAChaosFault(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	fault := chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
		revert, err := fs.Activate(ctx, toolkit.HTTPFault{Kind: toolkit.FaultStatus, Params: map[string]string{"status": "503"}})
		return chaos.Revert(revert), err
	})
	active := func(context.Context) (bool, error) {
		resp := call(t, m, "GET", "/v1/pets/1", "", key, "k")
		return resp.StatusCode == http.StatusServiceUnavailable, nil
	}
	if err := chaos.TestFault(context.Background(), fault, active); err != nil {
		t.Fatal(err)
	}
	// Negative control: a fault whose revert does nothing fails the check.
	leaky := chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
		_, err := fs.Activate(ctx, toolkit.HTTPFault{Kind: toolkit.FaultStatus})
		return func(context.Context) error { return nil }, err
	})
	if err := chaos.TestFault(context.Background(), leaky, active); err == nil {
		t.Fatal("a fault that is never removed passed chaos.TestFault")
	}
	fs.Clear()
	// A cancelled context applies nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if revert, err := fs.Activate(ctx, toolkit.HTTPFault{Kind: toolkit.FaultStatus}); err == nil || revert != nil || len(fs.List()) != 0 {
		t.Fatalf("Activate on a cancelled context: %v, faults %v", err, fs.List())
	}
}

func TestFaultOnlyTouchesItsOperation(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	if _, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultStatus, Operation: "listPets"}); err != nil {
		t.Fatal(err)
	}
	if got := call(t, m, "GET", "/v1/pets", "", key, "k").StatusCode; got != 503 {
		t.Errorf("listPets: %d, want 503", got)
	}
	if got := call(t, m, "GET", "/v1/pets/1", "", key, "k").StatusCode; got != 200 {
		t.Errorf("getPet: %d, want 200 (the fault is on listPets only)", got)
	}
	if l := fs.List(); l[0].Requests != 1 || l[0].Hits != 1 {
		t.Errorf("counts %+v, want 1 request 1 hit", l[0])
	}
}

// A chaos timeline switches a mock's fault on and off on schedule, through
// a FaultResolver built on NewHTTPFault and Activate, and rolls it back
// when it ends.
func TestFaultOnAChaosTimeline(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	resolve := func(ev chaos.Event) (chaos.Fault, error) {
		f, err := toolkit.NewHTTPFault(ev.Kind, ev.Params)
		if err != nil {
			return nil, err
		}
		return chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
			revert, err := fs.Activate(ctx, f)
			return chaos.Revert(revert), err
		}), nil
	}
	var audit strings.Builder
	tl, err := chaos.NewTimeline([]chaos.Event{
		{At: 0, For: 300 * time.Millisecond, Target: "petstore", Kind: toolkit.FaultStatus, Params: map[string]string{"status": "502"}},
	}, chaos.WithFaultResolver(resolve), chaos.WithAuditLog(&audit))
	if err != nil {
		t.Fatal(err)
	}
	status := func() int { return call(t, m, "GET", "/v1/pets/1", "", key, "k").StatusCode }
	if got := status(); got != 200 {
		t.Fatalf("before the timeline: %d", got)
	}
	done := make(chan error, 1)
	go func() { done <- tl.Run(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for status() != 502 {
		if time.Now().After(deadline) {
			t.Fatal("the timeline never switched the fault on")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := status(); got != 200 || len(fs.List()) != 0 {
		t.Fatalf("after the timeline: %d, faults left %v", got, fs.List())
	}
	if !strings.Contains(audit.String(), `"status":"502"`) {
		t.Errorf("audit log does not show the fault's parameters:\n%s", audit.String())
	}
	// A bad parameter is refused when the timeline is built.
	if _, err := chaos.NewTimeline([]chaos.Event{{At: 0, For: time.Second, Target: "petstore", Kind: toolkit.FaultStatus, Params: map[string]string{"status": "200"}}}, chaos.WithFaultResolver(resolve)); err == nil || !strings.Contains(err.Error(), "params.status") {
		t.Fatalf("bad status accepted by the timeline: %v", err)
	}
}

// Faults switched on and off while requests are served: no race (run with
// -race), and every answer is either the operation's or the fault's.
func TestFaultSetChangesWhileServing(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultStatus, Rate: 0.5, Params: map[string]string{"status": "502"}})
			if err != nil {
				t.Error(err)
				return
			}
			fs.List()
			if i%2 == 0 {
				fs.Remove(id)
			} else {
				fs.Clear()
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if got := call(t, m, "GET", "/v1/pets/1", "", key, "k").StatusCode; got != 200 && got != 502 {
					t.Errorf("status %d", got)
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
}

// A request answered by a fault without reaching the operation is still
// validated: the journal says it conformed (or not), so the contract gate
// does not count faulted requests as invalid.
func TestFaultedRequestsAreStillValidated(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	for _, kind := range []string{toolkit.FaultStatus, toolkit.FaultRateLimited, toolkit.FaultExpiredCredentials} {
		fs.Clear()
		if _, err := fs.Add(toolkit.HTTPFault{Kind: kind}); err != nil {
			t.Fatal(err)
		}
		m.Journal().Reset()
		call(t, m, "GET", "/v1/pets/1", "", key, "k")
		call(t, m, "GET", "/v1/pets/1", "", key, "k") // expired_credentials: refused again
		call(t, m, "GET", "/v1/pets/0", "", key, "k") // petId below its minimum
		call(t, m, "POST", "/v1/pets", `{"name":"Rex","species":"dog"}`, key, "k", "Content-Type", "application/json")
		es := m.Journal().Entries(toolkit.Filter{})
		if es[0].Fault == "" || es[1].Fault == "" || !es[0].Valid || !es[1].Valid {
			t.Errorf("%s: a valid faulted request is journaled invalid: %+v", kind, es[0])
		}
		if es[2].Valid || len(es[2].Violations) == 0 {
			t.Errorf("%s: an invalid request is journaled valid: %+v", kind, es[2])
		}
		if kind != toolkit.FaultExpiredCredentials && (es[3].Fault == "" || !es[3].Valid) {
			t.Errorf("%s: a valid POST, faulted: %+v", kind, es[3])
		}
	}
}
