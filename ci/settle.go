package ci

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultSettleInterval is how long Settle waits between two runs of a check.
const DefaultSettleInterval = 500 * time.Millisecond

// DefaultStableFor is how long a check whose only failures are mismatched
// fields must stay the same before Settle stops early: a field mapped
// wrong does not right itself, and waiting out the whole settle window
// for it only makes the run longer.
const DefaultStableFor = 3 * time.Second

// onlyMismatched reports whether the result's only failures are
// mismatched fields: every record is there, once, and evaluates.
func (r *Result) onlyMismatched() bool {
	return !r.Passed && r.Mismatched.Count > 0 && r.Missing.Count == 0 &&
		(r.Unexpected.Count == 0 || r.Expect == Subset) && (r.Duplicated.Count == 0 || r.Expect == AtLeastOnce) &&
		r.SourceDuplicates.Count == 0 && r.Errors.Count == 0
}

// counts is what must stay the same for a check to be stable.
func (r *Result) counts() string {
	return fmt.Sprint(r.Source, r.Target, r.Matched, r.Missing.Count, r.Unexpected.Count, r.Duplicated.Count,
		r.Mismatched.Count, r.SourceDuplicates.Count, r.Errors.Count, r.FieldMismatches)
}

// Settle runs the check until it passes or within has passed (eventual
// consistency): the result of the last run, with Attempts and, when it
// passed, Converged: how long after the first run began it first passed.
// Reading errors are retried too (a system may still be recovering); when
// no run succeeds by the deadline, the last error is returned. ctx ends
// the wait early, and so does a check whose only failures are mismatched
// fields and whose counts have not moved for StableFor.
func (k *Checker) Settle(ctx context.Context, within, every time.Duration) (Result, error) {
	if every <= 0 {
		every = DefaultSettleInterval
	}
	start := time.Now()
	deadline := start.Add(within)
	stableFor := k.check.StableFor
	if stableFor <= 0 {
		stableFor = DefaultStableFor
	}
	var (
		last    Result
		lastErr error
		ran     bool
		// since when the counts have been what they are, with only
		// mismatches left
		stable      time.Time
		stableCount string
	)
	for attempt := 1; ; attempt++ {
		res, err := k.Run(ctx)
		if err == nil {
			last, lastErr, ran = res, nil, true
			last.Attempts = attempt
			if res.Passed {
				last.Converged = time.Since(start)
				return last, nil
			}
			switch c := res.counts(); {
			case !res.onlyMismatched():
				stable = time.Time{}
			case stable.IsZero() || c != stableCount:
				stable, stableCount = time.Now(), c
			case time.Since(stable) >= stableFor:
				last.Reason = fmt.Sprintf("%s (stopped settling after %s: only fields mismatched, and nothing moved for %s)",
					last.Reason, time.Since(start).Round(time.Millisecond), stableFor)
				return last, nil
			}
		} else {
			lastErr = err
		}
		wait := every
		if rest := time.Until(deadline); rest < wait {
			wait = rest
		}
		if wait <= 0 || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	if !ran {
		return last, fmt.Errorf("ci: check %q did not settle within %s: %w", k.check.Name, within, lastErr)
	}
	last.Reason = fmt.Sprintf("not consistent within %s after %d attempts: %s", within, last.Attempts, last.Reason)
	if lastErr != nil {
		last.Reason += fmt.Sprintf(" (last read failed: %v)", lastErr)
	}
	return last, nil
}

// SettleAll settles every check at once, on one shared deadline, and
// returns their results in order. The first reading error that outlives
// the deadline is returned with the results gathered.
func SettleAll(ctx context.Context, checks []*Checker, within, every time.Duration) ([]Result, error) {
	results := make([]Result, len(checks))
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, k := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = k.Settle(ctx, within, every)
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
