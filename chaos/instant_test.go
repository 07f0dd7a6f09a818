package chaos

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestInstantEvents: an event with a Fault and for 0 is applied once at its
// time and never reverted (a record written stays); the audit log says
// fire, with its outcome; a failed one is an error of the run; neither has
// a window. A toxic cannot be instant.
func TestInstantEvents(t *testing.T) {
	t.Parallel()
	fired := make(chan time.Duration, 2)
	var start time.Time
	var reverted bool
	ok := FaultFunc(func(context.Context) (Revert, error) {
		fired <- time.Since(start)
		return func(context.Context) error { reverted = true; return nil }, nil
	})
	failing := FaultFunc(func(context.Context) (Revert, error) { return nil, errors.New("no record c-9") })
	var audit syncBuffer
	tl, err := NewTimeline([]Event{
		{At: 80 * time.Millisecond, Target: "shop", Kind: "insert", Fault: ok},
		{At: 0, Target: "crm", Kind: "update", Fault: failing},
	}, WithAuditLog(&audit))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = tl.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `event 1 (update on "crm"): no record c-9`) {
		t.Errorf("Run: %v, want the failed instant named", err)
	}
	if at := <-fired; at < 80*time.Millisecond {
		t.Errorf("fired %s after the start, before its time", at)
	}
	if len(fired) != 0 || reverted {
		t.Errorf("fired again or reverted (reverted %v)", reverted)
	}
	if ws := tl.Windows(); len(ws) != 0 {
		t.Errorf("windows %+v, want none for instants", ws)
	}
	var fires []string
	for _, r := range readAudit(t, audit.Bytes()) {
		switch r.Action {
		case ActionFire:
			fires = append(fires, r.Target+":"+r.Outcome+":"+r.Error)
		case ActionApply, ActionRevert:
			t.Errorf("audit %s for an instant", r.Action)
		}
	}
	if strings.Join(fires, ",") != "crm:error:no record c-9,shop:ok:" {
		t.Errorf("audit fires %q", fires)
	}
	if _, err := NewTimeline([]Event{{At: 0, Target: "p", Kind: "latency", Params: map[string]string{"latency": "1s"}}}); err == nil || !strings.Contains(err.Error(), "for 0s must be positive") {
		t.Errorf("a toxic for 0: %v, want refused", err)
	}
}
