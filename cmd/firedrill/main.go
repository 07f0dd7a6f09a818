// Command firedrill is the testing and chaos harness for integrations: mock
// vendor APIs from their contracts, inject faults, push load and gate CI on
// what happened. See the README for a tour.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/firedrill/firedrill/scenarios"
)

// supervise is the hidden command a run starts each service under (see
// scenarios.Supervise).
const supervise = "__supervise"

// supervisor is the command that runs a service under this binary's
// supervisor, or nil when the binary cannot be found.
func supervisor() []string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return []string{exe, supervise, "--"}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == supervise {
		// A service's supervisor: no signal handling of firedrill's own.
		os.Exit(scenarios.Supervise(os.Args[2:], os.Stdin))
	}
	if limit, ok := memoryLimit(os.Args[1:], os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	// A closed pipe (firedrill run ... | head) makes a write fail instead
	// of killing firedrill on the spot: the run goes on to its down phase,
	// and nothing it started (a docker run's containers) is left behind.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first signal cancels ctx: commands revert faults, stop load and
		// write what they have. A second one exits at once.
		<-ctx.Done()
		stop()
		second := make(chan os.Signal, 1)
		signal.Notify(second, os.Interrupt, syscall.SIGTERM)
		<-second
		os.Exit(130)
	}()
	st := newState(ctx, os.Stdin, os.Stdout, os.Stderr)
	st.supervisor = supervisor()
	os.Exit(st.execute(ctx, os.Args[1:]))
}
