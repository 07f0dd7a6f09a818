package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
)

func newReportCmd(st *state) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report RUN_DIR [RUN_DIR_B]",
		Short: "Write a run folder's reports again, or show two runs side by side",
		Long: `With one run folder, report reads its summary.json and writes report.html,
summary.md, junit.xml and summary.json again in this firedrill's format
(into --out, or the folder itself): for a run kept from an older release.

With two, it prints both runs side by side in Markdown, as a release
reviewer reads them: the firedrill version, the scenario's and each
contract's digest (marked where they differ), the verdicts, and every gate
with its status and measure in each run and how it moved (newly failing,
fixed). It exits 0: the comparison judges nothing.`,
		Example: `  firedrill report runs/2026-12-01-flagship
  firedrill report runs/before runs/after > comparison.md`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			reps := make([]ci.Report, len(args))
			for i, dir := range args {
				r, err := readRunFolder(dir)
				if err != nil {
					return ci.WithExit(ci.ExitUsage, err)
				}
				reps[i] = r
			}
			if len(reps) == 2 {
				if out != "" {
					return usage("--out writes one run's reports; two runs are compared on stdout")
				}
				return ci.WriteSideBySide(st.stdout, reps[0], reps[1])
			}
			dir := args[0]
			if out != "" {
				dir = out
			}
			if err := ci.WriteAll(dir, reps[0]); err != nil {
				return ci.WithExit(ci.ExitSetup, err)
			}
			_, err := fmt.Fprintf(st.stdout, "reports of %s written to %s\n", args[0], dir)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the reports into this folder instead of the run folder")
	return cmd
}

// readRunFolder reads the report a run folder's summary.json holds.
func readRunFolder(dir string) (ci.Report, error) {
	path := filepath.Join(dir, "summary.json")
	f, err := os.Open(path)
	if err != nil {
		return ci.Report{}, fmt.Errorf("%s: not a run folder: %w", dir, err)
	}
	defer f.Close()
	r, err := ci.ReadJSON(f)
	if err != nil {
		return ci.Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
