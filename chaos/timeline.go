package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the timeline options.
const (
	// DefaultRollbackTimeout bounds each revert. Reverts run on a fresh
	// context, since the run's own may be cancelled.
	DefaultRollbackTimeout = 10 * time.Second
	// DefaultApplyTimeout bounds each Apply.
	DefaultApplyTimeout = 10 * time.Second
)

// Event is one fault of a timeline: switched on At after the start, off For
// later. Events may overlap. An event with a Fault and For 0 is an
// instant: its Fault is applied once, at At, and nothing is reverted (a
// record written into a mock stays); the audit log records it as a fire,
// and it has no window.
type Event struct {
	At, For time.Duration
	// Target is what the fault applies to: a proxy name, or a system for
	// a mock's fault. It goes to the audit log.
	Target string
	// Kind names the fault: a catalogue entry (see Catalogue) or, with
	// Fault set, any name for the audit log.
	Kind   string
	Params map[string]string
	// Fault is what to apply. When nil, the timeline builds it from Kind
	// and Params: a catalogue toxic goes on the proxy named Target of the
	// Toxiproxy given by WithToxiproxy; any other kind goes to the
	// FaultResolver given by WithFaultResolver.
	Fault Fault
}

// EventError is a problem with one event of a timeline.
type EventError struct {
	Index        int
	Kind, Target string
	Err          error
}

// Error names the event by index, kind and target.
func (e *EventError) Error() string {
	return fmt.Sprintf("chaos: event %d (%s on %q): %s", e.Index, e.Kind, e.Target, strings.TrimPrefix(e.Err.Error(), "chaos: "))
}

// Unwrap returns the problem itself.
func (e *EventError) Unwrap() error { return e.Err }

// Timeline switches faults on and off on schedule, writes every change to
// an audit log, and reverts everything it switched on when it ends, when
// its context is cancelled, when Rollback is called and when a panic
// unwinds Run.
type Timeline struct {
	events          []Event
	faults          []Fault
	tp              *Toxiproxy
	resolve         FaultResolver
	audit           *auditLog
	rollbackTimeout time.Duration
	applyTimeout    time.Duration

	ran    atomic.Bool
	mu     sync.Mutex
	start  time.Time
	cancel context.CancelCauseFunc
	active map[int]Revert
	// reverting holds, for each revert under way, a channel closed when
	// it is done.
	reverting map[int]chan struct{}
	// inflight counts the Apply calls under way.
	inflight sync.WaitGroup
	// stopped is set once the run is over or rolled back: a fault whose
	// Apply returns later is reverted at once, with stopReason.
	stopped    bool
	stopReason string
	errs       []error
	// on holds, for each fault on, when its Apply returned; windows the
	// faults that were on and are off again.
	on      map[int]time.Time
	windows []Window
}

// Window is when one fault of a timeline was on, as its audit log records
// it: from when its Apply returned (the apply record's time plus took_ms)
// to when its revert began (the revert record's time), whether it ended on
// schedule, was cut short by the end of the run or by a rollback. A fault
// whose Apply failed, or that never started, has none.
type Window struct {
	Event  int    // index in the timeline
	Target string // the event's Target
	Kind   string // the event's Kind
	Start  time.Time
	End    time.Time
}

// Windows returns when each fault was on, in the order they were switched
// off: what gates that judge a fault's window read, rather than the times
// the events planned. A fault still on has no window yet; after Run
// returns, none is.
func (tl *Timeline) Windows() []Window {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]Window(nil), tl.windows...)
}

// TimelineOption configures a Timeline.
type TimelineOption func(*Timeline) error

// WithToxiproxy is the Toxiproxy on which events without a Fault apply.
func WithToxiproxy(tp *Toxiproxy) TimelineOption {
	return func(tl *Timeline) error {
		if tp == nil {
			return fmt.Errorf("chaos: nil Toxiproxy: %w", ErrInvalid)
		}
		tl.tp = tp
		return nil
	}
}

// FaultResolver builds the Fault of an event whose Kind is not in the toxic
// catalogue, such as an HTTP fault of a mock. It returns nil, nil for a
// kind it does not know.
type FaultResolver func(ev Event) (Fault, error)

// WithFaultResolver sets how events without a Fault and with a Kind outside
// the toxic catalogue get their Fault.
func WithFaultResolver(r FaultResolver) TimelineOption {
	return func(tl *Timeline) error {
		if r == nil {
			return fmt.Errorf("chaos: nil FaultResolver: %w", ErrInvalid)
		}
		tl.resolve = r
		return nil
	}
}

// WithAuditLog writes the audit log, JSON lines, to w (default: nowhere).
func WithAuditLog(w io.Writer) TimelineOption {
	return func(tl *Timeline) error {
		tl.audit = newAuditLog(w)
		return nil
	}
}

// WithRollbackTimeout bounds each revert (default DefaultRollbackTimeout).
func WithRollbackTimeout(d time.Duration) TimelineOption {
	return func(tl *Timeline) error {
		if d <= 0 {
			return fmt.Errorf("chaos: rollback timeout %v must be positive: %w", d, ErrInvalid)
		}
		tl.rollbackTimeout = d
		return nil
	}
}

// WithApplyTimeout bounds each Apply (default DefaultApplyTimeout).
func WithApplyTimeout(d time.Duration) TimelineOption {
	return func(tl *Timeline) error {
		if d <= 0 {
			return fmt.Errorf("chaos: apply timeout %v must be positive: %w", d, ErrInvalid)
		}
		tl.applyTimeout = d
		return nil
	}
}

// NewTimeline checks events and returns a timeline ready to Run. Every
// problem is reported at once, each as an *EventError.
func NewTimeline(events []Event, opts ...TimelineOption) (*Timeline, error) {
	tl := &Timeline{
		events:          append([]Event(nil), events...),
		audit:           newAuditLog(nil),
		rollbackTimeout: DefaultRollbackTimeout,
		applyTimeout:    DefaultApplyTimeout,
		active:          map[int]Revert{},
		reverting:       map[int]chan struct{}{},
		on:              map[int]time.Time{},
	}
	for _, o := range opts {
		if err := o(tl); err != nil {
			return nil, err
		}
	}
	var errs []error
	for i, ev := range tl.events {
		f, err := tl.faultOf(i, ev)
		if err != nil {
			errs = append(errs, &EventError{Index: i, Kind: ev.Kind, Target: ev.Target, Err: err})
		}
		tl.faults = append(tl.faults, f)
	}
	errs = append(errs, overlappingDowns(tl.events)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tl, nil
}

func (tl *Timeline) faultOf(i int, ev Event) (Fault, error) {
	var errs []error
	if ev.At < 0 {
		errs = append(errs, fmt.Errorf("at %v is negative: %w", ev.At, ErrInvalid))
	}
	if ev.For < 0 || ev.For == 0 && ev.Fault == nil {
		errs = append(errs, fmt.Errorf("for %v must be positive: %w", ev.For, ErrInvalid))
	}
	if ev.Target == "" {
		errs = append(errs, fmt.Errorf("no target: %w", ErrInvalid))
	}
	if ev.Fault != nil {
		return ev.Fault, errors.Join(errs...)
	}
	if _, toxic := catalogue[ev.Kind]; !toxic && tl.resolve != nil {
		f, err := tl.resolve(ev)
		if err != nil || f != nil {
			return f, errors.Join(append(errs, err)...)
		}
	}
	if tl.tp == nil {
		return nil, errors.Join(append(errs, fmt.Errorf("no fault given and no Toxiproxy to apply %q on: %w", ev.Kind, ErrInvalid))...)
	}
	t, err := ParseToxic(ev.Kind, ev.Params)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	// A name per event lets events of one kind overlap on one proxy.
	t.Name = fmt.Sprintf("firedrill_%d_%s_%s", i, t.Kind, t.Stream)
	return tl.tp.Fault(ev.Target, t), errors.Join(errs...)
}

// overlappingDowns rejects two down events on one proxy at the same time:
// the first to end would bring the proxy back while the second still runs.
func overlappingDowns(events []Event) []error {
	var errs []error
	for i, a := range events {
		for j := i + 1; j < len(events); j++ {
			b := events[j]
			if a.Fault != nil || b.Fault != nil || a.Kind != Down || b.Kind != Down || a.Target != b.Target {
				continue
			}
			if a.At < b.At+b.For && b.At < a.At+a.For {
				errs = append(errs, &EventError{Index: j, Kind: b.Kind, Target: b.Target,
					Err: fmt.Errorf("overlaps event %d, also down on %q: %w", i, a.Target, ErrInvalid)})
			}
		}
	}
	return errs
}
