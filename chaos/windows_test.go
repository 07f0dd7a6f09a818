package chaos

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWindowsAreWhatWasApplied: a timeline's windows are the faults as
// they were on, agreeing with its audit log: one that ran its course ends
// on schedule; one the run's end cut short ends when it was reverted, not
// when it was planned to; one that never started, or whose Apply failed,
// has none.
func TestWindowsAreWhatWasApplied(t *testing.T) {
	t.Parallel()
	p := newProbe()
	failing := FaultFunc(func(context.Context) (Revert, error) { return nil, errors.New("refused") })
	var audit syncBuffer
	tl, err := NewTimeline([]Event{
		{At: 0, For: 50 * time.Millisecond, Target: "a", Kind: "whole", Fault: p.fault("whole")},
		{At: 100 * time.Millisecond, For: time.Hour, Target: "b", Kind: "cut", Fault: p.fault("cut")},
		{At: time.Hour, For: time.Second, Target: "c", Kind: "never", Fault: p.fault("never")},
		{At: 0, For: time.Hour, Target: "d", Kind: "refused", Fault: failing},
	}, WithAuditLog(&audit))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = tl.Run(ctx)
	ended := time.Now()
	ws := tl.Windows()
	got := map[string]Window{}
	for _, w := range ws {
		got[w.Kind] = w
	}
	if len(ws) != 2 || got["whole"].Target != "a" || got["cut"].Target != "b" || got["cut"].Event != 1 {
		t.Fatalf("windows %+v, want one for the whole fault and one for the cut one", ws)
	}
	whole, cut := got["whole"], got["cut"]
	if d := whole.End.Sub(whole.Start); d < 45*time.Millisecond || d > time.Second {
		t.Errorf("the whole fault was on %s, want about 50ms", d)
	}
	if at := cut.Start.Sub(start); at < 100*time.Millisecond {
		t.Errorf("the cut fault starts %s after the run, before its time", at)
	}
	// Cut short by the run's end (300ms), not planned to an hour.
	if cut.End.After(ended) || cut.End.Sub(start) < 290*time.Millisecond {
		t.Errorf("the cut fault ends %s after the start (the run ended after %s)", cut.End.Sub(start), ended.Sub(start))
	}
	// The audit log says the same: the apply returned at Start, the revert began at End.
	for _, r := range readAudit(t, audit.Bytes()) {
		if r.Event == nil || *r.Event != 1 {
			continue
		}
		var at time.Time
		switch r.Action {
		case ActionApply:
			at = r.Time.Add(time.Duration(r.TookMS * float64(time.Millisecond)))
			if d := at.Sub(cut.Start); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("apply record ends at %s, window starts at %s", at, cut.Start)
			}
		case ActionRevert:
			if !r.Time.Equal(cut.End.UTC()) {
				t.Errorf("revert record at %s, window ends at %s", r.Time, cut.End)
			}
		}
	}
}
