package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxShards bounds the number of shards of one run.
const MaxShards = 1024

// Shard is one process's part of a run spread over Count processes: it
// makes the iterations k (0-based, in schedule order) with k % Count ==
// Index, so the shards together send exactly what one process would. The
// zero value is not sharded, the same as {0, 1}.
type Shard struct{ Index, Count int }

// ParseShard reads "i/N", i counted from 0 as Kubernetes'
// JOB_COMPLETION_INDEX is: 0/4 to 3/4.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("load: shard %q: want i/N, e.g. 0/4 (the index counts from 0)", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("load: shard %q: want whole numbers i/N, e.g. 0/4", s)
	}
	sh := Shard{Index: i, Count: n}
	return sh, sh.validate()
}

func (s Shard) validate() error {
	switch {
	case s.Count < 1 || s.Count > MaxShards:
		return fmt.Errorf("load: shard %d/%d: the count must be from 1 to %d", s.Index, s.Count, MaxShards)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("load: shard %d/%d: the index counts from 0, so 0/%d to %d/%d", s.Index, s.Count, s.Count, s.Count-1, s.Count)
	}
	return nil
}

// norm turns the zero value into {0, 1}.
func (s Shard) norm() Shard {
	if s == (Shard{}) {
		return Shard{0, 1}
	}
	return s
}

// String writes "i/N".
func (s Shard) String() string {
	s = s.norm()
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// Sharded reports whether s is one part of several.
func (s Shard) Sharded() bool { return s.norm().Count > 1 }

// global is the 0-based iteration of the whole run that this shard's
// local iteration j (0-based) is.
func (s Shard) global(j uint64) uint64 {
	s = s.norm()
	return uint64(s.Index) + j*uint64(s.Count)
}

// share is how many of the first hits of the whole schedule are this
// shard's.
func (s Shard) share(hits uint64) uint64 {
	s = s.norm()
	if hits <= uint64(s.Index) {
		return 0
	}
	return (hits-uint64(s.Index)-1)/uint64(s.Count) + 1
}

// WithShard makes the run shard s of s.Count: it sends the iterations k
// of the whole schedule with k % Count == Index, at their times in the
// schedule, with the ${seq} (k+1) and the seeded randomness (${rand},
// ${uuid}, BodyFunc) one process would give them. With the same WithSeed,
// the shards together send what one process would. Report.Target stays
// the whole run's.
func WithShard(s Shard) Option {
	return func(r *runner) error {
		if err := s.norm().validate(); err != nil {
			return errors.New("load: WithShard: " + strings.TrimPrefix(err.Error(), "load: "))
		}
		r.shard = s.norm()
		return nil
	}
}

// MaxStartLate is how late a run may begin after its WithStartAt time;
// later, its first hits would go out in a burst to catch up.
const MaxStartLate = time.Second

// WithStartAt begins the run at t, waiting until then: shards given the
// same t (a start barrier) start their schedules, and count their seconds,
// from the same instant, so their per-second histograms align exactly
// when merged. Run fails when t passed more than MaxStartLate ago.
func WithStartAt(t time.Time) Option {
	return func(r *runner) error {
		if t.IsZero() {
			return errors.New("load: WithStartAt: zero time")
		}
		r.startAt = t
		return nil
	}
}

func (r *runner) waitStart(ctx context.Context) error {
	if r.startAt.IsZero() {
		return nil
	}
	wait := time.Until(r.startAt)
	if -wait > MaxStartLate {
		return fmt.Errorf("load: the start time %s passed %s ago", r.startAt.Format(time.RFC3339Nano), (-wait).Round(time.Millisecond))
	}
	t := time.NewTimer(max(wait, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("load: cancelled before the start time: %w", ctx.Err())
	}
}
