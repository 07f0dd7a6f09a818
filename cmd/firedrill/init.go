package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

func newInitCmd(st *state) *cobra.Command {
	var (
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "init CONTRACT...",
		Short: "Write a commented starter scenario from contracts",
		Long: `init reads each contract and writes a starter scenario: a stateful mock of
each vendor, a flow that creates and reads back a record of the first
collection it finds (with the credentials and required headers the contract
asks for), a commented service under test, a fault and gates to adapt. It
validates and runs as written. Contract paths in it are relative to where it
is saved.`,
		Example: `  firedrill init contracts/shop.openapi.yaml contracts/crm.graphql --out scenarios/drill.yaml
  firedrill init vendor.json > scenario.yaml`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			if out != "" {
				if dir, err = filepath.Abs(filepath.Dir(out)); err != nil {
					return ci.WithExit(ci.ExitUsage, fmt.Errorf("--out: %w", err))
				}
				if _, err := os.Stat(out); err == nil && !force {
					return ci.WithExit(ci.ExitUsage, fmt.Errorf("--out: %s exists; add --force to replace it", out))
				}
			}
			paths := make([]string, len(args))
			for i, a := range args {
				if paths[i], err = filepath.Abs(a); err != nil {
					return ci.WithExit(ci.ExitUsage, err)
				}
			}
			data, err := scenarios.Starter(cmd.Context(), dir, paths...)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			if out == "" {
				_, err = st.stdout.Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("--out: %w", errors.Unwrap(err)))
			}
			fmt.Fprintf(st.stderr, "wrote %s; check it with: firedrill validate %s\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the scenario to this file (contract paths become relative to it)")
	cmd.Flags().BoolVar(&force, "force", false, "replace --out if it exists")
	return cmd
}
