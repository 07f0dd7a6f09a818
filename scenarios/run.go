package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
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
	// Files receives the reports and journals; default the run folder.
	Files ci.Files
	// Version names the firedrill that runs, in every report.
	Version string
	// MetricsAddr, when set, serves the run's live numbers (requests,
	// latency, faults on, safeguard readings) for Prometheus at
	// http://MetricsAddr/metrics until the run is down.
	MetricsAddr string
	// attackHook, when set (tests), runs once the attack has begun: a
	// panic there proves the rollback of a panicking run.
	attackHook func()
	// Supervisor is the default runtime's Embedded.Supervisor: the command
	// that keeps a service's processes from outliving firedrill on Linux.
	Supervisor []string
	// Shard makes this run one of Shard.Count processes that share the
	// load exactly (load.WithShard); it needs a seed every shard shares.
	Shard load.Shard
	// StartAt, when set, is the instant the attack starts: every shard
	// of a run is given the same one, so their fault timelines line up.
	StartAt time.Time
	// Barrier, when set, is the coordinator's URL (firedrill merge
	// --serve): the run joins it before the attack, starts at the time it
	// gives every shard, and sends it the run folder's files at the end.
	Barrier string
	// BarrierTimeout bounds the wait for the other shards at the barrier
	// (DefaultBarrierTimeout when 0).
	BarrierTimeout time.Duration
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
		derr := r.down(downCtx)
		if derr != nil && err == nil {
			err = ci.WithExit(ci.ExitSetup, derr)
		}
		if rerr := r.finishDrill(derr); rerr != nil && err == nil {
			err = ci.WithExit(ci.ExitSetup, rerr)
		}
		if p := recover(); p != nil {
			panic(p) // after down: nothing is left running
		}
	}()
	out, err = r.execute(ctx)
	if r.o.Barrier != "" && out != nil {
		// The coordinator hears from every shard, a stopped one too: it
		// must not wait for a shard that will never send, nor merge
		// without it.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		uerr := UploadShard(uctx, r.o.Barrier, r.shard(), r.dir)
		cancel()
		if uerr != nil {
			r.progress("ERROR %v", uerr)
			if err == nil {
				err = ci.WithExit(ci.ExitSetup, uerr)
			}
		}
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
	s       *Scenario
	o       Options
	rt      Runtime
	log     *slog.Logger
	secrets *Secrets
	res     *Resolver // addresses as the harness reaches the systems
	// inner is addresses as the systems reach each other: res itself,
	// but in a runtime with a network of its own (Networked).
	inner    *Resolver
	dir      string
	seed     int64
	systems  []*system // in file order
	tp       *chaos.Toxiproxy
	timeline *chaos.Timeline
	out      *Outcome
	closers  []func() error

	windows     []ci.FaultWindow // when each fault was on, for the resilience gates
	attackStart time.Time        // when the attack began: gate windows count from it
	lineStart   time.Time        // the start every shard shares (lineUp), zero when not given
	consistency []ci.Result      // the consistency checks, for the report
	data        *dataEvents      // what the timeline's data events did, for the report
	guard       *guard           // a drill's safeguards, polled during the attack
	auditMu     sync.Mutex
	drillLog    *drillAudit                   // a drill's audit log, opened by its first record
	faultStates map[int]*faultState           // a drill's faults on and off, for its metrics
	live        atomic.Pointer[load.Progress] // the load's last progress
	reads       *http.Client                  // a drill's one paced, read-only client to real systems

	// cancel stops the run's phases with a cause (a service that exited);
	// watching is closed once the run no longer watches its services.
	cancel    context.CancelCauseFunc
	watching  chan struct{}
	phaseName atomic.Pointer[string]
	// zero is attackStart for the goroutines that print progress.
	zero atomic.Pointer[time.Time]
	// probeTimeout bounds each health probe; HealthProbeTimeout when 0.
	probeTimeout time.Duration
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
		switch s.Runtime {
		case "docker":
			o.Runtime = &Docker{Logger: o.Logger}
		case "staging":
			o.Runtime = &Staging{Logger: o.Logger, ToxiproxyURL: s.Drill.Toxiproxy}
		default:
			o.Runtime = &Embedded{Logger: o.Logger, Supervisor: o.Supervisor}
		}
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
	r.inner = r.res
	if _, ok := o.Runtime.(Networked); ok {
		r.inner = &Resolver{Systems: map[string]Address{}, Getenv: o.Getenv, Secrets: r.secrets}
	}
	if err := r.checkShard(); err != nil {
		return nil, ci.WithExit(ci.ExitUsage, err)
	}
	r.dir = o.Out
	if r.dir == "" {
		r.dir = filepath.Join("runs", o.Now().UTC().Format("20060102-150405")+"-"+slug(s.Name))
		if o.Shard.Count > 1 {
			r.dir += fmt.Sprintf("-shard-%d-of-%d", o.Shard.Index, o.Shard.Count)
		}
	}
	if d, ok := o.Runtime.(*Docker); ok {
		if d.LogDir == "" {
			d.LogDir = r.dir
		}
		if d.RunID == "" {
			// The run folder's name, made unique: what firedrill clean
			// --run takes names the run a person knows.
			d.RunID = slug(filepath.Base(r.dir)) + "-" + randomHex(3)
		}
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
	fmt.Fprintf(r.o.Progress, "%11s  %s\n", r.clock(), r.secrets.Redact(line))
}

// clock is the time a progress line or a message names, on the reports'
// one time base: seconds since the attack started ("12.3s"), which is
// where the scenario's `at:` puts a fault; before the attack, the time
// spent setting up ("setup 0.4s").
func (r *run) clock() string {
	zero := r.zero.Load()
	if zero == nil {
		return fmt.Sprintf("setup %.1fs", time.Since(r.out.Started).Seconds())
	}
	return fmt.Sprintf("%.1fs", time.Since(*zero).Seconds())
}

// execute runs the phases in order. The first that fails, an interrupt
// (ctx ended) or a service that exits on its own stops the run: its gates
// are then not judged but listed as not run, and the reports say why. The
// reports are written whenever the run folder exists.
func (r *run) execute(parent context.Context) (*Outcome, error) {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("scenarios: run folder: %w", err))
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.cancel = cancel
	r.watching = make(chan struct{})
	stop := r.phases(ctx)
	if stop == nil {
		stop = r.stopped(parent, ctx, nil)
	}
	if err := r.pullMocks(); err != nil && stop == nil {
		stop = ci.WithExit(ci.ExitSetup, err)
	}
	var gates []ci.Gate
	if stop == nil {
		r.setPhase("check")
		gates = r.check(ctx)
		stop = r.stopped(parent, ctx, nil)
	}
	close(r.watching) // from here on, down stops the services
	if stop != nil {
		// What the gates would have read: none is judged, each is listed.
		cctx, c := context.WithCancel(ctx)
		c()
		gates = ci.NotRun(r.check(cctx), r.phaseCause(stop))
	}
	r.tallyWebhooks()
	r.out.Verdict = ci.Judge(gates...)
	if stop != nil {
		r.out.Verdict = r.out.Verdict.Stop(ci.Stopped{Code: ci.CodeOf(stop), Cause: r.secrets.Redact(stop.Error())})
	}
	r.out.Ended = r.o.Now()
	if err := r.report(); err != nil {
		stop = ci.WithExit(ci.ExitSetup, errors.Join(stop, err))
	}
	r.progress("verdict %s: %d gates, %d failed — report in %s", r.out.Verdict.Headline(), len(gates), r.out.Verdict.Failed, r.dir)
	if stop != nil {
		return r.out, stop
	}
	return r.out, r.out.Verdict.Err()
}

// phases runs plan, up, steady state, attack and settle, and returns what
// stopped them, with its exit code, or nil.
func (r *run) phases(ctx context.Context) error {
	r.setPhase("plan")
	r.progress("plan   %s (seed %d, runtime %s, folder %s)", r.s.Name, r.seed, r.rt.Name(), r.dir)
	if err := r.plan(ctx); err != nil {
		return ci.WithExit(ci.ExitUsage, err)
	}
	r.auditStart()
	if err := r.serveMetrics(ctx); err != nil {
		return ci.WithExit(ci.ExitSetup, err)
	}
	r.setPhase("up")
	r.progress("up     starting %d systems", len(r.systems))
	if err := r.up(ctx); err != nil {
		return r.stopped(ctx, ctx, err)
	}
	r.setPhase("steady state")
	if err := r.steadyState(ctx); err != nil {
		return r.stopped(ctx, ctx, err)
	}
	r.setPhase("attack")
	if err := r.attack(ctx); err != nil {
		if s := r.stopped(ctx, ctx, nil); s != nil {
			return s
		}
		return ci.WithExit(ci.ExitSetup, err)
	}
	if ctx.Err() == nil {
		r.setPhase("settle")
		r.settle(ctx)
	}
	return nil
}

// ErrServiceExited is why a run stops when a service under test ends on
// its own before the run is over.
var ErrServiceExited = errors.New("the service under test exited during the run")

// stopped says what stopped the run, with its exit code: an interrupt
// (parent ended: 130), a service that exited on its own (3), err (3), or
// nil when nothing did.
func (r *run) stopped(parent, ctx context.Context, err error) error {
	if cause := context.Cause(ctx); ctx.Err() != nil && errors.Is(cause, ErrServiceExited) {
		return ci.WithExit(ci.ExitSetup, cause)
	}
	if parent.Err() != nil {
		why := fmt.Errorf("scenarios: interrupted at %s during %s: %w", r.clock(), r.phase(), context.Cause(parent))
		return ci.WithExit(ci.ExitInterrupted, errors.Join(why, err))
	}
	if err != nil {
		return ci.WithExit(ci.ExitSetup, err)
	}
	return nil
}

// phaseCause is the first line of why the run stopped, for the gates it
// did not judge.
func (r *run) phaseCause(stop error) string {
	line, _, _ := strings.Cut(r.secrets.Redact(stop.Error()), "\n")
	return line
}

func (r *run) setPhase(p string) { r.phaseName.Store(&p) }

// phase is the phase the run is in, for the messages of what stopped it.
func (r *run) phase() string {
	if p := r.phaseName.Load(); p != nil {
		return *p
	}
	return "plan"
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
