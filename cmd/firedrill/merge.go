package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/scenarios"
)

func newMergeCmd(st *state) *cobra.Command {
	var (
		out        string
		thresholds []string
		serve      string
		shards     int
		timeout    time.Duration
		lead       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "merge RUN_DIR... | merge --serve ADDR --shards N",
		Short: "Merge the run folders of a sharded run exactly and judge it as one run",
		Long: `merge puts a sharded run back together: the shards' HDR histograms are added
(per second, per step, per iteration), their counts summed and their seconds
aligned, so percentiles are those of the whole run within the histograms'
precision (3 significant digits), never an average of the shards'. The load
thresholds (the scenario's load gates, and --threshold) are judged again on the
merge, sliding windows ("p99 < 500ms over any 10s") included; every other gate
is each shard's own, failing when it failed in any shard. It writes the usual
reports and exits with the verdict's code.

It refuses to judge part of a run: a shard missing, a shard interrupted or
stopped by a set-up failure, shards of different scenarios, seeds or shard
counts, a folder without its histograms. That is exit 3, never a pass.

With --serve it is the coordinator of the shards: they join it (run --barrier
URL), start together at the time it gives them once all N have joined, and
send it their files at the end; it merges once every shard has sent, or fails
after --timeout naming the shards that never did.

Exit codes: 0 every gate passed, 1 a gate failed, 2 a bad flag, 3 a shard
missing or stopped (no verdict), 130 interrupted.`,
		Example: `  firedrill merge runs/shard-0 runs/shard-1 runs/shard-2 --out runs/merged
  firedrill merge --serve :7070 --shards 4 --out /results --timeout 15m`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			ts, err := load.ParseThresholds(thresholds...)
			if err != nil {
				return usage("--threshold: %w", err)
			}
			if out == "" {
				out = filepath.Join("runs", time.Now().UTC().Format("20060102-150405")+"-merged")
			}
			switch {
			case serve != "" && len(dirs) > 0:
				return usage("merge takes run folders or --serve, not both")
			case serve == "" && len(dirs) == 0:
				return usage("merge needs run folders, or --serve ADDR --shards N")
			case serve == "" && shards != 0:
				return usage("--shards is for --serve")
			case serve != "":
				if shards < 1 || shards > load.MaxShards {
					return usage("--shards %d: want 1 to %d", shards, load.MaxShards)
				}
				if timeout <= 0 {
					return usage("--timeout %s: want a positive duration", timeout)
				}
				if dirs, err = coordinate(cmd.Context(), st, serve, shards, out, timeout, lead); err != nil {
					return err
				}
			}
			m, err := scenarios.MergeShards(dirs, ts)
			if err != nil {
				fmt.Fprintf(st.stdout, "\nNO VERDICT: %v\n", err)
				return fmt.Errorf("%w: %w", errReported, err)
			}
			written, err := ci.WriteFiles(ci.Dir(out), m.Report)
			if err == nil {
				err = m.Load.WriteRunFiles(out, load.Shard{})
			}
			if err != nil {
				return ci.WithExit(ci.ExitSetup, err)
			}
			printVerdict(st, &scenarios.Outcome{Dir: out, Verdict: written.Verdict()})
			return written.Verdict().Err()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "", "folder of the merged reports (default runs/<time>-merged; with --serve the shards' files go in it too)")
	fl.StringArrayVar(&thresholds, "threshold", nil, "a load threshold to judge on the merge besides the shards' load gates, e.g. 'p99 < 500ms over any 10s' (repeatable)")
	fl.StringVar(&serve, "serve", "", "be the shards' coordinator on this address (host:port, :7070)")
	fl.IntVar(&shards, "shards", 0, "with --serve: how many shards the run has")
	fl.DurationVar(&timeout, "timeout", 30*time.Minute, "with --serve: how long to wait for every shard's files")
	fl.DurationVar(&lead, "lead", scenarios.DefaultLead, "with --serve: time from the last shard's join to the start")
	return cmd
}

// coordinate serves the coordinator until every shard has sent its files
// (their folders, in shard order) or the timeout names who is missing.
func coordinate(ctx context.Context, st *state, addr string, n int, out string, timeout, lead time.Duration) ([]string, error) {
	c, err := scenarios.NewCoordinator(n, out, lead, st.logger)
	if err != nil {
		return nil, usage("%w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("--serve: %w", err))
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}()
	fmt.Fprintf(st.stderr, "merge: coordinating %d shards on %s (their files into %s), waiting up to %s\n", n, ln.Addr(), out, timeout)
	wctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("--timeout %s", timeout))
	defer cancel()
	dirs, err := c.Wait(wctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ci.WithExit(ci.ExitInterrupted, err)
		}
		fmt.Fprintf(st.stdout, "\nNO VERDICT: %v\n", err)
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("%w: %w", errReported, err))
	}
	return dirs, nil
}
