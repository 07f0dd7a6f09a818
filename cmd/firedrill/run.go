package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/scenarios"
)

func newRunCmd(st *state) *cobra.Command {
	var (
		seed     int64
		out      string
		peak     string
		duration time.Duration
		runtime  string
		shards   shardFlags
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario: mocks, faults, load, checks, reports",
		Long: `run executes a scenario file end to end: it starts a mock for every vendor
with a proxy in front, starts the service under test, checks the steady
state, pushes the load while the fault timeline runs, waits for the systems
to settle, evaluates every gate and writes the run folder (summary.json, the
audit log, the load results, the service's logs).

Down always runs: child processes, mocks, proxies and toxics are gone on
success, failure, timeout and Ctrl-C.

With --shard i/N the run is one of N processes (or pods: firedrill k8s)
sharing the load exactly: iteration k of the whole schedule is shard
k mod N's, with the ${seq} and seeded data one process would send (a seed is
required). --start-at or --barrier line the shards up on one start; their
load gates are judged on the whole run by firedrill merge (here: deferred).

Exit codes: 0 every gate passed, 1 a gate failed, 2 the scenario is wrong,
3 the harness could not set up, 130 interrupted.`,
		Example: `  firedrill run examples/ordersync/scenarios/flagship.yaml
  firedrill run scenario.yaml --peak 10/s --duration 20s --out runs/quick
  firedrill run examples/ordersync/scenarios/flagship.yaml --runtime docker
  firedrill run scenario.yaml --seed 7 --shard 0/4 --barrier http://coordinator:7070`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := scenarios.Options{Seed: seed, Out: out, Duration: duration, Logger: st.logger, Progress: st.stderr, Supervisor: st.supervisor, Version: buildVersion()}
			if ci.GitHubActions(st.getenv) {
				opts.Annotations = st.stdout
			}
			sh, at, err := shards.parse()
			if err != nil {
				return err
			}
			opts.Shard, opts.StartAt, opts.Barrier, opts.BarrierTimeout = sh, at, shards.barrier, shards.barrierTimeout
			if peak != "" {
				r, err := contracts.ParseRate(peak)
				if err != nil {
					return ci.WithExit(ci.ExitUsage, fmt.Errorf("--peak: %w", err))
				}
				opts.Peak = r
			}
			s, err := readScenario(args[0], runtime)
			if err != nil {
				if out != "" {
					// A CI job publishes the run folder's JUnit: it
					// shows an errored case, not a missing file.
					if jerr := writeStoppedJUnit(out, args[0], ci.Stopped{Code: ci.ExitUsage, Cause: err.Error()}); jerr != nil {
						err = errors.Join(err, jerr)
					}
				}
				return ci.WithExit(ci.ExitUsage, err)
			}
			if s.Runtime == "staging" {
				// The drill's safety (dry run, confirmation) lives in its command.
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("%s is a drill against staging: run it with firedrill drill %s (--dry-run first)", args[0], args[0]))
			}
			outcome, err := scenarios.Run(cmd.Context(), s, opts)
			if outcome != nil {
				printVerdict(st, outcome)
			}
			return err
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed for generated data, fault rates and jitter (default: the scenario's)")
	cmd.Flags().StringVar(&out, "out", "", "run folder (default runs/<time>-<name>)")
	cmd.Flags().StringVar(&peak, "peak", "", "override load.peak, e.g. 10/s")
	cmd.Flags().DurationVar(&duration, "duration", 0, "override load.duration, e.g. 30s")
	runtimeFlag(cmd, &runtime)
	shards.add(cmd.Flags())
	return cmd
}

// runtimeFlag adds --runtime, which overrides the scenario's runtime:.
func runtimeFlag(cmd *cobra.Command, runtime *string) {
	cmd.Flags().StringVar(runtime, "runtime", "", "run the systems embedded (in this process) or in docker containers; default: the scenario's runtime")
}

// readScenario reads and validates a scenario file, for the runtime given
// (the file's own when empty): a service without an image is fine
// embedded, not in docker.
func readScenario(path, runtime string) (*scenarios.Scenario, error) {
	s, err := scenarios.ReadFile(path)
	if err != nil || runtime == "" || runtime == s.Runtime {
		return s, err
	}
	s.Runtime = runtime
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("with --runtime %s: %w", runtime, err)
	}
	return s, nil
}

// printVerdict writes the terminal summary of a run: a stopped run says
// why first (INTERRUPTED, SET-UP FAILED), never "FAIL 0 gates".
// maxTerminalEvidence is how many pieces of a failed gate's evidence the
// terminal shows; the reports keep them all.
const maxTerminalEvidence = 5

func printVerdict(st *state, o *scenarios.Outcome) {
	v := o.Verdict
	if v.Stopped != nil {
		fmt.Fprintf(st.stdout, "\n%s: %s\n", v.Headline(), v.Stopped.Cause)
		if len(v.Gates) > 0 {
			fmt.Fprintf(st.stdout, "%d gates, %d failed, the others not run or skipped\n", len(v.Gates), v.Failed)
		}
	} else {
		fmt.Fprintf(st.stdout, "\n%s  %d gates, %d failed\n", v.Headline(), len(v.Gates), v.Failed)
	}
	for _, g := range v.Gates {
		fmt.Fprintf(st.stdout, "  %-7s  %-10s  %s — %s\n", g.Status(), g.Kind, g.Name, g.Measured)
		if g.Status() == "fail" {
			fmt.Fprintf(st.stdout, "        %s\n", g.Reason)
			for i, d := range g.Detail {
				if i == maxTerminalEvidence {
					fmt.Fprintf(st.stdout, "        … %d more pieces of evidence in %s\n", len(g.Detail)-i, filepath.Join(o.Dir, "summary.md"))
					// The evidence's own count of what it leaves
					// out, when it has one: records, not lines.
					if last := g.Detail[len(g.Detail)-1]; strings.HasPrefix(last, "… and ") {
						fmt.Fprintf(st.stdout, "        %s\n", last)
					}
					break
				}
				fmt.Fprintf(st.stdout, "        %s\n", strings.ReplaceAll(d, "\n", "\n        "))
			}
		}
	}
	if o.Dir != "" {
		fmt.Fprintf(st.stdout, "report: %s\n", o.Dir)
	}
}

// writeStoppedJUnit writes the junit.xml of a run that stopped before it
// had a run folder of its own: one errored case naming the cause.
func writeStoppedJUnit(dir, scenario string, stopped ci.Stopped) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "junit.xml"))
	if err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	werr := ci.WriteJUnit(f, ci.Report{Scenario: scenario, Version: buildVersion(), Stopped: &stopped})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
