package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

func newCheckCmd(st *state) *cobra.Command {
	var (
		only string
		urls []string
	)
	cmd := &cobra.Command{
		Use:   "check SCENARIO",
		Short: "Run a scenario's consistency checks against running systems",
		Long: `check runs only the consistency checks of a scenario, against systems that
are already running: staging endpoints (url: in the scenario, or --url) or
mocks started with firedrill mock. Nothing is started, no load, no fault: a
data-quality check a pipeline can schedule. Credentials come from the
environment variables each check's auth names.

Exit 0 when every check passes, 1 when one fails, 2 for a wrong scenario or flag.`,
		Example: `  firedrill check examples/ordersync/scenarios/flagship.yaml --url shop=http://127.0.0.1:8081 --url accounting=http://127.0.0.1:8082
  firedrill check staging.yaml --only "every order invoiced exactly once"`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := map[string]string{}
			for _, u := range urls {
				name, url, ok := strings.Cut(u, "=")
				if !ok || name == "" || url == "" {
					return ci.WithExit(ci.ExitUsage, fmt.Errorf("--url %q: write SYSTEM=URL", u))
				}
				addr[name] = url
			}
			s, err := scenarios.ReadFile(args[0])
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			gates, err := scenarios.CheckConsistency(cmd.Context(), s, scenarios.CheckOptions{Only: only, URLs: addr, Logger: st.logger,
				Getenv: func(k string) (string, bool) { v := st.getenv(k); return v, v != "" }})
			if err != nil {
				return err
			}
			v := ci.Judge(gates...)
			printVerdict(st, &scenarios.Outcome{Verdict: v})
			return v.Err()
		},
	}
	cmd.Flags().StringVar(&only, "only", "", "run only the check with this name")
	cmd.Flags().StringArrayVar(&urls, "url", nil, "SYSTEM=URL: where a system runs (repeatable)")
	return cmd
}
