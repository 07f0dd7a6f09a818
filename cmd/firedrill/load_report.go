package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// newLoadReportCmd merges result files of several shards into one summary.
func newLoadReportCmd(st *state) *cobra.Command {
	var thresholds []string
	var target string
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Merge result files (one per shard) into one summary and check thresholds",
		Long: `Read result files written by 'firedrill load --out' (Vegeta's gob, JSON or
CSV encoding), merge them into one report, print the summary and check the
thresholds. Exit 1 when a threshold fails, 2 when a file cannot be read.`,
		Example: `  firedrill load report shard-1.bin shard-2.bin --threshold 'p99 < 500ms' --target 120/s`,
		Args:    usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			ths, err := load.ParseThresholds(thresholds...)
			if err != nil {
				return usage("--threshold: %w", err)
			}
			for _, f := range files {
				if _, err := os.Stat(f); err != nil {
					return usage("%w", err)
				}
			}
			rep, err := load.Merge(files...)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			if target != "" {
				if rep.Target, err = parseRate(target); err != nil {
					return usage("--target %q: %v", target, err)
				}
			}
			verdicts, pass := load.CheckAll(rep, ths)
			if err := printLoadSummary(st.stdout, rep, verdicts); err != nil {
				return err
			}
			if !pass {
				return ci.WithExit(ci.ExitFail, fmt.Errorf("%w: a threshold failed", errReported))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&thresholds, "threshold", nil, "pass/fail condition, e.g. 'p99 < 500ms' (repeatable)")
	cmd.Flags().StringVar(&target, "target", "", "the rate the shards aimed at together, for 'rate >= 0.98 * target'")
	return cmd
}
