package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// loadPlan turns the scenario's load section into a load plan, with system
// and environment references resolved and flow values left to the generator.
func (r *run) loadPlan() (load.Plan, error) {
	l := r.s.Load
	peak := l.Peak
	if !r.o.Peak.IsZero() {
		peak = r.o.Peak
	}
	mult := l.Multiplier
	if mult == 0 {
		mult = DefaultMultiplier
	}
	duration := l.Duration.D()
	if r.o.Duration > 0 {
		duration = r.o.Duration
	}
	rate := load.Target(peak.PerSecond(), mult)
	var shape load.Shape
	switch l.Shape {
	case "", "constant", "ramp":
		shape = load.Ramp(rate, l.Ramp.D(), duration)
	case "sine":
		// Around the target, half of it up and down, a cycle a minute at most.
		shape = load.Sine(rate, rate/2, min(duration, time.Minute))
	case "stages":
		stages := make([]load.Stage, len(l.Stages))
		for i, st := range l.Stages {
			stages[i] = load.Stage{Duration: st.Duration.D(), Target: st.Target.PerSecond() * mult}
		}
		var err error
		if shape, err = load.Stages(stages...); err != nil {
			return load.Plan{}, fmt.Errorf("scenarios: load.stages: %w", err)
		}
	}
	flow := load.Flow{Name: r.s.Name}
	for i, st := range l.Flow {
		step, err := r.loadStep(st)
		if err != nil {
			return load.Plan{}, fmt.Errorf("scenarios: load.flow[%d]: %w", i, err)
		}
		flow.Steps = append(flow.Steps, step)
	}
	thresholds, err := load.ParseThresholds(r.s.Gates.Load...)
	if err != nil {
		return load.Plan{}, fmt.Errorf("scenarios: gates.load: %w", err)
	}
	return load.Plan{Flow: flow, Shape: shape, Duration: duration, Thresholds: thresholds}, nil
}

func (r *run) loadStep(st Step) (load.Step, error) {
	url, err := r.res.ExpandKeepVars(st.URL)
	if err != nil {
		return load.Step{}, fmt.Errorf("url: %w", err)
	}
	header := map[string]string{}
	if st.Insert != nil {
		if url, err = r.insertURL(st.Insert); err != nil {
			return load.Step{}, fmt.Errorf("insert: %w", err)
		}
		st.Method = http.MethodPost
		if st.Expect == 0 {
			st.Expect = http.StatusCreated
		}
		for k, v := range r.system(st.Insert.System).adminHeader() {
			header[k] = strings.ReplaceAll(v[0], "$", "$$") // the load's templates read ${...}
		}
	}
	for k, v := range st.Headers {
		if header[k], err = r.res.ExpandKeepVars(v); err != nil {
			return load.Step{}, fmt.Errorf("headers.%s: %w", k, err)
		}
	}
	body, err := r.expandBody(st.Body)
	if err != nil {
		return load.Step{}, fmt.Errorf("body: %w", err)
	}
	method := st.Method
	if method == "" && st.Body != nil {
		method = "POST"
	}
	step := load.Step{Name: st.Name, Method: method, URL: url, Header: header, Body: body, Expect: st.Expect, Capture: st.Capture}
	if st.Sign != nil {
		secret, err := r.res.Expand(st.Sign.Secret)
		if err != nil {
			return load.Step{}, fmt.Errorf("sign.secret: %w", err)
		}
		if step.Sign, err = signer(st.Sign.Scheme, secret, time.Now); err != nil {
			return load.Step{}, fmt.Errorf("sign: %w", err)
		}
	}
	return step, nil
}

// insertURL is the admin insert of a mock's collection, past its proxy:
// people entering data in a vendor are not the integration's traffic, so
// no fault of the proxy applies and the mock does not journal it.
func (r *run) insertURL(in *Insert) (string, error) {
	sys := r.system(in.System)
	if sys == nil || sys.direct == "" {
		return "", fmt.Errorf("system %q is not a mock this run serves", in.System)
	}
	return "http://" + sys.direct + toolkit.AdminPrefix + "collections/" + neturl.PathEscape(in.Collection), nil
}

// expandBody resolves system and environment references in every string of a body.
func (r *run) expandBody(x any) (any, error) {
	switch t := x.(type) {
	case string:
		return r.res.ExpandKeepVars(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			e, err := r.expandBody(v)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			e, err := r.expandBody(v)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	return x, nil
}

// events turns faults of the chaos section into timeline events on the
// run's proxies.
func (r *run) events(faults []Fault) []chaos.Event {
	events := make([]chaos.Event, 0, len(faults))
	for _, f := range faults {
		if f.data() {
			events = append(events, r.dataEvent(f))
			continue
		}
		params := make(map[string]string, len(f.Params)+2)
		for k, v := range f.Params {
			params[k] = v
		}
		if f.Direction != "" {
			params["stream"] = f.Direction
		}
		if f.Toxicity != 0 {
			params["toxicity"] = strconv.FormatFloat(f.Toxicity, 'f', -1, 64)
		}
		if f.System != "" {
			events = append(events, r.mockFaultEvent(f))
			continue
		}
		events = append(events, chaos.Event{At: f.At.D(), For: f.For.D(), Target: f.Proxy, Kind: f.Toxic, Params: params})
	}
	return events
}

// mockFaultEvent puts an HTTP or data fault of a mock on the timeline: the
// fault set of the system's mock switches it on and off.
func (r *run) mockFaultEvent(f Fault) chaos.Event {
	ev := chaos.Event{At: f.At.D(), For: f.For.D(), Target: f.System, Kind: f.Fault, Params: f.Params}
	sys := r.system(f.System)
	ev.Fault = chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
		if sys == nil || sys.faults == nil {
			return nil, fmt.Errorf("scenarios: system %q serves no mock that takes faults", f.System)
		}
		hf, err := toolkit.NewHTTPFault(f.Fault, f.Params)
		if err != nil {
			return nil, err
		}
		revert, err := sys.faults.Activate(ctx, hf)
		if err != nil {
			return nil, err
		}
		return chaos.Revert(revert), nil
	})
	return ev
}

// attack runs the load and the fault timeline together, on one clock.
func (r *run) attack(ctx context.Context) error {
	if r.s.Load == nil && len(r.s.Chaos) == 0 {
		return nil
	}
	audit, err := os.Create(filepath.Join(r.dir, "audit.jsonl"))
	if err != nil {
		return fmt.Errorf("scenarios: audit log: %w", err)
	}
	r.closers = append(r.closers, audit.Close)
	var plan load.Plan
	if r.s.Load != nil {
		if plan, err = r.loadPlan(); err != nil {
			return err
		}
	}
	faults := r.faultsWithin(plan.Duration)
	r.data = newDataEvents(r.s.Chaos)
	tl, err := chaos.NewTimeline(r.events(faults), chaos.WithToxiproxy(r.tp), chaos.WithAuditLog(r.secrets.Writer(r.auditWriter(audit))))
	if err != nil {
		return fmt.Errorf("scenarios: chaos: %w", err)
	}
	r.timeline = tl
	if err := r.lineUp(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("scenarios: %w", err)
	}
	attackCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var tlErr error
	wg.Add(1)
	start := time.Now()
	r.attackStart = start
	r.zero.Store(&start)
	data := dataCount(faults)
	r.progress("attack %v for %s, %d faults, %d data events", plan.Shape, plan.Duration, len(faults)-data, data)
	for _, f := range faults {
		if f.data() {
			continue // an instant: no window
		}
		target, kind := f.Proxy, f.Toxic
		if f.System != "" {
			target, kind = f.System, f.Fault
		}
		end := f.At.D() + f.For.D()
		if plan.Duration > 0 {
			end = min(end, plan.Duration)
		}
		// Planned, for the progress lines; the gates judge the applied
		// windows (appliedWindows).
		r.windows = append(r.windows, ci.FaultWindow{Target: target, Start: start.Add(f.At.D()), End: start.Add(end), Kind: kind, Partial: f.partial()})
	}
	go func() {
		defer wg.Done()
		tlErr = tl.Run(attackCtx)
	}()
	g := r.startGuard(attackCtx, start, stop, tl)
	defer func() { stop(); g.wait() }() // the pollers end with the attack, even on a panic
	if r.o.attackHook != nil {
		r.o.attackHook()
	}
	if r.s.Load != nil {
		report, err := r.runLoad(attackCtx, plan)
		r.out.Load = report
		if err != nil && g.Breached() == nil {
			stop()
			wg.Wait()
			r.appliedWindows(tl, faults)
			return err
		}
	}
	if r.s.Load == nil {
		r.waitTimeline(attackCtx, faults)
	}
	stop()
	wg.Wait()
	r.appliedWindows(tl, faults)
	if g.Breached() != nil {
		return ctx.Err() // the safeguard's gate says what broke
	}
	if tlErr != nil && !errors.Is(tlErr, context.Canceled) {
		return fmt.Errorf("scenarios: chaos: %w", tlErr)
	}
	return ctx.Err()
}

// appliedWindows replaces the planned fault windows, which the progress
// lines read during the attack, by the windows as the timeline applied
// them (its audit log's apply and revert times): the attack may end before
// a fault's planned end (--duration, a load that stops once its gates can
// no longer pass, a fault whose apply failed), and a gate must not judge
// the part of a window that never happened.
func (r *run) appliedWindows(tl *chaos.Timeline, faults []Fault) {
	applied := tl.Windows()
	// In the scenario's order, as the planned ones were.
	sort.SliceStable(applied, func(i, j int) bool { return applied[i].Event < applied[j].Event })
	windows := make([]ci.FaultWindow, len(applied))
	for i, w := range applied {
		windows[i] = ci.FaultWindow{Target: w.Target, Start: w.Start, End: w.End, Kind: w.Kind}
		if w.Event < len(faults) { // the timeline's events are the faults, in order
			windows[i].Partial = faults[w.Event].partial()
		}
	}
	r.windows = windows
}

// faultsWithin returns the faults of the chaos section that start within
// an attack of duration d (0: no load, every fault). Validation refuses a
// fault past load.duration; --duration may shorten the attack below it,
// and then a fault that would start after the end is left out with a
// warning: it never runs, so no gate judges it. One that starts in time
// but would end after is cut short at the end, with a warning.
func (r *run) faultsWithin(d time.Duration) []Fault {
	var in []Fault
	for i, f := range r.s.Chaos {
		f.index = i
		switch {
		case d <= 0:
		case f.At.D() >= d:
			r.progress("WARNING chaos[%d] at %s is after the end of the attack (%s): it does not run and is not judged", i, f.At, d)
			r.log.Warn("scenarios: fault after the end of the attack left out", "fault", i, "at", f.At.D(), "attack", d)
			continue
		case f.At.D()+f.For.D() > d:
			r.progress("WARNING chaos[%d] from %s to %s is cut short at the end of the attack (%s)", i, f.At, f.At.D()+f.For.D(), d)
		}
		in = append(in, f)
	}
	return in
}

// waitTimeline waits for the last fault of a load-free scenario to end.
func (r *run) waitTimeline(ctx context.Context, faults []Fault) {
	var end time.Duration
	for _, f := range faults {
		end = max(end, f.At.D()+f.For.D())
	}
	t := time.NewTimer(end + 100*time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// runLoad pushes the flow, streaming results to results.bin.
func (r *run) runLoad(ctx context.Context, plan load.Plan) (*load.Report, error) {
	file, err := os.Create(filepath.Join(r.dir, "results.bin"))
	if err != nil {
		return nil, fmt.Errorf("scenarios: results file: %w", err)
	}
	defer file.Close()
	results := r.secrets.redactResults(file)
	var last time.Time
	var lastFaults string
	progress := func(p load.Progress) {
		r.guard.observe(p)
		r.live.Store(&p)
		// A line every few seconds, and whenever a fault starts or ends.
		faults := r.activeFaults(time.Now())
		if time.Since(last) < 5*time.Second && faults == lastFaults {
			return
		}
		last, lastFaults = time.Now(), faults
		r.progress("attack %s/%s  %.0f req/s  p99 %s  %d errors of %d%s", p.Elapsed.Round(time.Second), p.Total, p.Rate, p.P99.Round(time.Millisecond), p.Errors, p.Requests, faults)
	}
	opts := []load.Option{load.WithResults(results), load.WithSeed(uint64(r.seed)), load.WithProgress(progress), load.WithLogger(r.log)}
	if sh := r.shard(); sh.Count > 1 {
		opts = append(opts, load.WithShard(sh))
	}
	if !r.lineStart.IsZero() {
		// The shards' schedules and seconds count from the one start.
		opts = append(opts, load.WithStartAt(r.lineStart))
	}
	if hosts := r.allowHosts(); len(hosts) > 0 {
		opts = append(opts, load.WithAllowHosts(hosts...))
	}
	report, err := load.Run(ctx, plan, opts...)
	if report != nil {
		// What a merge checks the shards share: the scenario's bytes and
		// the seed (the addresses differ from process to process).
		report.Plan = load.PlanDigest([]byte(r.s.Digest()), []byte(strconv.FormatInt(r.seed, 10)),
			[]byte(fmt.Sprint(plan.Shape)), []byte(plan.Duration.String()))
	}
	if cerr := results.Close(); cerr != nil && report != nil && report.WriteErr == nil {
		report.WriteErr = cerr
	}
	if err != nil {
		return report, fmt.Errorf("scenarios: load: %w", err)
	}
	return report, nil
}

// allowHosts are the hosts of the run's own systems: the load may go to
// them even when they are not loopback (a runtime's containers).
func (r *run) allowHosts() []string {
	seen := map[string]bool{}
	for _, a := range r.res.Systems {
		seen[a.Host] = true
	}
	hosts := make([]string, 0, len(seen))
	for h := range seen {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}

// activeFaults names the faults on at now, for the progress line.
func (r *run) activeFaults(now time.Time) string {
	var on []string
	for _, w := range r.windows {
		if !now.Before(w.Start) && now.Before(w.End) {
			on = append(on, w.Kind+" on "+w.Target)
		}
	}
	if len(on) == 0 {
		return ""
	}
	return "  faults: " + strings.Join(on, ", ")
}
