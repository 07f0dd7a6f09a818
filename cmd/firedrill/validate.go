package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

func newValidateCmd(st *state) *cobra.Command {
	var (
		printSchema bool
		runtime     string
	)
	cmd := &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files without running them",
		Long: `validate parses each scenario strictly and checks its meaning: unknown
fields, wrong types, bad durations, missing contracts, references to systems
that do not exist, cycles. Every problem is listed with file:line:column and
the field path. Exit 0 when every file is valid, 2 otherwise.

--schema prints the JSON Schema of the scenario format instead, for editors:
put "# yaml-language-server: $schema=scenario.schema.json" on top of a file.`,
		Example: `  firedrill validate examples/ordersync/scenarios/flagship.yaml
  firedrill validate --runtime docker examples/ordersync/scenarios/flagship.yaml
  firedrill validate --schema > scenario.schema.json`,
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if printSchema {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			if printSchema {
				_, err := st.stdout.Write(scenarios.Schema)
				return err
			}
			failed := 0
			for _, file := range args {
				_, err := readScenario(file, runtime)
				var se *scenarios.Error
				switch {
				case errors.As(err, &se):
					failed++
					for _, p := range se.Problems {
						fmt.Fprintln(st.stdout, p.String())
					}
				case err != nil:
					failed++
					fmt.Fprintf(st.stdout, "%s: %v\n", file, err)
				default:
					fmt.Fprintf(st.stdout, "%s: valid\n", file)
				}
			}
			if failed > 0 {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("%d of %d scenario files are invalid", failed, len(args)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&printSchema, "schema", false, "print the JSON Schema of scenario files")
	runtimeFlag(cmd, &runtime)
	return cmd
}
