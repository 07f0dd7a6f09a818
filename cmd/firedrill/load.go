package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/scenarios"
)

// loadFlags are the options of `firedrill load`.
type loadFlags struct {
	url, method, body      string
	contract, operation    string
	headers, thresholds    []string
	unique, allowHosts     []string
	peak, out              string
	multiplier             float64
	duration, ramp         time.Duration
	expect                 int
	seed                   uint64
	maxWorkers             uint64
	progressEvery, timeout time.Duration
	dir                    string
	shards                 shardFlags
}

func newLoadCmd(st *state) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load --url URL --peak RATE --duration D",
		Short: "Push a request at peak × multiplier with Vegeta and gate on thresholds",
		Long: `Send one request, paced by Vegeta in an open model, at the expected peak times
a multiplier (default 3) for a duration, then print a summary per step and
check the thresholds. Load goes only to loopback or to --allow-host names.

Templates in --url, --header and the body: ${seq} (the iteration number),
${uuid}, ${rand}. With --contract and --operation the body is the operation's
example, or generated from its request schema for each iteration; --unique
names body fields set to a value unique to the iteration.

Thresholds: "p99 < 500ms", "p95 <= 1s", "success >= 99.5%", "errors < 10",
"rate >= 0.98 * target". A threshold that can no longer pass stops the run.

Exit codes: 0 every threshold passed, 1 one failed, 2 a bad flag, a bad file
or a refused target, 130 interrupted (results so far are still written).`,
		Example: `  firedrill load --url http://127.0.0.1:8080/v1/orders --peak 40/s --duration 60s \
    --threshold 'p99 < 500ms' --threshold 'success >= 99.5%' --out results.bin
  firedrill load --url http://127.0.0.1:8080/v1/orders --contract shop.yaml --operation createOrder \
    --unique reference --peak 40/s --multiplier 2 --duration 2m --ramp 20s
  vegeta report results.bin`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd.Context(), st, f)
		},
	}
	cmd.AddCommand(newLoadReportCmd(st))
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "target URL (loopback or an --allow-host name)")
	fl.StringVar(&f.method, "method", "", "HTTP method (GET, or the contract operation's)")
	fl.StringArrayVar(&f.headers, "header", nil, "request header 'Name: value' (repeatable)")
	fl.StringVar(&f.body, "body", "", "file holding the request body")
	fl.StringVar(&f.contract, "contract", "", "OpenAPI contract holding --operation")
	fl.StringVar(&f.operation, "operation", "", "operation id whose request body to send")
	fl.StringArrayVar(&f.unique, "unique", nil, "JSON body field made unique per iteration (repeatable)")
	fl.IntVar(&f.expect, "expect", 0, "status that counts as success (default any 2xx/3xx)")
	fl.StringVar(&f.peak, "peak", "", "expected peak rate: 40/s, 600/m")
	fl.Float64Var(&f.multiplier, "multiplier", load.DefaultMultiplier, "rate = peak × multiplier")
	fl.DurationVar(&f.duration, "duration", 0, "how long to push load (at most 30m)")
	fl.DurationVar(&f.ramp, "ramp", 0, "linear ramp from 0 to the full rate, within --duration")
	fl.StringArrayVar(&f.thresholds, "threshold", nil, "pass/fail condition, e.g. 'p99 < 500ms' (repeatable)")
	fl.StringVar(&f.out, "out", "", "write every result to this file in Vegeta's encoding")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "host name load may go to besides loopback (repeatable)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of ${uuid}, ${rand} and generated bodies")
	fl.Uint64Var(&f.maxWorkers, "max-workers", load.DefaultMaxWorkers, "bound on Vegeta's worker pool")
	fl.DurationVar(&f.timeout, "timeout", load.DefaultTimeout, "bound on each request")
	fl.DurationVar(&f.progressEvery, "progress-every", 5*time.Second, "interval of progress lines when stderr is not a terminal")
	fl.StringVar(&f.dir, "dir", "", "write the histograms (HdrHistogram log, per second and step) and the load summary into this folder: what firedrill merge reads")
	f.shards.add(fl)
	return cmd
}

func usage(format string, args ...any) error {
	return ci.WithExit(ci.ExitUsage, fmt.Errorf(format, args...))
}

// loadPlan turns the flags into a plan, naming the flag at fault.
func loadPlan(ctx context.Context, f loadFlags) (load.Plan, error) {
	var p load.Plan
	if f.url == "" {
		return p, usage("--url is required")
	}
	if f.peak == "" {
		return p, usage("--peak is required (e.g. --peak 40/s)")
	}
	peak, err := parseRate(f.peak)
	if err != nil {
		return p, usage("--peak %q: %v", f.peak, err)
	}
	if f.multiplier <= 0 {
		return p, usage("--multiplier %g: must be positive", f.multiplier)
	}
	if f.duration <= 0 || f.duration > load.MaxDuration {
		return p, usage("--duration %s: must be positive and at most %s", f.duration, load.MaxDuration)
	}
	if f.ramp < 0 || f.ramp > f.duration {
		return p, usage("--ramp %s: must be within --duration %s", f.ramp, f.duration)
	}
	step := load.Step{Name: "request", Method: f.method, URL: f.url, Expect: f.expect, Unique: f.unique,
		Header: map[string]string{}}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return p, usage("--header %q: want 'Name: value'", h)
		}
		step.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := loadBody(ctx, f, &step); err != nil {
		return p, err
	}
	if p.Thresholds, err = load.ParseThresholds(f.thresholds...); err != nil {
		return p, usage("--threshold: %w", err)
	}
	rate := load.Target(peak, f.multiplier)
	p.Flow = load.Flow{Name: "flow", Steps: []load.Step{step}}
	p.Shape = load.Ramp(rate, f.ramp, f.duration)
	p.Duration = f.duration
	return p, nil
}

func loadBody(ctx context.Context, f loadFlags, step *load.Step) error {
	switch {
	case f.body != "" && (f.contract != "" || f.operation != ""):
		return usage("--body and --contract/--operation exclude each other")
	case f.body != "":
		b, err := os.ReadFile(f.body)
		if err != nil {
			return usage("--body: %w", err)
		}
		step.Body = b
		if json.Valid(b) && !hasHeader(step.Header, "Content-Type") {
			step.Header["Content-Type"] = "application/json"
		}
	case f.contract != "" || f.operation != "":
		if f.contract == "" || f.operation == "" {
			return usage("--contract and --operation go together")
		}
		c, err := contracts.LoadOpenAPI(ctx, f.contract)
		if err != nil {
			return usage("--contract: %w", err)
		}
		op, err := load.ContractOperation(c, f.operation, int64(f.seed))
		if err != nil {
			return usage("--operation: %w", err)
		}
		if step.Method == "" {
			step.Method = op.Method
		}
		step.BodyFunc = op.Body
	}
	return nil
}

// parseRate reads a rate with contracts.ParseRate, the one grammar of every
// rate firedrill takes, and bounds it to what the load can pace.
func parseRate(s string) (float64, error) {
	r, err := contracts.ParseRate(s)
	if err != nil {
		return 0, err
	}
	if v := r.PerSecond(); v > load.MaxRate {
		return 0, fmt.Errorf("rate %s is %g/s, over the %d/s the load paces at most", r, v, load.MaxRate)
	}
	return r.PerSecond(), nil
}

func runLoad(ctx context.Context, st *state, f loadFlags) error {
	sh, startAt, err := f.shards.parse()
	if err != nil {
		return err
	}
	if f.shards.barrier != "" && f.dir == "" {
		return usage("--barrier sends the coordinator the run's files: give --dir too")
	}
	plan, err := loadPlan(ctx, f)
	if err != nil {
		return err
	}
	prog := newProgressPrinter(st.stderr, f.progressEvery)
	opts := []load.Option{load.WithSeed(f.seed), load.WithAllowHosts(f.allowHosts...),
		load.WithLogger(st.logger), load.WithProgress(prog.update)}
	if f.maxWorkers > 0 {
		opts = append(opts, load.WithMaxWorkers(f.maxWorkers))
	}
	if f.timeout > 0 {
		opts = append(opts, load.WithTimeout(f.timeout))
	}
	if f.out != "" {
		out, err := os.Create(f.out)
		if err != nil {
			return usage("--out: %w", err)
		}
		defer out.Close()
		opts = append(opts, load.WithResults(out))
	}
	if sh.Count > 1 {
		opts = append(opts, load.WithShard(sh))
	}
	fmt.Fprintf(st.stderr, "load: %s %s at %.4g/s (peak %s × %g) for %s\n",
		methodOf(plan), f.url, plan.Shape.Rate(f.duration), f.peak, f.multiplier, f.duration)
	startAt, err = lineUpLoad(ctx, st, f, sh, startAt)
	if err != nil {
		return err
	}
	if !startAt.IsZero() {
		opts = append(opts, load.WithStartAt(startAt))
	}
	rep, err := load.Run(ctx, plan, opts...)
	if err != nil {
		if errors.Is(err, load.ErrRefusedTarget) {
			return usage("--url: %w", err)
		}
		return ci.WithExit(ci.ExitUsage, err)
	}
	prog.end()
	rep.Plan = loadDigest(f)
	if f.dir != "" {
		if err := os.MkdirAll(f.dir, 0o755); err != nil {
			return ci.WithExit(ci.ExitSetup, fmt.Errorf("--dir: %w", err))
		}
		if err := rep.WriteRunFiles(f.dir, sh); err != nil {
			return ci.WithExit(ci.ExitSetup, fmt.Errorf("--dir: %w", err))
		}
		if f.shards.barrier != "" {
			if err := scenarios.UploadShard(context.WithoutCancel(ctx), f.shards.barrier, sh, f.dir); err != nil {
				return ci.WithExit(ci.ExitSetup, err)
			}
		}
	}
	verdicts, pass := load.CheckAll(rep, plan.Thresholds)
	if err := printLoadSummary(st.stdout, rep, verdicts); err != nil {
		return err
	}
	switch {
	case rep.Interrupted:
		return ci.WithExit(ci.ExitInterrupted, fmt.Errorf("%w: interrupted", errReported))
	case rep.WriteErr != nil:
		return ci.WithExit(ci.ExitSetup, rep.WriteErr)
	case !pass:
		return ci.WithExit(ci.ExitFail, fmt.Errorf("%w: a threshold failed", errReported))
	}
	return nil
}

func methodOf(p load.Plan) string {
	if m := p.Flow.Steps[0].Method; m != "" {
		return strings.ToUpper(m)
	}
	return "GET"
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// lineUpLoad waits for the start every shard shares: --start-at, or the
// one the coordinator gives once every shard of the same load has joined
// (same flags but the shard's own: loadDigest).
func lineUpLoad(ctx context.Context, st *state, f loadFlags, sh load.Shard, at time.Time) (time.Time, error) {
	start, err := scenarios.LineUp{Shard: sh, StartAt: at, Barrier: f.shards.barrier, Timeout: f.shards.barrierTimeout,
		Digest: loadDigest(f), Seed: int64(f.seed), Progress: func(format string, args ...any) {
			fmt.Fprintf(st.stderr, "load: "+format+"\n", args...)
		}}.Wait(ctx)
	switch {
	case err == nil:
		return start, nil
	case ctx.Err() != nil:
		return start, ci.WithExit(ci.ExitInterrupted, err)
	}
	return start, ci.WithExit(ci.ExitSetup, err)
}

// loadDigest names what the shards of one load share: every flag but
// the shard's own (--shard, --dir, --out, the barrier, progress).
func loadDigest(f loadFlags) string {
	key := f
	key.shards, key.dir, key.out, key.progressEvery = shardFlags{}, "", "", 0
	return load.PlanDigest([]byte(fmt.Sprintf("%#v", key)))
}
