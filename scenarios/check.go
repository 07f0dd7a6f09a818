package scenarios

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/ci"
)

// CheckOptions say where the systems of a consistency-only check run.
type CheckOptions struct {
	// Only runs the checks with this name ("" for all).
	Only string
	// URLs give a system's address (a running mock, staging) by name; a
	// system with url: in the scenario needs none.
	URLs   map[string]string
	Getenv func(string) (string, bool)
	Logger *slog.Logger
}

// CheckConsistency runs the scenario's consistency checks alone against
// systems that are already running: a data-quality check that can be
// scheduled. Each check settles as in a run. It returns one gate a check.
func CheckConsistency(ctx context.Context, s *Scenario, o CheckOptions) ([]ci.Gate, error) {
	if err := s.Validate(); err != nil {
		return nil, ci.WithExit(ci.ExitUsage, err)
	}
	c := s.Gates.Consistency
	if c == nil || len(c.Checks) == 0 {
		return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("scenarios: %s declares no consistency checks", s.file))
	}
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &run{s: s, o: Options{Getenv: o.Getenv, Logger: o.Logger}, log: o.Logger, secrets: &Secrets{}}
	r.res = &Resolver{Systems: map[string]Address{}, Getenv: o.Getenv, Secrets: r.secrets}
	var checks []ConsistencyCheck
	for _, chk := range c.Checks {
		if o.Only == "" || chk.Name == o.Only {
			checks = append(checks, chk)
		}
	}
	if len(checks) == 0 {
		names := make([]string, len(c.Checks))
		for i, chk := range c.Checks {
			names[i] = chk.Name
		}
		return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("scenarios: no consistency check named %q (have: %s)", o.Only, strings.Join(names, "; ")))
	}
	for _, chk := range checks {
		for _, side := range []string{chk.Source.System, chk.Target.System} {
			if r.system(side) != nil {
				continue
			}
			addr, err := checkAddress(s, side, o.URLs)
			if err != nil {
				return nil, ci.WithExit(ci.ExitUsage, err)
			}
			r.systems = append(r.systems, &system{name: side, spec: s.Systems[side], addr: addr})
		}
	}
	return r.consistencyGates(ctx, checks), nil
}

func checkAddress(s *Scenario, name string, urls map[string]string) (Address, error) {
	raw := urls[name]
	if raw == "" && s.Systems[name] != nil {
		raw = s.Systems[name].URL
	}
	if raw == "" {
		known := make([]string, 0, len(urls))
		for k := range urls {
			known = append(known, k)
		}
		sort.Strings(known)
		return Address{}, fmt.Errorf("scenarios: system %q has no address: give --url %s=http://host:port (given: %v)", name, name, known)
	}
	return ParseAddress(raw)
}
