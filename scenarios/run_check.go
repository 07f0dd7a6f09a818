package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// Settle defaults: how long the systems must be quiet, and the longest wait.
const (
	QuietFor      = time.Second
	DefaultSettle = 30 * time.Second
)

// settle waits until no mock has seen a request that may change data for
// QuietFor (reads do not count: a sync that polls a vendor reads on while it
// has nothing left to write) and no mock has a webhook still queued or
// waiting to retry (the integration has caught up, and the vendors have
// sent all they had), bounded by the consistency settle time.
func (r *run) settle(ctx context.Context) {
	limit := DefaultSettle
	if c := r.s.Gates.Consistency; c != nil && c.Settle.D() > 0 {
		limit = c.Settle.D()
	}
	start := time.Now()
	deadline := start.Add(limit)
	last, quietSince := r.journalChanges(), time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := r.journalChanges(); n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(quietSince) >= QuietFor && r.webhooksPending() == 0 {
			r.progress("settle quiet after %s", time.Since(start).Round(100*time.Millisecond))
			return
		}
	}
	if n := r.webhooksPending(); n > 0 {
		r.progress("settle still busy after %s (%d webhooks not yet delivered); checking anyway", limit, n)
		return
	}
	r.progress("settle still busy after %s; checking anyway", limit)
}

// webhooksPending counts the webhooks queued or waiting to retry, every
// mock together.
func (r *run) webhooksPending() int {
	n := 0
	for _, sys := range r.systems {
		if sys.webhooks != nil {
			n += sys.webhooks.Queue().Pending
		}
	}
	return n
}

// tallyWebhooks records what each mock delivered as webhooks, for the
// outcome and the reports, and warns of every delivery lost: data the
// vendor sent that the receiver never took.
func (r *run) tallyWebhooks() {
	for _, sys := range r.systems {
		if sys.webhooks == nil {
			continue
		}
		q := sys.webhooks.Queue()
		d := ci.Deliveries{Delivered: q.Delivered, Failed: q.Failed, Dropped: q.Dropped, Pending: q.Pending}
		if d == (ci.Deliveries{}) && (sys.spec.Mock == nil || len(sys.spec.Mock.Webhooks) == 0) {
			continue // every HTTP mock can deliver; this one was asked for nothing
		}
		if r.out.Webhooks == nil {
			r.out.Webhooks = map[string]ci.Deliveries{}
		}
		r.out.Webhooks[sys.name] = d
		switch {
		case d.Lost() > 0:
			r.progress("webhook %-12s %s — WARNING: %d events never reached their receiver: data the vendor sent is lost", sys.name, d, d.Lost())
		case d.Pending > 0:
			r.progress("webhook %-12s %s — WARNING: checked before every event was delivered", sys.name, d)
		default:
			r.progress("webhook %-12s %s", sys.name, d)
		}
	}
}

// pullMocks reads the journals of the mocks a runtime runs itself (in
// containers), once the run has settled: the gates and the reports read
// them. It reads them even when the run stopped early, for the reports; a
// journal that cannot be read is a set-up failure, not a gate's.
func (r *run) pullMocks() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	for _, sys := range r.systems {
		if sys.remote != nil {
			errs = append(errs, sys.remote.pull(ctx))
		}
	}
	return errors.Join(errs...)
}

// journalChanges counts the requests that may change data, every mock
// together.
func (r *run) journalChanges() uint64 {
	var n uint64
	for _, sys := range r.systems {
		if sys.journal != nil {
			n += sys.journal.Changes()
		}
	}
	return n
}

// check evaluates every gate the scenario declares.
func (r *run) check(ctx context.Context) []ci.Gate {
	gates := r.guard.gates() // a drill's safeguards first
	if r.out.Load != nil {
		ts, _ := load.ParseThresholds(r.s.Gates.Load...)
		verdicts, _ := load.CheckAll(r.out.Load, ts)
		for _, v := range verdicts {
			g := ci.Gate{Name: v.Threshold.Source, Kind: "load", Passed: v.Pass, Measured: v.Measured, Reason: v.Message}
			if !v.Pass && len(r.out.Load.Flow.ErrorTexts) > 0 {
				g.Detail = append(g.Detail, r.out.Load.Flow.ErrorTexts...)
			}
			if sh := r.shard(); sh.Count > 1 {
				// A shard's share says nothing of the whole run's rate
				// or percentiles: firedrill merge judges them, on the
				// shards' histograms added together.
				g.Passed, g.Deferred, g.Detail = false, true, nil
				g.Measured = fmt.Sprintf("shard %s alone: %s", sh, v.Measured)
				g.Reason = "judged on the whole run by firedrill merge"
			}
			gates = append(gates, g)
		}
	}
	// Consistency first: its checks retry until the data agrees, and while
	// they wait the service may still be catching up (a breaker cooling
	// down, a backoff longer than settle's quiet second). The journals are
	// read after, so that the resilience gates see that catching up.
	var consistency []ci.Gate
	if c := r.s.Gates.Consistency; c != nil {
		consistency = r.consistencyGates(ctx, c.Checks)
	}
	entries := r.entries()
	r.traceConsistency(entries, consistency)
	journalGates := len(gates)
	if c := r.s.Gates.Contract; c != nil {
		gates = append(gates, ci.Conformance(entries, ci.ConformanceOptions{MaxInvalid: c.InvalidRequests, LoadIsTheClient: !r.s.hasService()}))
	}
	for _, rg := range r.s.Gates.Resilience {
		gates = append(gates, r.resilienceGates(ctx, entries, rg)...)
	}
	if note := r.journalsDropped(); note != "" {
		// The gates that read the journals say they read part of them.
		for i := journalGates; i < len(gates); i++ {
			gates[i].Detail = append([]string{note}, gates[i].Detail...)
		}
	}
	gates = append(gates, consistency...)
	return append(gates, r.probeGates(ctx)...)
}

// DefaultProbeWithin is how long a gate's probe is asked again until it
// holds, unless the scenario says otherwise.
const DefaultProbeWithin = 10 * time.Second

// probeGates ask the service itself, once the data has settled.
func (r *run) probeGates(ctx context.Context) []ci.Gate {
	var gates []ci.Gate
	for i, p := range r.s.Gates.Probes {
		url, err := r.res.Expand(p.URL)
		if err != nil {
			gates = append(gates, ci.Gate{Name: p.Name, Kind: ci.KindService, Measured: "not measured",
				Reason: fmt.Sprintf("gates.probes[%d].url: %v", i, err)})
			continue
		}
		within := DefaultProbeWithin
		if p.Within != nil {
			within = p.Within.D()
		}
		g := ci.Probe(ctx, ci.ProbeOptions{Name: p.Name, URL: url, Expect: p.Expect, JSON: p.JSON, Within: within, Redact: r.secrets.Redact})
		r.progress("probe %s: %s", p.Name, g.Status())
		gates = append(gates, g)
	}
	return gates
}

// consistencyGates settles every check at once: the systems converge
// together, and a run waits for the slowest check, not for their sum.
func (r *run) consistencyGates(ctx context.Context, checks []ConsistencyCheck) []ci.Gate {
	gates := make([]ci.Gate, len(checks))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, chk := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, res := r.consistencyGate(ctx, chk)
			gates[i] = g
			if res != nil {
				mu.Lock()
				r.consistency = append(r.consistency, *res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return gates
}

// latencyRows are the load's measures for the reports, each named by
// what one sample is: a one-step flow's requests are its iterations.
func latencyRows(l *load.Report) []ci.LatencyRow {
	row := func(of string, s load.Stats) ci.LatencyRow {
		return ci.LatencyRow{Of: of, Requests: s.Requests, Errors: s.Errors, Success: s.Success,
			P50: s.P50, P90: s.P90, P99: s.P99, P999: s.P999, Max: s.Max}
	}
	if len(l.Steps) <= 1 {
		return []ci.LatencyRow{row("request (one step: an iteration)", l.Requests)}
	}
	rows := []ci.LatencyRow{row("request", l.Requests)}
	for _, s := range l.Steps {
		rows = append(rows, row("step "+strconv.Quote(s.Name), s))
	}
	return append(rows, row("iteration", l.Flow))
}

// traceConsistency gives each wrong record of the consistency checks its
// story from the journals (ci.TraceResult), once they are read, and
// writes it into the checks' gates.
func (r *run) traceConsistency(entries []toolkit.Entry, gates []ci.Gate) {
	source := map[string]string{}
	if c := r.s.Gates.Consistency; c != nil {
		for _, chk := range c.Checks {
			source[chk.Name] = chk.Source.System
		}
	}
	for i := range r.consistency {
		res := &r.consistency[i]
		if res.Passed {
			continue
		}
		ci.TraceResult(res, entries, ci.TraceOptions{Source: source[res.Check], Zero: r.attackStart, Faults: r.windows})
		for j := range gates {
			if gates[j].Name == res.Check && gates[j].Kind == ci.KindConsistency {
				gates[j] = res.Gate()
			}
		}
	}
}

// entries are every mock's journal, oldest first.
func (r *run) entries() []toolkit.Entry {
	var all []toolkit.Entry
	for _, sys := range r.systems {
		if sys.journal != nil {
			all = append(all, sys.journal.All()...)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all
}

// resilienceGates turns one resilience entry of the scenario into the
// gates it asks for, each read from the journals.
func (r *run) resilienceGates(ctx context.Context, entries []toolkit.Entry, rg ResilienceGate) []ci.Gate {
	var gates []ci.Gate
	if rg.HonorsRetryAfter {
		gates = append(gates, ci.RetryAfter(entries, ci.RetryAfterOptions{System: rg.System}))
	}
	if rg.Backoff == "exponential" {
		gates = append(gates, ci.Backoff(entries, r.backoffOptions(rg)))
	}
	if !rg.MaxRateDuringOutage.IsZero() {
		gates = append(gates, ci.Breaker(entries, r.windows, ci.BreakerOptions{System: rg.System, MaxRate: rg.MaxRateDuringOutage.PerSecond(), Within: rg.BreakerWithin.D()}))
	}
	if rg.IdempotencyKeys {
		gates = append(gates, ci.Idempotency(entries, ci.IdempotencyOptions{System: rg.System, Operations: r.keyedOperations(rg.System)}))
	}
	if rg.MaxCallDuration.D() > 0 {
		gates = append(gates, ci.Timeouts(entries, ci.TimeoutOptions{System: rg.System, Max: rg.MaxCallDuration.D()}))
	}
	if rg.RecoveryWithin.D() > 0 {
		gates = append(gates, ci.Recovery(ctx, entries, r.windows, ci.RecoveryOptions{System: rg.System, Within: rg.RecoveryWithin.D(), Probe: r.healthProbe(), Zero: r.attackStart}))
	}
	return gates
}

// backoffOptions are what a resilience entry asks of the backoff gate:
// its thresholds, and the operation and windows it is limited to.
func (r *run) backoffOptions(rg ResilienceGate) ci.BackoffOptions {
	o := ci.BackoffOptions{System: rg.System, Operation: rg.Operation, Cap: rg.MaxBackoff.D(), MinGrowth: rg.MinGrowth,
		GiveUp: rg.GiveUpAfter.D(), RetryAfterGrace: rg.RetryAfterGrace.D()}
	if w := rg.Window; w != nil {
		cw := ci.Window{From: r.attackStart.Add(w.From.D())}
		if w.To.D() > 0 {
			cw.To = r.attackStart.Add(w.To.D())
		}
		o.Windows = append(o.Windows, cw)
	}
	if rg.DuringFaults {
		for _, fw := range r.windows {
			if fw.Target == rg.System {
				o.Windows = append(o.Windows, ci.Window{From: fw.Start, To: fw.End})
			}
		}
		if len(o.Windows) == 0 {
			// No fault on the system ran: limit the gate to nothing, so it says
			// it was not exercised rather than judge the whole run.
			o.Windows = []ci.Window{{From: r.attackStart, To: r.attackStart}}
		}
	}
	return o
}

// keyedOperations are the operations of a system's contract that declare an
// idempotency-key header.
func (r *run) keyedOperations(system string) []string {
	sys := r.system(system)
	if sys == nil || sys.openapi == nil {
		return nil
	}
	var ops []string
	for path, item := range sys.openapi.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value != nil && p.Value.In == "header" && strings.EqualFold(p.Value.Name, ci.DefaultIdempotencyHeader) {
					ops = append(ops, method+" "+path)
				}
			}
		}
	}
	sort.Strings(ops)
	return ops
}

// HealthProbeTimeout bounds each ask of a service's health endpoint by the
// recovery gate: a health check that hangs is an unhealthy service, not a
// CI job that never ends.
const HealthProbeTimeout = 5 * time.Second

// healthProbe checks every service's health endpoint, each within
// HealthProbeTimeout (r.probeTimeout in tests).
func (r *run) healthProbe() func(context.Context) error {
	timeout := r.probeTimeout
	if timeout <= 0 {
		timeout = HealthProbeTimeout
	}
	client := &http.Client{Timeout: timeout}
	return func(ctx context.Context) error {
		for _, sys := range r.systems {
			if sys.spec.Service == nil || sys.spec.Service.Health == "" {
				continue
			}
			if err := askHealth(ctx, client, timeout, sys.addr.URL()+sys.spec.Service.Health); err != nil {
				return fmt.Errorf("%s: %w", sys.name, err)
			}
		}
		return nil
	}
}

// askHealth GETs a health endpoint once, within timeout.
func askHealth(ctx context.Context, client *http.Client, timeout time.Duration, url string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("health did not answer within %s: %w", timeout, err)
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("health answered %d", resp.StatusCode)
	}
	return nil
}

// consistencyGate runs one check until it passes or the settle time is up
// (the systems may still be converging), returning its result for the report.
func (r *run) consistencyGate(ctx context.Context, c ConsistencyCheck) (ci.Gate, *ci.Result) {
	fail := func(err error) (ci.Gate, *ci.Result) {
		return ci.Gate{Name: c.Name, Kind: "consistency", Measured: "not measured", Reason: r.secrets.Redact(err.Error())}, nil
	}
	check := ci.Check{Name: c.Name, Source: r.source(c.Source), Target: r.source(c.Target),
		Join: ci.Join{Source: c.Join.Source, Target: c.Join.Target}, Expect: ci.Expect(c.Expect),
		SourceAggregate: c.Source.aggregate(), TargetAggregate: c.Target.aggregate()}
	for _, name := range sortedKeys(c.Fields) {
		f := c.Fields[name]
		check.Fields = append(check.Fields, f.field(name))
	}
	checker, err := check.Compile()
	if err != nil {
		return fail(err)
	}
	limit := DefaultSettle
	if s := r.s.Gates.Consistency.Settle.D(); s > 0 {
		limit = s
	}
	res, err := checker.Settle(ctx, limit, 500*time.Millisecond)
	if err != nil {
		return fail(err)
	}
	return res.Gate(), &res
}

// field is the ci form of a field check.
func (f FieldCheck) field(name string) ci.Field {
	return ci.Field{Name: name, Source: f.Source, Target: f.Target, Tolerance: f.Tolerance, Time: f.Compare == CompareInstant,
		Zone: f.Zone, TimeTolerance: f.TimeTolerance.D(), EmptyIsNull: f.EmptyEqualsNull, Ignore: f.Ignore}
}

// aggregate is the ci form of a side's grouping, nil when it has none.
func (c Collection) aggregate() *ci.Aggregate {
	if c.GroupBy == "" && len(c.Aggregate) == 0 {
		return nil
	}
	return &ci.Aggregate{GroupBy: c.GroupBy, Values: c.Aggregate}
}

// CompareInstant is the field option that compares values as instants.
const CompareInstant = "instant"

// source reads a collection of a system: a list endpoint when the check
// names a path (real systems, staging), else a stateful OpenAPI mock's
// store, else a mock's admin API (a GraphQL mock's state).
func (r *run) source(c Collection) ci.Source {
	sys := r.system(c.System)
	if sys != nil && c.Path != "" {
		src := &ci.HTTPSource{URL: "http://" + sys.addr.Addr() + strings.TrimRight(sys.addr.BasePath, "/") + c.Path,
			Items: c.Items, Paging: c.Paging, Auth: c.Auth, Getenv: r.getenv}
		if r.s.Runtime == "staging" {
			// A drill reads the real system itself, past its proxies, read-only and paced.
			src.URL, src.Client = strings.TrimRight(sys.spec.URL, "/")+c.Path, r.readClient()
		}
		return src
	}
	return ci.SourceFunc(func(ctx context.Context) ([]map[string]any, error) {
		if sys == nil {
			return nil, fmt.Errorf("scenarios: no system %q", c.System)
		}
		if sys.store != nil {
			records, err := sys.store.Snapshot(c.Collection)
			if err != nil {
				return nil, fmt.Errorf("scenarios: %s: %w", c.System, err)
			}
			out := make([]map[string]any, len(records))
			copy(out, records)
			return out, nil
		}
		host := sys.addr.Addr()
		if sys.remote != nil {
			host = sys.direct // a mock in a container: its admin API, past the proxy
		}
		src := &ci.HTTPSource{URL: "http://" + host + toolkit.AdminPrefix + "collections/" + c.Collection, Header: sys.adminHeader(), Getenv: r.getenv}
		return src.Records(ctx)
	})
}

// getenv reads the environment the way the run does, for credentials.
func (r *run) getenv(name string) string {
	v, _ := r.o.Getenv(name)
	r.secrets.Add(v)
	return v
}

// report writes the run folder's reports: report.html, junit.xml,
// summary.json and summary.md, every secret redacted.
func (r *run) report() error {
	rep := ci.Report{Scenario: r.s.Name, Owner: r.s.Owner, Version: r.o.Version, ScenarioFile: r.s.File(), ScenarioDigest: r.s.Digest(),
		Start: r.out.Started, End: r.out.Ended, AttackStart: r.attackStart,
		Gates: r.out.Verdict.Gates, Faults: r.windows, Events: r.data.list(), Consistency: r.consistency}
	for _, sys := range r.systems {
		rs := ci.System{Name: sys.name, URL: sys.addr.URL(), Contracts: sys.contracts}
		switch {
		case sys.spec.Service != nil:
			rs.Kind = "service"
		case sys.spec.URL != "":
			rs.Kind, rs.URL, rs.Proxy = "external", sys.spec.URL, sys.addr.Addr()
		default:
			rs.Kind, rs.Proxy, rs.Contract = "mock", sys.addr.Addr(), sys.spec.Contract
			if d, ok := r.out.Webhooks[sys.name]; ok {
				rs.Webhooks = &d
			}
		}
		rep.Systems = append(rep.Systems, rs)
	}
	rep.Flows = r.reportFlows()
	if l := r.out.Load; l != nil {
		rep.Latency = latencyRows(l)
		// The buckets count from the load's own start, a moment after the
		// attack's (the timeline starts first).
		zero := l.Start
		if zero.IsZero() {
			zero = r.attackStart
		}
		for _, b := range l.Series {
			rep.Series = append(rep.Series, ci.Second{At: zero.Add(time.Duration(b.Second) * time.Second),
				Requests: int(b.Requests), Errors: int(b.Errors), P50: b.P50, P99: b.P99})
		}
	}
	if !r.attackStart.IsZero() {
		entries, end := r.entries(), time.Now()
		for _, sys := range r.systems {
			if sys.journal != nil {
				d := ci.DownstreamOf(entries, sys.name, r.attackStart, end)
				d.AddRefused(r.refusals(sys.name), r.windows)
				rep.Downstream = append(rep.Downstream, d)
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(r.dir, "audit.jsonl")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line != "" {
				rep.Audit = append(rep.Audit, line)
			}
		}
	}
	// The journals first: a run that cannot keep its evidence says so in
	// every report (ci.WriteFiles does the same for the reports).
	rep.Stopped = r.out.Verdict.Stopped
	var errs []error
	if err := r.writeJournals(); err != nil {
		errs = append(errs, err)
		cause := "the run's journals could not all be written: " + err.Error()
		if rep.Stopped != nil {
			cause = rep.Stopped.Cause + "; " + cause
		}
		rep.Stopped = &ci.Stopped{Code: ci.ExitSetup, Cause: r.secrets.Redact(cause)}
	}
	if l := r.out.Load; l != nil {
		// The load's histograms, per second and per step, in HdrHistogram's
		// log format, and what a merge of shards needs beside them.
		if err := redacted(r.secrets, l).WriteRunFiles(r.dir, r.shard()); err != nil {
			err = fmt.Errorf("scenarios: load histograms: %w", err)
			errs = append(errs, err)
			cause := "the load's histograms could not be written: " + err.Error()
			if rep.Stopped != nil {
				cause = rep.Stopped.Cause + "; " + cause
			}
			rep.Stopped = &ci.Stopped{Code: ci.ExitSetup, Cause: r.secrets.Redact(cause)}
		}
	}
	written, err := ci.WriteFiles(r.files(), redacted(r.secrets, rep))
	r.out.Verdict = written.Verdict()
	if err != nil {
		errs = append(errs, fmt.Errorf("scenarios: %w", err))
	}
	if r.o.Annotations != nil {
		if err := ci.WriteAnnotations(r.o.Annotations, written); err != nil {
			errs = append(errs, fmt.Errorf("scenarios: annotations: %w", err))
		}
	}
	return errors.Join(errs...)
}

// refusals reads the connections the proxy of system refused while down.
// A server that does not count them (a Toxiproxy not firedrill's) leaves
// the chart without them, and the log says so.
func (r *run) refusals(system string) []chaos.Refused {
	if r.tp == nil {
		return nil
	}
	// The run's context may be cancelled by now: the report is written
	// all the same.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rs, err := r.tp.Refusals(ctx, system)
	if err != nil {
		r.log.Warn("scenarios: the downstream chart lacks the connections the proxy refused", "system", system, "err", err)
		return nil
	}
	return rs
}

// files is where the run's reports and journals go.
func (r *run) files() ci.Files {
	if r.o.Files != nil {
		return r.o.Files
	}
	return ci.Dir(r.dir)
}

// writeJournals keeps every mock's journal in the run folder, in the
// toolkit's journal format (one JSON line per exchange), secrets redacted:
// the evidence behind the resilience and contract gates.
func (r *run) writeJournals() error {
	var errs []error
	for _, sys := range r.systems {
		if sys.journal == nil {
			continue
		}
		var b strings.Builder
		if err := toolkit.WriteJournal(&b, redacted(r.secrets, sys.journal.All())); err != nil {
			errs = append(errs, fmt.Errorf("scenarios: journal of %s: %w", sys.name, err))
			continue
		}
		if err := r.files().WriteFile("journal-"+sys.name+".jsonl", []byte(r.secrets.Redact(b.String()))); err != nil {
			errs = append(errs, fmt.Errorf("scenarios: journal of %s: %w", sys.name, err))
		}
	}
	return errors.Join(errs...)
}

// reportFlows draws the arrows of the system map: the load into the
// systems its steps call, the services into the systems they refer to.
func (r *run) reportFlows() []ci.Flow {
	var flows []ci.Flow
	seen := map[string]bool{}
	add := func(f ci.Flow) {
		key := f.From + ">" + f.To
		if !seen[key] {
			seen[key] = true
			flows = append(flows, f)
		}
	}
	if l := r.s.Load; l != nil {
		mult := l.Multiplier
		if mult == 0 {
			mult = DefaultMultiplier
		}
		for _, st := range l.Flow {
			refs, _ := ParseRefs(st.URL)
			for _, ref := range refs {
				if ref.Kind == RefSystem {
					add(ci.Flow{Name: st.Name, From: "load", To: ref.System, Rate: fmt.Sprintf("%.4g/s", l.Peak.PerSecond()*mult)})
				}
			}
		}
	}
	for _, sys := range r.systems {
		if m := sys.spec.Mock; m != nil {
			for _, wh := range m.Webhooks {
				refs, _ := ParseRefs(wh.URL)
				for _, ref := range refs {
					if ref.Kind == RefSystem && ref.System != sys.name {
						add(ci.Flow{Name: "webhooks", From: sys.name, To: ref.System})
					}
				}
			}
		}
		if sys.spec.Service == nil {
			continue
		}
		for _, k := range sortedKeys(sys.spec.Service.Env) {
			refs, _ := ParseRefs(sys.spec.Service.Env[k])
			for _, ref := range refs {
				if ref.Kind == RefSystem && ref.System != sys.name {
					add(ci.Flow{Name: k, From: sys.name, To: ref.System})
				}
			}
		}
	}
	return flows
}

// journalsDropped says which journals dropped requests to stay within
// their bounds, "" when none did: a gate that reads them judged the
// requests they kept, the latest, and says so.
func (r *run) journalsDropped() string {
	var parts []string
	for _, sys := range r.systems {
		if sys.journal == nil {
			continue
		}
		if st := sys.journal.Stats(); st.Dropped > 0 {
			parts = append(parts, fmt.Sprintf("%s dropped its %d oldest of %d requests (%d bytes) to stay within %d entries and %d bytes",
				sys.name, st.Dropped, st.Total, st.DroppedBytes, st.MaxEntries, st.MaxBytes))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	note := "judged on the journals' latest requests only: " + strings.Join(parts, "; ")
	r.log.Warn("scenarios: a journal dropped requests", "detail", note)
	r.progress("warning: %s", note)
	return note
}
