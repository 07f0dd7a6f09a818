package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// Merged is a sharded run put back together.
type Merged struct {
	Report ci.Report    // the reports' content: every gate, the merged load
	Load   *load.Report // the exact merge of the shards' load
	Shards []string     // the shards' folders, in shard order
}

// maxMergedDetail bounds the evidence a merged gate keeps per shard.
const maxMergedDetail = 10

// MergeShards puts the run folders of a sharded run back together: the
// load merged exactly (load.MergeRunDirs: histograms added, counts summed,
// seconds aligned) and its thresholds judged again on the whole run (the
// shards' load gates, plus extra); every other gate as each shard judged
// its own systems, failing when it failed in any shard. It refuses, with
// ExitSetup, to merge part of a run: a shard missing, stopped before its
// verdict (interrupted, set-up failure), from another scenario, or whose
// load gates differ. A folder without summary.json (firedrill load
// --dir) brings its load only.
func MergeShards(dirs []string, extra []load.Threshold) (*Merged, error) {
	if len(dirs) == 0 {
		return nil, ci.WithExit(ci.ExitUsage, errors.New("scenarios: merge: no run folders"))
	}
	type shardRun struct {
		dir string
		rep *ci.Report
	}
	var runs []shardRun
	var errs []error
	for _, dir := range dirs {
		sr := shardRun{dir: dir}
		f, err := os.Open(filepath.Join(dir, "summary.json"))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
		default:
			rep, err := ci.ReadJSON(f)
			f.Close()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: summary.json: %w", dir, err))
				break
			}
			sr.rep = &rep
			if rep.Stopped != nil {
				errs = append(errs, fmt.Errorf("%s: the shard stopped before its verdict (%s): %s", dir, rep.Verdict().Headline(), rep.Stopped.Cause))
			}
		}
		runs = append(runs, sr)
	}
	if len(errs) > 0 {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("scenarios: merge refused, a merge never judges part of a run: %w", errors.Join(errs...)))
	}
	lr, err := load.MergeRunDirs(dirs...)
	if err != nil {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("scenarios: merge refused, a merge never judges part of a run: %w", err))
	}
	// The shards' scenario, and its load gates, must be one.
	var base *ci.Report
	var baseDir string
	for _, sr := range runs {
		if sr.rep == nil {
			continue
		}
		if base == nil {
			base, baseDir = sr.rep, sr.dir
			continue
		}
		if sr.rep.ScenarioDigest != base.ScenarioDigest {
			errs = append(errs, fmt.Errorf("%s ran scenario %s, %s ran %s", sr.dir, sr.rep.ScenarioDigest, baseDir, base.ScenarioDigest))
		}
		if a, b := gateNames(*sr.rep), gateNames(*base); !slices.Equal(a, b) {
			errs = append(errs, fmt.Errorf("%s judged gates %q, %s judged %q", sr.dir, a, baseDir, b))
		}
	}
	if len(errs) > 0 {
		return nil, ci.WithExit(ci.ExitSetup, fmt.Errorf("scenarios: merge refused: %w", errors.Join(errs...)))
	}
	var sources []string
	if base != nil {
		for _, g := range base.Gates {
			if g.Kind == ci.KindLoad && !slices.Contains(sources, g.Name) {
				sources = append(sources, g.Name)
			}
		}
	}
	ts, err := load.ParseThresholds(sources...)
	if err != nil {
		// A drill's safeguards are load gates too, named otherwise.
		ts = ts[:0]
		for _, src := range sources {
			if t, err := load.ParseThreshold(src); err == nil {
				ts = append(ts, t)
			}
		}
	}
	for _, t := range extra {
		if !slices.ContainsFunc(ts, func(u load.Threshold) bool { return u.Source == t.Source }) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 && base == nil {
		return nil, ci.WithExit(ci.ExitUsage, errors.New("scenarios: merge: no threshold to judge (the folders hold no scenario's gates: give --threshold)"))
	}
	m := &Merged{Load: lr, Shards: dirs}
	var gates []ci.Gate
	verdicts, _ := load.CheckAll(lr, ts)
	for _, v := range verdicts {
		g := ci.Gate{Name: v.Threshold.Source, Kind: ci.KindLoad, Passed: v.Pass, Measured: v.Measured + fmt.Sprintf(" (%d shards merged)", len(dirs)), Reason: v.Message}
		if !v.Pass && len(lr.Flow.ErrorTexts) > 0 {
			g.Detail = append(g.Detail, lr.Flow.ErrorTexts...)
		}
		gates = append(gates, g)
	}
	rep := ci.Report{Scenario: "merged load", Start: lr.Start, End: lr.Start, AttackStart: lr.Start}
	if base != nil {
		gates = append(gates, mergeShardGates(runs[0].dir, dirs, func(i int) *ci.Report { return runs[i].rep })...)
		rep = ci.Report{Scenario: base.Scenario, Owner: base.Owner, Version: base.Version, ScenarioFile: base.ScenarioFile,
			ScenarioDigest: base.ScenarioDigest, Start: base.Start, End: base.End, AttackStart: lr.Start,
			Systems: base.Systems, Flows: base.Flows, Faults: base.Faults, Events: base.Events}
		for i, sr := range runs {
			if sr.rep == nil {
				continue
			}
			if sr.rep.Start.Before(rep.Start) {
				rep.Start = sr.rep.Start
			}
			if sr.rep.End.After(rep.End) {
				rep.End = sr.rep.End
			}
			for _, line := range sr.rep.Audit {
				rep.Audit = append(rep.Audit, fmt.Sprintf("shard %d: %s", i, line))
			}
		}
	}
	if rep.End.Before(rep.Start) || rep.End.Equal(rep.Start) {
		if n := len(lr.Series); n > 0 {
			rep.End = lr.Start.Add(time.Duration(lr.Series[n-1].Second+1) * time.Second)
		}
	}
	rep.Gates = gates
	rep.Latency = latencyRows(lr)
	for _, b := range lr.Series {
		rep.Series = append(rep.Series, ci.Second{At: lr.Start.Add(time.Duration(b.Second) * time.Second),
			Requests: int(b.Requests), Errors: int(b.Errors), P50: b.P50, P99: b.P99})
	}
	m.Report = rep
	return m, nil
}

// gateNames lists a report's gates by kind and name, the load's aside:
// the shards of one run judge the same gates.
func gateNames(r ci.Report) []string {
	var names []string
	for _, g := range r.Gates {
		names = append(names, g.Kind+": "+g.Name)
	}
	return names
}

// mergeShardGates folds the gates each shard judged on its own systems
// (consistency, resilience, contract) into one each: failed when any shard
// failed it, with that shard's reason and evidence; skipped only when
// every shard skipped it.
func mergeShardGates(baseDir string, dirs []string, rep func(i int) *ci.Report) []ci.Gate {
	var out []ci.Gate
	base := rep(0)
	for gi, g := range base.Gates {
		if g.Kind == ci.KindLoad {
			continue
		}
		merged := ci.Gate{Name: g.Name, Kind: g.Kind, Passed: true, Skipped: true}
		var failedIn, passedIn []string
		for i := range dirs {
			r := rep(i)
			if r == nil || gi >= len(r.Gates) {
				continue
			}
			sg := r.Gates[gi]
			shard := fmt.Sprintf("shard %d", i)
			switch sg.Status() {
			case "skip", "deferred":
				continue
			case "pass":
				passedIn = append(passedIn, shard)
			default:
				failedIn = append(failedIn, shard)
				merged.Passed = false
				if merged.Reason == "" {
					merged.Reason = shard + ": " + sg.Reason
				}
				for j, d := range sg.Detail {
					if j == maxMergedDetail {
						merged.Detail = append(merged.Detail, fmt.Sprintf("%s: … and %d more (in %s)", shard, len(sg.Detail)-j, filepath.Join(dirs[i], "summary.md")))
						break
					}
					merged.Detail = append(merged.Detail, shard+": "+d)
				}
			}
			merged.Skipped = false
		}
		switch {
		case merged.Skipped:
			merged.Passed = false
			merged.Measured, merged.Reason = g.Measured, "skipped in every shard: "+g.Reason
		case len(failedIn) > 0:
			merged.Measured = fmt.Sprintf("failed in %s of %d shards", strings.Join(failedIn, ", "), len(dirs))
		default:
			merged.Measured = fmt.Sprintf("passed in %d of %d shards (%s in %s)", len(passedIn), len(dirs), g.Measured, baseDir)
			merged.Reason = "every shard that exercised it passed it"
		}
		out = append(out, merged)
	}
	return out
}
