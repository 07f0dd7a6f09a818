package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// state is what a command may touch of the process: its streams, its
// environment and its logger. Tests build one around buffers and run commands
// in-process, exit code included.
type state struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	logger *slog.Logger
	// interrupted reports whether ctx was cancelled by a signal rather than
	// by the command finishing; commands turn it into exit code 130.
	interrupted func() bool
	// supervisor runs services under firedrill __supervise (run); nil in
	// tests in process, whose binary is not firedrill.
	supervisor []string
}

// run executes one firedrill command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newState(ctx, stdin, stdout, stderr).execute(ctx, args)
}

// newState is the state of the process: its streams and environment.
func newState(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) *state {
	return &state{
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		getenv:      os.Getenv,
		logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		interrupted: func() bool { return ctx.Err() != nil },
	}
}

func (st *state) execute(ctx context.Context, args []string) int {
	root := newRootCmd(st)
	root.SetArgs(args)
	root.SetIn(st.stdin)
	root.SetOut(st.stdout)
	root.SetErr(st.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return int(ci.ExitPass)
	}
	code := ci.CodeOf(err)
	var ee *ci.ExitError
	if !errors.As(err, &ee) {
		// Errors cobra raises itself (unknown command, bad flag) are usage errors.
		code = ci.ExitUsage
	}
	if code != ci.ExitPass && !errors.Is(err, errReported) {
		fmt.Fprintf(st.stderr, "firedrill: %v\n", err)
	}
	return int(code)
}

// errReported marks a failure the command has already explained on its
// output (a failed gate, a lint report): main only sets the exit code.
var errReported = errors.New("reported")

func newRootCmd(st *state) *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "firedrill",
		Short: "Testing and chaos harness for integrations",
		Long: `firedrill proves that an integration survives slow, failing and odd vendors
and loses nothing: it mocks vendor APIs from their contracts, injects faults,
pushes load and gates CI on what happened.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if verbose {
				st.logger = slog.New(slog.NewTextHandler(st.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log what firedrill does, to stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return ci.WithExit(ci.ExitUsage, err)
	})
	root.AddCommand(
		newMockCmd(st),
		newCleanCmd(st),
		newDemoCmd(st),
		newVersionCmd(st),
		newValidateCmd(st),
		newRunCmd(st),
		newDrillCmd(st),
		newDocCmd(st),
		newInitCmd(st),
		newCheckCmd(st),
		newContractCmd(st),
		newLoadCmd(st),
		newMergeCmd(st),
		newChaosCmd(st),
		newReportCmd(st),
		newK8sCmd(st),
	)
	return root
}

// usageArgs makes an argument check fail with the usage exit code.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return ci.WithExit(ci.ExitUsage, check(cmd, args))
	}
}
