package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios/firedrill"
	"github.com/firedrill/firedrill/scenarios/k8s"
)

func newK8sCmd(st *state) *cobra.Command {
	var (
		opts k8s.Options
		seed int64
		out  string
	)
	cmd := &cobra.Command{
		Use:   "k8s SCENARIO --shards N",
		Short: "Write the Kubernetes objects that run a scenario's load as N shards",
		Long: `k8s writes, as one YAML stream for kubectl apply, the objects that run a
scenario's load as N shards plus a merge step: a ConfigMap holding the
scenario and every file it names, mounted at /firedrill/scenario; a Job
<name>-merge and its headless Service <name>-merge, the barrier the shards
meet at and the collector of their run folders, whose exit code is the
verdict (0 pass, 1 a gate failed, 3 a shard missing); and an Indexed Job
<name>-shards of N pods, each running firedrill run --shard i/N.

The scenario is validated as firedrill validate does. A scenario that
cannot run in a pod is refused (exit 2): runtime docker or staging, a
service built from a Dockerfile, files over a ConfigMap's 1 MiB. A service
command runs inside each shard's pod: the image must hold it.

Every shard gets the same --seed (the scenario's, --seed, or one picked and
told on stderr), so together they send what one process would.`,
		Example: `  firedrill k8s examples/ordersync/scenarios/flagship.yaml --shards 4 --image firedrill:dev > run.yaml
  kubectl apply --server-side -f run.yaml
  kubectl wait --for=condition=complete job/order-sync-holds-at-3x-peak-through-an-accounting-merge`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readScenario(args[0], "")
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			if opts.Image == "" {
				if opts.Image, err = firedrill.ImageTag(""); err != nil {
					return ci.WithExit(ci.ExitUsage, fmt.Errorf("--image: %w", err))
				}
			}
			opts.Warn = func(msg string) { fmt.Fprintf(st.stderr, "firedrill k8s: warning: %s\n", msg) }
			objs, err := k8s.Objects(s, opts)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			if out == "" {
				return k8s.Write(st.stdout, objs)
			}
			f, err := os.Create(out)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, fmt.Errorf("--out: %w", err))
			}
			return errors.Join(k8s.Write(f, objs), f.Close())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Shards, "shards", 0, fmt.Sprintf("how many pods share the load, 1 to %d (required)", k8s.MaxShards))
	f.StringVar(&opts.Image, "image", "", "image whose entrypoint is firedrill (default: the image the docker runtime builds of this binary, firedrill:<its digest>)")
	f.StringVar(&opts.Namespace, "namespace", k8s.DefaultNamespace, "namespace of every object")
	f.StringVar(&opts.Name, "name", "", fmt.Sprintf("name of the run, a DNS label of at most %d characters (default: made of the scenario's name)", k8s.MaxName))
	f.Int64Var(&seed, "seed", 0, "seed every shard runs with (default: the scenario's, or one picked)")
	f.StringVar(&opts.CPU, "cpu", k8s.DefaultCPU, "CPU each container requests and is limited to")
	f.StringVar(&opts.Memory, "memory", k8s.DefaultMemory, "memory each container requests and is limited to")
	f.StringVar(&out, "out", "", "write to this file instead of stdout")
	_ = cmd.MarkFlagRequired("shards")
	return cmd
}
