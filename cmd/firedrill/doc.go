package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

func newDocCmd(st *state) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "doc SCENARIO",
		Short: "Write the integration's datasheet in Markdown",
		Long: `doc writes the datasheet of the integration a scenario tests: its systems and
the direction data flows between them, the mapped fields with their
transformations (from the consistency checks), triggers and rates (from the
load), error handling (from the faults and the resilience gates), the owner
and the service levels (the thresholds). Nothing is run.`,
		Example: `  firedrill doc examples/ordersync/scenarios/flagship.yaml > ordersync.md
  firedrill doc scenario.yaml --out docs/integration.md`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scenarios.ReadFile(args[0])
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			if out == "" {
				return scenarios.WriteDatasheet(st.stdout, s)
			}
			f, err := os.Create(out)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("--out: %w", err))
			}
			if err := scenarios.WriteDatasheet(f, s); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	return cmd
}
