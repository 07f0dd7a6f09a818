package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
)

// newContractCmd groups the commands that work on contracts themselves.
func newContractCmd(st *state) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "Check vendor contracts (OpenAPI, GraphQL), and providers against them",
		Example: `  firedrill contract lint contracts/accounting.openapi.yaml
  firedrill contract lint contracts/*.yaml contracts/crm.graphql --format json
  firedrill contract diff vendor/accounting-v1.yaml vendor/accounting-v2.yaml --used-by runs/demo/journal-accounting.jsonl
  firedrill contract verify contracts/accounting.openapi.yaml --base-url https://sandbox.accounting.example.com --junit verify.xml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newContractLintCmd(st), newContractDiffCmd(st), newContractVerifyCmd(st))
	return cmd
}

func newContractLintCmd(st *state) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "List the problems of contracts, with severity, file and line",
		Long: `lint loads each contract (OpenAPI 2.0, 3.0, 3.1 in YAML or JSON; GraphQL SDL)
and lists its problems: examples that break their own schema, $refs that
resolve to nothing, patterns Go cannot compile, path templates a router cannot
tell apart, duplicate operationIds, and the findings of strict validation.

Exit status: 0 with no problems or warnings only, 1 when there is an error
(a file that does not parse is one), 2 when a file cannot be read or the
command line is wrong.`,
		Example: `  firedrill contract lint api/shop.openapi.yaml
  firedrill contract lint vendor/stripe.json vendor/crm.graphql --format json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("--format %q: want text or json", format))
			}
			ctx := cmd.Context()
			problems, err := contracts.LintFiles(ctx, args...)
			if err != nil {
				if st.interrupted() {
					return ci.WithExit(ci.ExitInterrupted, err)
				}
				return ci.WithExit(ci.ExitUsage, err)
			}
			errs, warns := countSeverities(problems)
			if err := writeProblems(st.stdout, format, problems, errs, warns); err != nil {
				return ci.WithExit(ci.ExitSetup, err)
			}
			if errs > 0 {
				return ci.WithExit(ci.ExitFail, errReported)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (one problem a line, then a count) or json")
	return cmd
}

func countSeverities(ps []contracts.Problem) (errs, warns int) {
	for _, p := range ps {
		if p.Severity == contracts.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

// lintReport is the JSON form of a lint run.
type lintReport struct {
	Problems []contracts.Problem `json:"problems"`
	Errors   int                 `json:"errors"`
	Warnings int                 `json:"warnings"`
}

func writeProblems(w io.Writer, format string, ps []contracts.Problem, errs, warns int) error {
	if format == "json" {
		if ps == nil {
			ps = []contracts.Problem{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(lintReport{Problems: ps, Errors: errs, Warnings: warns})
	}
	var werr error
	for _, p := range ps {
		_, err := fmt.Fprintln(w, p.String())
		werr = errors.Join(werr, err)
	}
	_, err := fmt.Fprintf(w, "%s, %s\n", plural(errs, "error"), plural(warns, "warning"))
	return errors.Join(werr, err)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
