package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// Options adjust a run; zero values take the scenario's own.
type Options struct {
	Seed     int64         // overrides the scenario's seed
	Out      string        // the run folder; default runs/<time>-<name>
	Peak     Rate          // overrides load.peak
	Duration time.Duration // overrides load.duration
	Runtime  Runtime       // default: Embedded
	// Getenv reads the environment for ${env:...}; default os.LookupEnv.
	Getenv   func(string) (string, bool)
	Logger   *slog.Logger
	Progress io.Writer // one line per phase and a few during the attack
	// Annotations, when set, receives a GitHub Actions annotation
	// (::error ...) for every failed gate: set it when GITHUB_ACTIONS=true.
	Annotations io.Writer
	Now         func() time.Time
}

// Outcome is what a run produced.
type Outcome struct {
	Dir     string     // the run folder
	Verdict ci.Verdict // every gate and the exit code
	Load    *load.Report
	Systems map[string]Address // where each system was reached
	// Webhooks is what each mock with webhooks delivered, by system; Lost
	// counts the events a receiver never got.
	Webhooks map[string]ci.Deliveries
	Started  time.Time
	Ended    time.Time
}

// Run executes the scenario: plan, up, steady state, attack, settle, check,
// report, and down, which always runs: on success, failure, Ctrl-C (ctx
// cancelled) and panic. The error carries the exit code: 1 when a gate
// failed, 2 for a scenario that cannot run, 3 when setting up failed, 130
// when interrupted; the outcome is returned whenever a run folder exists.
func Run(ctx context.Context, s *Scenario, opts Options) (out *Outcome, err error) {
	r, err := newRun(s, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Down always runs, on a context of its own: ctx may be cancelled.
		downCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if derr := r.down(downCtx); derr != nil && err == nil {
			err = ci.WithExit(ci.ExitSetup, derr)
		}
		if p := recover(); p != nil {
			panic(p) // after down: nothing is left running
		}
	}()
	out, err = r.execute(ctx)
	if ctx.Err() != nil && err == nil {
		err = ci.WithExit(ci.ExitInterrupted, fmt.Errorf("scenarios: interrupted: %w", context.Cause(ctx)))
	}
	// What the caller prints (the verdict, the load's error texts, the
	// error) holds no secret either.
	if out != nil {
		out.Verdict = redacted(r.secrets, out.Verdict)
		out.Load = redacted(r.secrets, out.Load)
	}
	return out, r.secrets.RedactError(err)
}

// run is the state of one scenario run.
type run struct {
	s        *Scenario
	o        Options
	rt       Runtime
	log      *slog.Logger
	secrets  *Secrets
	res      *Resolver
	dir      string
	seed     int64
	systems  []*system // in file order
	tp       *chaos.Toxiproxy
	timeline *chaos.Timeline
	out      *Outcome
	closers  []func() error

	windows     []ci.FaultWindow // when each fault was on, for the resilience gates
	attackStart time.Time        // when the attack began: gate windows count from it
	consistency []ci.Result      // the consistency checks, for the report
}

func newRun(s *Scenario, o Options) (*run, error) {
	if err := s.Validate(); err != nil {
		return nil, ci.WithExit(ci.ExitUsage, err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	secrets := &Secrets{}
	// Everything the run logs goes through the redaction: load errors
	// and mock logs may hold the URLs and headers of the flow.
	o.Logger = slog.New(redactHandler{s: secrets, inner: o.Logger.Handler()})
	if o.Runtime == nil {
		o.Runtime = &Embedded{Logger: o.Logger}
	}
	r := &run{s: s, o: o, rt: o.Runtime, log: o.Logger, secrets: secrets}
	r.seed = s.Seed
	if o.Seed != 0 {
		r.seed = o.Seed
	}
	if r.seed == 0 {
		r.seed = o.Now().UnixNano()
	}
	r.res = &Resolver{Systems: map[string]Address{}, Getenv: o.Getenv, Secrets: r.secrets}
	r.dir = o.Out
	if r.dir == "" {
		r.dir = filepath.Join("runs", o.Now().UTC().Format("20060102-150405")+"-"+slug(s.Name))
	}
	r.out = &Outcome{Dir: r.dir, Systems: r.res.Systems, Started: o.Now()}
	return r, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "scenario"
	}
	return s
}

// progress writes one line of progress, secrets redacted.
func (r *run) progress(format string, args ...any) {
	if r.o.Progress == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.o.Progress, "%6.1fs  %s\n", time.Since(r.out.Started).Seconds(), r.secrets.Redact(line))
}

// execute runs the phases in order; the first that fails ends the run,
// after which check and report still run on what there is.
func (r *run) execute(ctx context.Context) (*Outcome, error) {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("scenarios: run folder: %w", err))
	}
	r.progress("plan   %s (seed %d, runtime %s, folder %s)", r.s.Name, r.seed, r.rt.Name(), r.dir)
	if err := r.plan(ctx); err != nil {
		return r.out, ci.WithExit(ci.ExitUsage, err)
	}
	r.progress("up     starting %d systems", len(r.systems))
	if err := r.up(ctx); err != nil {
		return r.out, setupOrInterrupt(ctx, err)
	}
	if err := r.steadyState(ctx); err != nil {
		return r.out, setupOrInterrupt(ctx, err)
	}
	attackErr := r.attack(ctx)
	if attackErr != nil && !errors.Is(attackErr, context.Canceled) {
		return r.out, setupOrInterrupt(ctx, attackErr)
	}
	if ctx.Err() == nil {
		r.settle(ctx)
	}
	gates := r.check(ctx)
	r.tallyWebhooks()
	r.out.Verdict = ci.Judge(gates...)
	r.out.Ended = r.o.Now()
	if err := r.report(); err != nil {
		return r.out, ci.WithExit(ci.ExitSetup, err)
	}
	r.progress("verdict %s: %d gates, %d failed — report in %s", verdictWord(r.out.Verdict), len(gates), r.out.Verdict.Failed, r.dir)
	if ctx.Err() != nil {
		return r.out, ci.WithExit(ci.ExitInterrupted, fmt.Errorf("scenarios: interrupted during the run; partial report in %s", r.dir))
	}
	if err := r.out.Verdict.Err(); err != nil {
		return r.out, err
	}
	return r.out, nil
}

func verdictWord(v ci.Verdict) string {
	if v.Passed {
		return "PASS"
	}
	return "FAIL"
}

func setupOrInterrupt(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ci.WithExit(ci.ExitInterrupted, err)
	}
	return ci.WithExit(ci.ExitSetup, err)
}

// down stops everything the run started, in reverse order, whatever
// happened before. It reports what it could not stop.
func (r *run) down(ctx context.Context) error {
	var errs []error
	if r.timeline != nil {
		if err := r.timeline.Rollback(); err != nil {
			errs = append(errs, fmt.Errorf("roll faults back: %w", err))
		}
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	if err := r.rt.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	r.progress("down   everything stopped")
	if len(errs) > 0 {
		return fmt.Errorf("scenarios: down: %w", errors.Join(errs...))
	}
	return nil
}
