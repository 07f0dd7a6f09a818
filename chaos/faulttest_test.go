package chaos

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
)

// TestEveryCatalogueFaultPassesTestFault runs the conformance check on a
// fault of each kind, on an embedded Toxiproxy.
func TestEveryCatalogueFaultPassesTestFault(t *testing.T) {
	t.Parallel()
	tp := chaosSetup(t)
	params := map[string]map[string]string{
		"latency":    {"latency": "10ms"},
		"bandwidth":  {"rate": "100"},
		"slow_close": {"delay": "10ms"},
		"timeout":    {},
		"reset_peer": {},
		"limit_data": {"bytes": "10"},
		"slicer":     {"average_size": "10"},
		Down:         {},
	}
	ctx := context.Background()
	for _, spec := range Catalogue() {
		tx := mustParse(t, spec.Kind, params[spec.Kind])
		active := func(ctx context.Context) (bool, error) {
			p, err := tp.Lookup(ctx, "a")
			if err != nil {
				return false, err
			}
			return len(p.Toxics) > 0 || !p.Enabled, nil
		}
		if err := TestFault(ctx, tp.Fault("a", tx), active); err != nil {
			t.Errorf("%s: %v", spec.Kind, err)
		}
	}
}

// TestFaultFindsBrokenFaults is the negative control: each way a fault can
// break the timeline's contract is reported.
func TestFaultFindsBrokenFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		fault func(on *atomic.Bool) Fault
		want  string
	}{
		{"revert does nothing", func(on *atomic.Bool) Fault {
			return FaultFunc(func(context.Context) (Revert, error) {
				on.Store(true)
				return func(context.Context) error { return nil }, nil
			})
		}, "after Revert: fault on = true, want false"},
		{"apply does nothing", func(on *atomic.Bool) Fault {
			return FaultFunc(func(context.Context) (Revert, error) {
				return func(context.Context) error { return nil }, nil
			})
		}, "after Apply: fault on = false, want true"},
		{"no revert", func(on *atomic.Bool) Fault {
			return FaultFunc(func(context.Context) (Revert, error) { on.Store(true); return nil, nil })
		}, "apply returned no revert"},
		{"second revert fails", func(on *atomic.Bool) Fault {
			return FaultFunc(func(context.Context) (Revert, error) {
				on.Store(true)
				return func(context.Context) error {
					if !on.Swap(false) {
						return ErrNotFound
					}
					return nil
				}, nil
			})
		}, "second revert: not found"},
	} {
		var on atomic.Bool
		active := func(context.Context) (bool, error) { return on.Load(), nil }
		err := TestFault(ctx, tc.fault(&on), active)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
