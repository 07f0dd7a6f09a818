package load

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Limits and defaults of a run.
const (
	// MaxDuration is the hard cap on any attack, whatever the plan says.
	MaxDuration = 30 * time.Minute
	// MaxRate bounds the rate of any schedule, in hits per second.
	MaxRate = 1_000_000
	// DefaultMaxWorkers bounds vegeta's worker pool for each step: enough for
	// 1,000 requests in flight (120/s against an 8s answer). Vegeta's own
	// default is unbounded, which collapses above ~20,000 hits/s on a small
	// machine; on a saturated one, fewer workers kept the same throughput
	// with a third of the p99.
	DefaultMaxWorkers = 1000
	// MinWorkers is the smallest worker cap a run sizes, and the first.
	MinWorkers = 64
	// WorkerHeadroom multiplies Little's law (rate × p99) when sizing the cap.
	WorkerHeadroom = 4
	// SegmentLength is how often the first step's worker cap is resized from
	// the latency observed in the segment before.
	SegmentLength = time.Second
	// DefaultTimeout bounds each request.
	DefaultTimeout = 30 * time.Second
	// DefaultDrain bounds the wait for iterations in flight once the
	// schedule is over.
	DefaultDrain = 10 * time.Second
)

// Option configures a run. Options that cannot apply return an error.
type Option func(*runner) error

// WithResults streams every step's vegeta.Result to w in vegeta's gob
// encoding, readable by `vegeta report`, `vegeta plot` and Merge.
func WithResults(w io.Writer) Option {
	return func(r *runner) error {
		if w == nil {
			return errors.New("load: WithResults: nil writer")
		}
		r.out = w
		return nil
	}
}

// WithAllowHosts lets load go to these host names besides loopback.
func WithAllowHosts(hosts ...string) Option {
	return func(r *runner) error {
		r.guard.allow(hosts...)
		return nil
	}
}

// WithMaxWorkers bounds each step's vegeta worker pool (DefaultMaxWorkers).
func WithMaxWorkers(n uint64) Option {
	return func(r *runner) error {
		if n == 0 {
			return errors.New("load: WithMaxWorkers: 0 workers")
		}
		r.maxWorkers = n
		return nil
	}
}

// WithTimeout bounds each request (DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(r *runner) error {
		if d <= 0 {
			return fmt.Errorf("load: WithTimeout: %s is not positive", d)
		}
		r.timeout = d
		return nil
	}
}

// WithDrain bounds the wait for iterations in flight after the schedule
// (DefaultDrain).
func WithDrain(d time.Duration) Option {
	return func(r *runner) error {
		if d < 0 {
			return fmt.Errorf("load: WithDrain: %s is negative", d)
		}
		r.drain = d
		return nil
	}
}

// WithSeed makes ${uuid}, ${rand} and generated bodies reproducible.
func WithSeed(seed uint64) Option {
	return func(r *runner) error {
		r.seed = seed
		return nil
	}
}

// WithProgress calls fn about once a second with the run so far, from the
// goroutine that collects results: fn must return quickly.
func WithProgress(fn func(Progress)) Option {
	return func(r *runner) error {
		r.progress = fn
		return nil
	}
}

// WithLogger logs what the run does (slog.Default when not given).
func WithLogger(l *slog.Logger) Option {
	return func(r *runner) error {
		if l == nil {
			return errors.New("load: WithLogger: nil logger")
		}
		r.log = l
		return nil
	}
}

// Progress is the state of a run, reported about once a second.
type Progress struct {
	Elapsed, Total time.Duration
	Requests       uint64        // all steps, so far
	Errors         uint64        // all steps, so far
	Rate           float64       // requests per second over the last second
	P99            time.Duration // over the last second, all steps
	Lag            time.Duration // how far the generator is behind schedule
	// Expected is the rate of iterations this process should send now:
	// its shard's share of the schedule's.
	Expected float64
}
