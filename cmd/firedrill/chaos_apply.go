package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
)

type applyFlags struct {
	proxy, upstream, kind, name string
	direction, toxicity, audit  string
	sets                        []string
	duration                    time.Duration
}

func newChaosApplyCmd(st *state) *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Apply a toxic to a proxy, or take it down",
		Long: `apply adds one fault to a proxy of a Toxiproxy (embedded by "firedrill chaos
serve", or any other). With --for, the fault goes when the time is up or on
Ctrl-C, and each change is written to an audit log (JSON lines, to stderr
unless --audit says where). Without --for, it stays, and apply prints how to
remove it. --upstream creates the proxy if it does not exist.
Faults and their parameters: "firedrill chaos toxics".`,
		Example: `  firedrill chaos apply --proxy accounting --toxic latency --set latency=500ms --set jitter=50ms --for 30s
  firedrill chaos apply --toxiproxy http://127.0.0.1:8474 --proxy crm --upstream 127.0.0.1:9000 --toxic down --for 10s
  firedrill chaos apply --proxy shop --toxic bandwidth --set rate=64KB/s --direction upstream --toxicity 0.5`,
		Args: usageArgs(cobra.NoArgs),
	}
	remote := toxiproxyFlag(st, cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.proxy, "proxy", "", "name of the proxy (required)")
	fl.StringVar(&f.upstream, "upstream", "", "host:port to create the proxy in front of, if it does not exist")
	fl.StringVar(&f.kind, "toxic", "", "fault to apply: a Toxiproxy toxic or down (required)")
	fl.StringArrayVar(&f.sets, "set", nil, "toxic parameter name=value, e.g. latency=500ms (repeatable)")
	fl.StringVar(&f.direction, "direction", "", "stream: downstream (default) or upstream")
	fl.StringVar(&f.toxicity, "toxicity", "", "probability the toxic applies to a connection, 0..1 (default 1)")
	fl.StringVar(&f.name, "name", "", "name of the toxic on its proxy (default <toxic>_<direction>)")
	fl.DurationVar(&f.duration, "for", 0, "remove the fault after this long, or on Ctrl-C (default: it stays)")
	fl.StringVar(&f.audit, "audit", "", "file for the audit log with --for; - for stdout (default stderr)")
	_ = cmd.MarkFlagRequired("proxy")
	_ = cmd.MarkFlagRequired("toxic")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		toxic, err := f.toxic()
		if err != nil {
			return chaosExit(err)
		}
		tp, err := remote()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		if f.upstream != "" {
			if err := ensureProxy(ctx, st, tp, f.proxy, f.upstream); err != nil {
				return err
			}
		}
		if f.duration == 0 {
			return applyAndKeep(ctx, st, tp, f.proxy, toxic)
		}
		return applyFor(ctx, st, tp, f, toxic)
	}
	return cmd
}

// toxic checks the flags and returns the fault they describe.
func (f *applyFlags) toxic() (chaos.Toxic, error) {
	params := map[string]string{}
	var errs []error
	for _, s := range f.sets {
		k, v, ok := strings.Cut(s, "=")
		switch {
		case !ok || k == "":
			errs = append(errs, fmt.Errorf("--set %q: want name=value: %w", s, chaos.ErrInvalid))
		case params[k] != "":
			errs = append(errs, fmt.Errorf("--set %s given twice: %w", k, chaos.ErrInvalid))
		default:
			params[k] = v
		}
	}
	for k, v := range map[string]string{chaos.ParamDirection: f.direction, chaos.ParamToxicity: f.toxicity} {
		if v == "" {
			continue
		}
		if _, dup := params[k]; dup {
			errs = append(errs, fmt.Errorf("--%s and --set %s both given: %w", k, k, chaos.ErrInvalid))
		}
		params[k] = v
	}
	if f.duration < 0 {
		errs = append(errs, fmt.Errorf("--for %v: want a positive duration: %w", f.duration, chaos.ErrInvalid))
	}
	if len(errs) > 0 {
		return chaos.Toxic{}, errors.Join(errs...)
	}
	t, err := chaos.ParseToxic(f.kind, params)
	t.Name = f.name
	return t, err
}

// ensureProxy creates the proxy, or checks that the existing one forwards
// to upstream.
func ensureProxy(ctx context.Context, st *state, tp *chaos.Toxiproxy, name, upstream string) error {
	p, err := tp.Proxy(ctx, name, upstream)
	if errors.Is(err, chaos.ErrExists) {
		p, err = tp.Lookup(ctx, name)
		if err == nil && p.Upstream != upstream {
			err = fmt.Errorf("proxy %q exists in front of %s, not %s: %w", name, p.Upstream, upstream, chaos.ErrExists)
		}
	}
	if err != nil {
		return chaosExit(err)
	}
	fmt.Fprintf(st.stdout, "proxy %s listens on %s, forwards to %s\n", p.Name, p.Listen, p.Upstream)
	return nil
}

func applyAndKeep(ctx context.Context, st *state, tp *chaos.Toxiproxy, proxy string, t chaos.Toxic) error {
	if _, err := tp.Apply(ctx, proxy, t); err != nil {
		return chaosExit(err)
	}
	name := t.Name
	if name == "" {
		name = t.Kind + "_" + t.Stream
	}
	if t.Kind == chaos.Down {
		name = chaos.Down
	}
	fmt.Fprintf(st.stdout, "applied %s to %s; it stays until removed:\n  firedrill chaos remove --toxiproxy %s --proxy %s --name %s\n",
		t.Kind, proxy, tp.URL(), proxy, name)
	return nil
}

func applyFor(ctx context.Context, st *state, tp *chaos.Toxiproxy, f applyFlags, t chaos.Toxic) error {
	audit, closeAudit, err := auditWriter(st, f.audit)
	if err != nil {
		return err
	}
	defer closeAudit()
	tl, err := chaos.NewTimeline([]chaos.Event{{
		For: f.duration, Target: f.proxy, Kind: t.Kind, Params: t.Params, Fault: tp.Fault(f.proxy, t),
	}}, chaos.WithAuditLog(audit))
	if err != nil {
		return chaosExit(err)
	}
	defer tl.Rollback()
	fmt.Fprintf(st.stdout, "applying %s to %s for %v (Ctrl-C removes it now)\n", t.Kind, f.proxy, f.duration)
	err = tl.Run(ctx)
	if st.interrupted() {
		fmt.Fprintf(st.stdout, "interrupted: %s removed from %s\n", t.Kind, f.proxy)
		return ci.WithExit(ci.ExitInterrupted, err)
	}
	if err != nil {
		return chaosExit(err)
	}
	fmt.Fprintf(st.stdout, "%s removed from %s after %v\n", t.Kind, f.proxy, f.duration)
	return nil
}

// auditWriter opens where the audit log goes: stderr by default, stdout for
// "-", else a file (appended to).
func auditWriter(st *state, path string) (io.Writer, func(), error) {
	switch path {
	case "":
		return st.stderr, func() {}, nil
	case "-":
		return st.stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("--audit: %w", err))
	}
	return f, func() { _ = f.Close() }, nil
}

func newChaosRemoveCmd(st *state) *cobra.Command {
	var proxy, name string
	cmd := &cobra.Command{
		Use:   "remove",
		Short: "Remove a toxic from a proxy, or bring a proxy that is down back",
		Example: `  firedrill chaos remove --proxy accounting --name latency_downstream
  firedrill chaos remove --proxy crm --name down`,
		Args: usageArgs(cobra.NoArgs),
	}
	remote := toxiproxyFlag(st, cmd)
	cmd.Flags().StringVar(&proxy, "proxy", "", "name of the proxy (required)")
	cmd.Flags().StringVar(&name, "name", "", "name of the toxic, or down to enable the proxy (required)")
	_ = cmd.MarkFlagRequired("proxy")
	_ = cmd.MarkFlagRequired("name")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		tp, err := remote()
		if err != nil {
			return err
		}
		if name == chaos.Down {
			err = tp.SetEnabled(cmd.Context(), proxy, true)
		} else {
			err = tp.RemoveToxic(cmd.Context(), proxy, name)
		}
		if err != nil {
			return chaosExit(err)
		}
		fmt.Fprintf(st.stdout, "removed %s from %s\n", name, proxy)
		return nil
	}
	return cmd
}
