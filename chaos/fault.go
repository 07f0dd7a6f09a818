package chaos

import (
	"context"
	"errors"
	"fmt"
)

// Revert undoes one applied fault. It is called with a fresh context that
// has a deadline, since the run that applied the fault may be cancelled.
type Revert func(ctx context.Context) error

// Fault is anything the timeline can switch on and off: a toxic on a
// Toxiproxy proxy, a disabled proxy, an HTTP fault of a mock.
//
// Apply switches the fault on and returns how to switch it off. When Apply
// fails after it may have changed something, it returns a non-nil Revert
// with its error, and the timeline calls it.
type Fault interface {
	Apply(ctx context.Context) (Revert, error)
}

// FaultFunc adapts a function to the Fault interface.
type FaultFunc func(ctx context.Context) (Revert, error)

// Apply calls f(ctx).
func (f FaultFunc) Apply(ctx context.Context) (Revert, error) { return f(ctx) }

// Fault returns t on the proxy named proxy as a Fault for a timeline.
func (tp *Toxiproxy) Fault(proxy string, t Toxic) Fault {
	return FaultFunc(func(ctx context.Context) (Revert, error) { return tp.Apply(ctx, proxy, t) })
}

// Apply switches t on for the proxy named proxy and returns its revert. For
// a toxic, the revert removes it (a toxic already gone counts as removed).
// For Down, Apply disables the proxy and the revert enables it again (a
// proxy deleted meanwhile counts as done); a proxy that was already
// disabled is left as it was, and so is its revert.
func (tp *Toxiproxy) Apply(ctx context.Context, proxy string, t Toxic) (Revert, error) {
	if t.Kind == Down {
		return tp.applyDown(ctx, proxy)
	}
	name := t.name()
	revert := func(ctx context.Context) error {
		err := tp.RemoveToxic(ctx, proxy, name)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	err := tp.AddToxic(ctx, proxy, t)
	var apiErr *APIError
	switch {
	case err == nil:
		return revert, nil
	case errors.As(err, &apiErr) || errors.Is(err, ErrInvalid):
		// The server refused: nothing was added, and a toxic of that
		// name may belong to someone else. Nothing to revert.
		return nil, err
	default:
		// The answer was lost: the toxic may be there.
		return revert, err
	}
}

func (tp *Toxiproxy) applyDown(ctx context.Context, proxy string) (Revert, error) {
	p, err := tp.Lookup(ctx, proxy)
	if err != nil {
		return nil, fmt.Errorf("chaos: down %q: %w", proxy, err)
	}
	if !p.Enabled {
		return func(context.Context) error { return nil }, nil
	}
	revert := func(ctx context.Context) error {
		err := tp.SetEnabled(ctx, proxy, true)
		if errors.Is(err, ErrNotFound) {
			return nil // the proxy was deleted: nothing to bring back
		}
		return err
	}
	if err := tp.SetEnabled(ctx, proxy, false); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, err
		}
		return revert, err
	}
	return revert, nil
}
