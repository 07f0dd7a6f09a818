package chaos

import (
	"context"
	"errors"
	"fmt"
)

// TestFault checks that f behaves as the timeline needs, whatever it
// injects: off before, on after Apply, off after its Revert, and a second
// Revert harmless (rollback may revert what a timer just reverted). active
// reports whether the fault's effect is observable now. TestFault returns
// one error listing every problem, or nil; it takes no *testing.T, so a
// mock's faults and Toxiproxy's are checked alike.
func TestFault(ctx context.Context, f Fault, active func(context.Context) (bool, error)) error {
	var errs []error
	check := func(when string, want bool) {
		on, err := active(ctx)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: observe: %w", when, err))
		case on != want:
			errs = append(errs, fmt.Errorf("%s: fault on = %v, want %v", when, on, want))
		}
	}
	check("before Apply", false)
	revert, err := f.Apply(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("apply: %w", err))
	}
	if revert == nil {
		return fmt.Errorf("chaos: fault test: %w", errors.Join(append(errs, errors.New("apply returned no revert"))...))
	}
	if err == nil {
		check("after Apply", true)
	}
	if err := revert(ctx); err != nil {
		errs = append(errs, fmt.Errorf("revert: %w", err))
	}
	check("after Revert", false)
	if err := revert(ctx); err != nil {
		errs = append(errs, fmt.Errorf("second revert: %w", err))
	}
	check("after a second Revert", false)
	if len(errs) > 0 {
		return fmt.Errorf("chaos: fault test: %w", errors.Join(errs...))
	}
	return nil
}
