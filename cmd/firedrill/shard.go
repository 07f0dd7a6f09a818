package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/scenarios"
)

// shardFlags are the flags of a run that is one shard of several: its
// share, and how it lines up with the others.
type shardFlags struct {
	shard, startAt, barrier string
	barrierTimeout          time.Duration
}

func (f *shardFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.shard, "shard", "", "run shard i of N (i from 0: 0/4 to 3/4): an exact share of the rate, of the iterations and of the seeded data")
	fl.StringVar(&f.startAt, "start-at", "", "start the attack at this instant (RFC 3339, the same for every shard)")
	fl.StringVar(&f.barrier, "barrier", "", "the coordinator's URL (firedrill merge --serve): join it, start when every shard has, send it the results")
	fl.DurationVar(&f.barrierTimeout, "barrier-timeout", scenarios.DefaultBarrierTimeout, "bound on the wait for the other shards at the barrier")
}

// parse reads the flags; a zero Shard when --shard is not given.
func (f shardFlags) parse() (load.Shard, time.Time, error) {
	var sh load.Shard
	var at time.Time
	if f.shard != "" {
		var err error
		if sh, err = load.ParseShard(f.shard); err != nil {
			return sh, at, usage("--shard: %w", err)
		}
	}
	if f.startAt != "" {
		var err error
		if at, err = time.Parse(time.RFC3339Nano, f.startAt); err != nil {
			return sh, at, usage("--start-at %q: want an RFC 3339 time such as 2026-12-07T03:00:00Z", f.startAt)
		}
	}
	if (f.startAt != "" || f.barrier != "") && f.shard == "" {
		return sh, at, usage("--start-at and --barrier line shards up: give --shard i/N too")
	}
	if f.startAt != "" && f.barrier != "" {
		return sh, at, usage("--start-at or --barrier, not both")
	}
	if f.barrierTimeout <= 0 {
		return sh, at, usage("--barrier-timeout %s: want a positive duration", f.barrierTimeout)
	}
	return sh, at, nil
}

func (f shardFlags) String() string { return fmt.Sprintf("shard %s", f.shard) }
