package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

func newDrillCmd(st *state) *cobra.Command {
	var (
		out     string
		dryRun  bool
		yes     bool
		metrics string
	)
	cmd := &cobra.Command{
		Use:   "drill SCENARIO",
		Short: "Run a failure drill against staging: real endpoints, allow-listed, with safeguards and rollback",
		Long: `drill runs a scenario whose systems are real endpoints (runtime: staging,
every system a url:) with safety around it. Before anything changes: every
address must match the scenario's drill.allow host patterns, every fault must
name its target and stay under drill.max_fault_rate, and on a terminal the
drill shows its plan and asks for confirmation (off a terminal it needs --yes).
--dry-run prints the plan and changes nothing.

During the attack the safeguards (drill.safeguards: error_ratio, p99, or a url
with expect and json) are polled; the first that breaks its bound stops the
load and rolls every fault back at once, and the report names it, when it
broke and what it read. Faults are rolled back on success, failure, a broken
safeguard, Ctrl-C, SIGTERM and a panic.

The run folder holds drill.md (the timeline, the safeguards, the gates, the
rollback and a follow-up checklist) and drill-audit.jsonl (every action, with
who ran the drill: FIREDRILL_OPERATOR, else USER). --metrics-addr serves the
live numbers for Prometheus: firedrill_drill_requests_total,
firedrill_drill_request_errors_total,
firedrill_drill_request_duration_p99_seconds, firedrill_drill_fault_active,
firedrill_drill_safeguard_value and firedrill_drill_safeguard_broken.

Exit codes: 0 every gate and safeguard held, 1 one failed, 2 the scenario is
wrong or the drill was refused, 3 the harness could not set up, 130
interrupted.`,
		Example: `  firedrill drill staging.yaml --dry-run
  firedrill drill staging.yaml --yes --out runs/drill-december --metrics-addr 127.0.0.1:9464`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readScenario(args[0], "staging")
			if err != nil {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("the drill refuses to start: %w", err))
			}
			plan := scenarios.DrillPlan(s)
			if dryRun {
				fmt.Fprint(st.stdout, plan)
				fmt.Fprintln(st.stdout, "dry run: nothing was changed")
				return nil
			}
			if !yes {
				if err := confirm(st.stderr, s.Name, plan, terminal(st.stdin)); err != nil {
					return ci.WithExit(ci.ExitUsage, err)
				}
			}
			opts := scenarios.Options{Out: out, Logger: st.logger, Progress: st.stderr, Version: buildVersion(), MetricsAddr: metrics}
			outcome, err := scenarios.Run(cmd.Context(), s, opts)
			if outcome != nil {
				printVerdict(st, outcome)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "run folder (default runs/<time>-<name>)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (what is faulted, when, at what rate, which load) and change nothing")
	cmd.Flags().BoolVar(&yes, "yes", false, "start without asking for confirmation")
	cmd.Flags().StringVar(&metrics, "metrics-addr", "", "serve the drill's live numbers for Prometheus at http://ADDR/metrics, e.g. 127.0.0.1:9464")
	return cmd
}

// errNotConfirmed is why a drill nobody confirmed does not start.
var errNotConfirmed = errors.New("the drill was not confirmed: nothing was changed")

// terminal is stdin when it is a terminal, else nil.
func terminal(stdin io.Reader) io.Reader {
	if f, ok := stdin.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		return f
	}
	return nil
}

// confirm shows the plan and asks for the scenario's name on tty, the
// terminal; off a terminal (nil) nobody can answer, so the drill needs --yes.
func confirm(w io.Writer, name, plan string, tty io.Reader) error {
	if tty == nil {
		return fmt.Errorf("%w: not on a terminal, pass --yes to start it", errNotConfirmed)
	}
	fmt.Fprint(w, plan)
	fmt.Fprintf(w, "type the drill's name (%s) to start it: ", name)
	line, _ := bufio.NewReader(tty).ReadString('\n')
	if strings.TrimSpace(line) != name {
		return errNotConfirmed
	}
	return nil
}
