package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
)

// defaultToxiproxy is where chaos commands find Toxiproxy unless
// --toxiproxy or $FIREDRILL_TOXIPROXY says otherwise: the port Toxiproxy
// and `firedrill chaos serve` use by default.
const defaultToxiproxy = "http://127.0.0.1:8474"

func newChaosCmd(st *state) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Serve Toxiproxy and apply network faults by hand; list every fault",
		Long: `chaos runs a Toxiproxy server (serve) and drives one, embedded or remote,
from the command line: apply a toxic or take a proxy down, list the proxies
and their toxics, reset everything. Network faults on a proxy: see
"firedrill chaos toxics". HTTP and data faults a mock applies:
` + mockFaultKinds() + `;
see "firedrill chaos faults".`,
		Example: `  firedrill chaos serve --api 127.0.0.1:8474
  firedrill chaos apply --proxy accounting --toxic latency --set latency=500ms --for 30s
  firedrill chaos list`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newChaosServeCmd(st),
		newChaosApplyCmd(st),
		newChaosRemoveCmd(st),
		newChaosListCmd(st),
		newChaosResetCmd(st),
		newChaosToxicsCmd(st),
		newChaosFaultsCmd(st),
	)
	return cmd
}

// toxiproxyFlag adds --toxiproxy and returns how to reach the server it names.
func toxiproxyFlag(st *state, cmd *cobra.Command) func() (*chaos.Toxiproxy, error) {
	var url string
	cmd.Flags().StringVar(&url, "toxiproxy", "", "Toxiproxy API URL (default $FIREDRILL_TOXIPROXY or "+defaultToxiproxy+")")
	return func() (*chaos.Toxiproxy, error) {
		u := url
		if u == "" {
			u = st.getenv("FIREDRILL_TOXIPROXY")
		}
		if u == "" {
			u = defaultToxiproxy
		}
		tp, err := chaos.Remote(u, chaos.WithLogger(st.logger))
		return tp, chaosExit(err)
	}
}

// chaosExit gives err its exit code: bad input (a parameter, an unknown
// proxy or toxic) is a usage error, anything else a setup failure.
func chaosExit(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, chaos.ErrInvalid), errors.Is(err, chaos.ErrNotFound), errors.Is(err, chaos.ErrExists):
		return ci.WithExit(ci.ExitUsage, err)
	}
	var apiErr *chaos.APIError
	if errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500 {
		return ci.WithExit(ci.ExitUsage, err)
	}
	return ci.WithExit(ci.ExitSetup, err)
}

func newChaosServeCmd(st *state) *cobra.Command {
	var api, config string
	var proxies []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Toxiproxy server until interrupted",
		Long: `serve runs a Toxiproxy server in this process. Its HTTP API is Toxiproxy's
own: toxiproxy-cli, Toxiproxy's client libraries and firedrill drive it alike.
--proxy creates proxies at start, each on a free loopback port, and --config
creates those of a toxiproxy-server config file (a JSON array of {name,
listen, upstream, enabled}); serve prints where each listens. Ctrl-C stops
it, with every proxy it created.`,
		Example: `  firedrill chaos serve
  firedrill chaos serve --api 127.0.0.1:18474 --proxy accounting=127.0.0.1:9000
  firedrill chaos serve --config toxiproxy.json
  toxiproxy-cli --host http://127.0.0.1:8474 list`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			specs, err := parseProxyFlags(proxies)
			if err != nil {
				return ci.WithExit(ci.ExitUsage, err)
			}
			configs, err := readProxyConfig(config)
			if err != nil {
				return chaosExit(err)
			}
			tp, err := chaos.Embedded(ctx, chaos.WithAPIAddr(api), chaos.WithLogger(st.logger))
			if err != nil {
				return chaosExit(err)
			}
			defer tp.Close()
			fmt.Fprintf(st.stdout, "toxiproxy API on %s (Ctrl-C to stop)\n", tp.URL())
			created, err := tp.Populate(ctx, configs)
			if err != nil {
				return chaosExit(err)
			}
			for _, sp := range specs {
				p, err := tp.Proxy(ctx, sp[0], sp[1])
				if err != nil {
					return chaosExit(err)
				}
				created = append(created, *p)
			}
			for _, p := range created {
				fmt.Fprintf(st.stdout, "proxy %s listens on %s, forwards to %s\n", p.Name, p.Listen, p.Upstream)
			}
			<-ctx.Done()
			return tp.Close()
		},
	}
	cmd.Flags().StringVar(&api, "api", "127.0.0.1:8474", "address of the Toxiproxy API")
	cmd.Flags().StringArrayVar(&proxies, "proxy", nil, "create a proxy at start: name=upstream-host:port (repeatable)")
	cmd.Flags().StringVar(&config, "config", "", "create the proxies of a toxiproxy-server config file at start")
	return cmd
}

// readProxyConfig reads a toxiproxy-server config file; no path, no proxies.
func readProxyConfig(path string) ([]chaos.ProxyConfig, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w: %w", err, chaos.ErrInvalid)
	}
	defer f.Close()
	return chaos.ReadConfig(f, path)
}

// parseProxyFlags reads name=host:port pairs; names must be unique.
func parseProxyFlags(flags []string) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	var errs []error
	for _, f := range flags {
		name, upstream, ok := strings.Cut(f, "=")
		switch {
		case !ok || name == "" || upstream == "":
			errs = append(errs, fmt.Errorf("--proxy %q: want name=host:port", f))
		case seen[name]:
			errs = append(errs, fmt.Errorf("--proxy %s given twice", name))
		default:
			seen[name] = true
			out = append(out, [2]string{name, upstream})
		}
	}
	return out, errors.Join(errs...)
}

func newChaosListCmd(st *state) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the proxies of a Toxiproxy and their toxics",
		Example: `  firedrill chaos list --toxiproxy http://127.0.0.1:8474
  firedrill chaos list --json`,
		Args: usageArgs(cobra.NoArgs),
	}
	remote := toxiproxyFlag(st, cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		tp, err := remote()
		if err != nil {
			return err
		}
		proxies, err := tp.Proxies(cmd.Context())
		if err != nil {
			return chaosExit(err)
		}
		if asJSON {
			enc := json.NewEncoder(st.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(proxies)
		}
		w := tabwriter.NewWriter(st.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "PROXY\tLISTEN\tUPSTREAM\tENABLED\tTOXICS")
		for _, p := range proxies {
			var toxics []string
			for _, t := range p.Toxics {
				toxics = append(toxics, describeToxic(t))
			}
			if len(toxics) == 0 {
				toxics = []string{"-"}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\n", p.Name, p.Listen, p.Upstream, p.Enabled, strings.Join(toxics, "; "))
		}
		return w.Flush()
	}
	return cmd
}

// describeToxic prints a toxic as "name (type stream k=v ... toxicity)".
func describeToxic(t chaos.Toxic) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s %s", t.Name, t.Kind, t.Stream)
	for _, p := range chaosParamNames(t.Kind) {
		if v, ok := t.Attributes[p]; ok {
			fmt.Fprintf(&b, " %s=%d", p, v)
		}
	}
	if t.Toxicity != 1 {
		fmt.Fprintf(&b, " toxicity=%g", t.Toxicity)
	}
	b.WriteString(")")
	return b.String()
}

func chaosParamNames(kind string) []string {
	for _, s := range chaos.Catalogue() {
		if s.Kind == kind {
			var names []string
			for _, p := range s.Params {
				names = append(names, p.Name)
			}
			return names
		}
	}
	return nil
}

func newChaosResetCmd(st *state) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "reset",
		Short:   "Remove every toxic and enable every proxy of a Toxiproxy",
		Example: `  firedrill chaos reset --toxiproxy http://127.0.0.1:8474`,
		Args:    usageArgs(cobra.NoArgs),
	}
	remote := toxiproxyFlag(st, cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		tp, err := remote()
		if err != nil {
			return err
		}
		if err := tp.Reset(cmd.Context()); err != nil {
			return chaosExit(err)
		}
		fmt.Fprintf(st.stdout, "reset %s: every toxic removed, every proxy enabled\n", tp.URL())
		return nil
	}
	return cmd
}

func newChaosToxicsCmd(st *state) *cobra.Command {
	return &cobra.Command{
		Use:   "toxics",
		Short: "List the network faults apply knows and their parameters",
		Long: `toxics lists the network faults apply puts on a Toxiproxy proxy, and
a scenario's chaos: events with proxy:, each with its parameters. HTTP and
data faults a mock applies are listed by "firedrill chaos faults".`,
		Example: `  firedrill chaos toxics`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(st.stdout, 0, 4, 2, ' ', 0)
			for _, s := range chaos.Catalogue() {
				fmt.Fprintf(w, "%s\t\t%s\n", s.Kind, s.Doc)
				for _, p := range s.Params {
					req := ""
					if p.Required {
						req = " (required)"
					}
					fmt.Fprintf(w, "\t--set %s=…\t%s%s\n", p.Name, p.Doc, req)
				}
			}
			fmt.Fprintln(w, "\nevery toxic but down also takes --direction upstream|downstream and --toxicity 0..1")
			fmt.Fprintln(w, "HTTP and data faults a mock applies ("+mockFaultKinds()+"): firedrill chaos faults")
			return w.Flush()
		},
	}
}
