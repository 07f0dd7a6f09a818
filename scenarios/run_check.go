package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks"
)

// Settle defaults: how long the systems must be quiet, and the longest wait.
const (
	QuietFor      = time.Second
	DefaultSettle = 30 * time.Second
)

// settle waits until no mock has seen a request for QuietFor (the
// integration has caught up), bounded by the consistency settle time.
func (r *run) settle(ctx context.Context) {
	limit := DefaultSettle
	if c := r.s.Gates.Consistency; c != nil && c.Settle.D() > 0 {
		limit = c.Settle.D()
	}
	start := time.Now()
	deadline := start.Add(limit)
	last, quietSince := r.journalTotal(), time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := r.journalTotal(); n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(quietSince) >= QuietFor {
			r.progress("settle quiet after %s", time.Since(start).Round(100*time.Millisecond))
			return
		}
	}
	r.progress("settle still busy after %s; checking anyway", limit)
}

func (r *run) journalTotal() uint64 {
	var n uint64
	for _, sys := range r.systems {
		if sys.journal != nil {
			n += sys.journal.Total()
		}
	}
	return n
}

// check evaluates every gate the scenario declares.
func (r *run) check(ctx context.Context) []ci.Gate {
	var gates []ci.Gate
	if r.out.Load != nil {
		ts, _ := load.ParseThresholds(r.s.Gates.Load...)
		verdicts, _ := load.CheckAll(r.out.Load, ts)
		for _, v := range verdicts {
			g := ci.Gate{Name: v.Threshold.Source, Kind: "load", Passed: v.Pass, Measured: v.Measured, Reason: v.Message}
			if !v.Pass && len(r.out.Load.Flow.ErrorTexts) > 0 {
				g.Detail = append(g.Detail, r.out.Load.Flow.ErrorTexts...)
			}
			gates = append(gates, g)
		}
	}
	if r.s.Gates.Contract != nil {
		gates = append(gates, r.contractGate(r.s.Gates.Contract.InvalidRequests))
	}
	if c := r.s.Gates.Consistency; c != nil {
		for _, chk := range c.Checks {
			gates = append(gates, r.consistencyGate(ctx, chk))
		}
	}
	return gates
}

// contractGate: every request the service sent to a mock was valid
// against that mock's contract.
func (r *run) contractGate(allowed int) ci.Gate {
	g := ci.Gate{Name: "requests to vendors conform to their contracts", Kind: "contract"}
	total, invalid := 0, 0
	for _, sys := range r.systems {
		if sys.journal == nil {
			continue
		}
		for _, e := range sys.journal.Entries(mocks.Filter{}) {
			if e.Direction == "webhook" || strings.HasPrefix(e.Path, "/__firedrill/") {
				continue
			}
			total++
			if e.Valid {
				continue
			}
			invalid++
			if len(g.Detail) < 20 {
				var why []string
				for _, v := range e.Violations {
					why = append(why, v.Message)
				}
				g.Detail = append(g.Detail, fmt.Sprintf("%s %s %s → %d: %s", sys.name, e.Method, e.Path, e.Status, strings.Join(why, "; ")))
			}
		}
	}
	g.Passed = invalid <= allowed
	g.Measured = fmt.Sprintf("%d invalid of %d requests", invalid, total)
	g.Reason = fmt.Sprintf("at most %d invalid requests allowed", allowed)
	return g
}

// consistencyGate runs one check, retrying until it passes or the settle
// time is up (the systems may still be converging).
func (r *run) consistencyGate(ctx context.Context, c ConsistencyCheck) ci.Gate {
	fail := func(err error) ci.Gate {
		return ci.Gate{Name: c.Name, Kind: "consistency", Measured: "not measured", Reason: r.secrets.Redact(err.Error())}
	}
	check := ci.Check{Name: c.Name, Source: r.source(c.Source), Target: r.source(c.Target),
		Join: ci.Join{Source: c.Join.Source, Target: c.Join.Target}, Expect: ci.Expect(c.Expect)}
	for _, name := range sortedKeys(c.Fields) {
		f := c.Fields[name]
		check.Fields = append(check.Fields, ci.Field{Name: name, Source: f.Source, Target: f.Target, Tolerance: f.Tolerance,
			TimeTolerance: f.TimeTolerance.D(), EmptyIsNull: f.EmptyEqualsNull, Ignore: f.Ignore})
	}
	checker, err := check.Compile()
	if err != nil {
		return fail(err)
	}
	limit := DefaultSettle
	if s := r.s.Gates.Consistency.Settle.D(); s > 0 {
		limit = s
	}
	start := time.Now()
	for {
		res, err := checker.Run(ctx)
		if err != nil {
			return fail(err)
		}
		g := res.Gate()
		if g.Passed || time.Since(start) >= limit || ctx.Err() != nil {
			g.Reason += fmt.Sprintf(" (checked for %s)", time.Since(start).Round(100*time.Millisecond))
			return g
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// source reads a collection of a system: a stateful OpenAPI mock's store,
// or over HTTP (a GraphQL mock's admin API, or a real list endpoint).
func (r *run) source(c Collection) ci.Source {
	sys := r.system(c.System)
	return ci.SourceFunc(func(ctx context.Context) ([]map[string]any, error) {
		if sys == nil {
			return nil, fmt.Errorf("scenarios: no system %q", c.System)
		}
		if sys.store != nil && c.Collection != "" {
			records, err := sys.store.Snapshot(c.Collection)
			if err != nil {
				return nil, fmt.Errorf("scenarios: %s: %w", c.System, err)
			}
			out := make([]map[string]any, len(records))
			for i, rec := range records {
				out[i] = rec
			}
			return out, nil
		}
		path := c.Path
		if path == "" {
			path = "/__firedrill/collections/" + c.Collection
		}
		return getRecords(ctx, "http://"+sys.addr.Addr()+path)
	})
}

// getRecords reads a JSON array, or the first array in a JSON object.
func getRecords(ctx context.Context, url string) ([]map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scenarios: read %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil || resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("scenarios: read %s: %d %v", url, resp.StatusCode, err)
	}
	var list []map[string]any
	if json.Unmarshal(data, &list) == nil {
		return list, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("scenarios: %s is not a JSON list: %w", url, err)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if json.Unmarshal(obj[k], &list) == nil {
			return list, nil
		}
	}
	return nil, fmt.Errorf("scenarios: %s holds no list of records", url)
}

// summary is summary.json: the verdict, every gate, the load figures.
type summary struct {
	Scenario string            `json:"scenario"`
	Owner    string            `json:"owner,omitempty"`
	Seed     int64             `json:"seed"`
	Runtime  string            `json:"runtime"`
	Started  time.Time         `json:"started"`
	Ended    time.Time         `json:"ended"`
	Verdict  ci.Verdict        `json:"verdict"`
	Systems  map[string]string `json:"systems"`
	Load     *loadSummary      `json:"load,omitempty"`
	Faults   []map[string]any  `json:"faults,omitempty"`
}

type loadSummary struct {
	Target    float64    `json:"target_rate"`
	Scheduled uint64     `json:"scheduled"`
	Sent      uint64     `json:"sent"`
	Lag       string     `json:"lag"`
	Aborted   string     `json:"aborted,omitempty"`
	Flow      load.Stats `json:"flow"`
}

// report writes the run folder's summary.
func (r *run) report() error {
	s := summary{Scenario: r.s.Name, Owner: r.s.Owner, Seed: r.seed, Runtime: r.rt.Name(),
		Started: r.out.Started, Ended: r.out.Ended, Verdict: r.out.Verdict, Systems: map[string]string{}}
	for name, a := range r.res.Systems {
		s.Systems[name] = a.URL()
	}
	if rep := r.out.Load; rep != nil {
		s.Load = &loadSummary{Target: rep.Target, Scheduled: rep.Scheduled, Sent: rep.Sent, Lag: rep.Lag.String(), Aborted: rep.Aborted, Flow: rep.Flow}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("scenarios: summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "summary.json"), []byte(r.secrets.Redact(string(data))+"\n"), 0o644); err != nil {
		return fmt.Errorf("scenarios: summary: %w", err)
	}
	return nil
}
