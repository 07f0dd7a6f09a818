package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios/firedrill"
)

func newCleanCmd(st *state) *cobra.Command {
	var runID string
	var images bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove the containers and networks firedrill runs left in Docker",
		Long: `clean removes from the Docker engine what firedrill started for a run and
an interrupted run left behind: every container (running or not) and network
labelled ` + firedrill.LabelRun + `, of the run --run names or of every run.
--images removes the run's images too, and without --run the firedrill
images built for the containers (` + firedrill.LabelKind + `=` + firedrill.KindImage + `). It prints what it
removed, one line each, then a count.`,
		Example: `  firedrill clean
  firedrill clean --run nightly-1234
  firedrill clean --images`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			tclog.SetDefault(firedrill.Logger(st.logger))
			got, err := firedrill.Clean(cmd.Context(), runID, images)
			for _, c := range got.Containers {
				fmt.Fprintf(st.stdout, "container %s\n", c)
			}
			for _, n := range got.Networks {
				fmt.Fprintf(st.stdout, "network %s\n", n)
			}
			for _, i := range got.Images {
				fmt.Fprintf(st.stdout, "image %s\n", i)
			}
			if errors.Is(err, firedrill.ErrNoEngine) {
				return ci.WithExit(ci.ExitSetup, fmt.Errorf("clean: %w", err))
			}
			if err != nil {
				return ci.WithExit(ci.ExitSetup, fmt.Errorf("clean: removed %s, but: %w", got, err))
			}
			fmt.Fprintf(st.stdout, "removed %s\n", got)
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "the run whose containers and networks to remove (every firedrill run when empty)")
	cmd.Flags().BoolVar(&images, "images", false, "remove the images too")
	return cmd
}
