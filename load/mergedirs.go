package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Why MergeRunDirs refuses, for errors.Is.
var (
	// ErrShardIncomplete: a folder misses a file, holds a truncated one, or
	// its shard was interrupted or stopped by a failure of its own.
	ErrShardIncomplete = errors.New("load: incomplete shard")
	// ErrShardsDiffer: the folders are not shards of one run (count,
	// plan, target, histogram settings or flow differ).
	ErrShardsDiffer = errors.New("load: shards of different runs")
	// ErrShardMissing: a shard index is missing or given twice.
	ErrShardMissing = errors.New("load: shards missing or repeated")
)

// MergeError is why MergeRunDirs made no report: every problem found,
// each naming its run folder.
type MergeError struct {
	Problems []error
}

func (e *MergeError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = strings.TrimPrefix(p.Error(), "load: ")
	}
	return "load: merge run folders: " + strings.Join(msgs, "; ")
}

func (e *MergeError) Unwrap() []error { return e.Problems }

// shardDir is one run folder being merged.
type shardDir struct {
	dir   string
	sum   summary
	start time.Time
	// expect is the latencies each (tag, second) holds, from the summary.
	expect map[string]map[int]uint64
}

// MergeRunDirs merges run folders written by WriteRunFiles, one per shard
// of one run, into the report one process would have made: histograms
// added, counts and sums added, seconds aligned by wall clock (each
// shard's seconds shifted by the whole seconds between its start and the
// earliest, rounded), percentiles read from the merged histograms. It
// refuses, with a *MergeError listing every problem, folders that are not
// every shard of one finished run. One unsharded folder merges to itself.
func MergeRunDirs(dirs ...string) (*Report, error) {
	if len(dirs) == 0 {
		return nil, &MergeError{Problems: []error{errors.New("load: no run folders given")}}
	}
	var probs []error
	var shards []*shardDir
	for _, d := range dirs {
		sd, err := readShardDir(d)
		if err != nil {
			probs = append(probs, err)
			continue
		}
		shards = append(shards, sd)
	}
	probs = append(probs, checkShardSet(shards, len(dirs))...)
	if len(probs) > 0 {
		return nil, &MergeError{Problems: probs}
	}
	slices.SortFunc(shards, func(a, b *shardDir) int { return a.sum.Shard.Index - b.sum.Shard.Index })
	rep, err := mergeShards(shards)
	if err != nil {
		return nil, &MergeError{Problems: []error{err}}
	}
	return rep, nil
}

func readShardDir(dir string) (*shardDir, error) {
	incomplete := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrShardIncomplete, dir, fmt.Sprintf(format, args...))
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, incomplete("no %s: the shard did not finish writing its run folder (the summary is written last)", SummaryFile)
	}
	if err != nil {
		return nil, incomplete("%v", err)
	}
	sd := &shardDir{dir: dir, expect: map[string]map[int]uint64{}}
	if err := json.Unmarshal(b, &sd.sum); err != nil {
		return nil, incomplete("%s: %v", SummaryFile, err)
	}
	s := &sd.sum
	if s.Version != SummaryVersion {
		return nil, fmt.Errorf("%w: %s: %s version %d, this firedrill reads %d", ErrShardsDiffer, dir, SummaryFile, s.Version, SummaryVersion)
	}
	if sd.start, err = time.Parse(time.RFC3339Nano, s.Start); err != nil {
		return nil, incomplete("%s: start: %v", SummaryFile, err)
	}
	sh := Shard{s.Shard.Index, s.Shard.Count}
	if err := sh.validate(); err != nil {
		return nil, incomplete("%s: %v", SummaryFile, err)
	}
	var probs []error
	if s.Histograms != ourSettings {
		probs = append(probs, fmt.Errorf("%w: %s: histograms %+v, this firedrill records %+v", ErrShardsDiffer, dir, s.Histograms, ourSettings))
	}
	if s.Interrupted {
		probs = append(probs, incomplete("shard %s was interrupted: its load is partial", sh))
	} else if s.AbortedBy != "" && s.AbortedBy != "threshold" {
		probs = append(probs, incomplete("shard %s stopped early by a failure of its own: %s", sh, s.Aborted))
	}
	if err := checkHlog(dir, s.HlogSHA256); err != nil {
		probs = append(probs, err)
	}
	for _, a := range s.Aggregates {
		m := map[int]uint64{}
		for _, x := range a.Seconds {
			m[x.Second] = x.Requests
		}
		sd.expect[a.Tag] = m
	}
	return sd, errors.Join(probs...)
}

// checkHlog compares the histograms file with the digest its summary
// recorded: a run killed while writing leaves it truncated.
func checkHlog(dir, want string) error {
	f, err := os.Open(filepath.Join(dir, HistogramsFile))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrShardIncomplete, dir, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%w: %s: %s: %v", ErrShardIncomplete, dir, HistogramsFile, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s: %s is truncated or changed since %s was written (sha256 %s, want %s)",
			ErrShardIncomplete, dir, HistogramsFile, SummaryFile, short(got), short(want))
	}
	return nil
}

func short(h string) string { return h[:min(len(h), 12)] }

// checkShardSet checks that the folders are every shard of one run.
func checkShardSet(shards []*shardDir, given int) []error {
	if len(shards) == 0 {
		return nil
	}
	var probs []error
	first := shards[0]
	differ := func(sd *shardDir, what string, got, want any) {
		probs = append(probs, fmt.Errorf("%w: %s: %s %v, but %s has %v", ErrShardsDiffer, sd.dir, what, got, first.dir, want))
	}
	seen := map[int]string{}
	for _, sd := range shards {
		s, f := &sd.sum, &first.sum
		switch {
		case s.Shard.Count != f.Shard.Count:
			differ(sd, "shard count", s.Shard.Count, f.Shard.Count)
			continue
		case s.Plan != f.Plan:
			differ(sd, "plan", quoteOrNone(s.Plan), quoteOrNone(f.Plan))
		case s.Target != f.Target:
			differ(sd, "target rate", s.Target, f.Target)
		case s.DurationNS != f.DurationNS:
			differ(sd, "planned duration", time.Duration(s.DurationNS), time.Duration(f.DurationNS))
		case !slices.Equal(tagsOf(s), tagsOf(f)):
			differ(sd, "aggregates", tagsOf(s), tagsOf(f))
		}
		if other, ok := seen[s.Shard.Index]; ok {
			probs = append(probs, fmt.Errorf("%w: %s: shard %d/%d given twice (also %s)", ErrShardMissing, sd.dir, s.Shard.Index, s.Shard.Count, other))
			continue
		}
		seen[s.Shard.Index] = sd.dir
	}
	n := first.sum.Shard.Count
	if len(probs) == 0 && given == len(shards) {
		var have []string
		for i := range n {
			if _, ok := seen[i]; ok {
				have = append(have, fmt.Sprintf("%d/%d", i, n))
			}
		}
		for i := range n {
			if _, ok := seen[i]; !ok {
				probs = append(probs, fmt.Errorf("%w: shard %d/%d missing: merged %s", ErrShardMissing, i, n, strings.Join(have, ", ")))
			}
		}
	}
	return probs
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

func tagsOf(s *summary) []string {
	out := make([]string, len(s.Aggregates))
	for i, a := range s.Aggregates {
		out[i] = a.Tag
	}
	return out
}

// mergeShards adds the shards' summaries and histograms into one report.
func mergeShards(shards []*shardDir) (*Report, error) {
	f := &shards[0].sum
	rep := &Report{Target: f.Target, Duration: time.Duration(f.DurationNS), Plan: f.Plan, Shard: Shard{0, 1}}
	rep.Start = shards[0].start
	for _, sd := range shards {
		if sd.start.Before(rep.Start) {
			rep.Start = sd.start
		}
	}
	var aborted []string
	for _, sd := range shards {
		s := &sd.sum
		rep.Scheduled += s.Scheduled
		rep.Sent += s.Sent
		rep.Lag = max(rep.Lag, time.Duration(s.LagNS))
		if s.Aborted != "" {
			aborted = append(aborted, fmt.Sprintf("shard %d/%d: %s", s.Shard.Index, s.Shard.Count, s.Aborted))
		}
	}
	rep.Aborted = strings.Join(aborted, "; ")
	stats, err := mergeAggregates(shards, rep.Start)
	if err != nil {
		return nil, err
	}
	rep.Requests, rep.Flow = stats[0], stats[1]
	rep.Steps = stats[2:]
	rep.Series = rep.Requests.Series
	return rep, nil
}

// offset is how many whole seconds sd started after start, rounded.
func (sd *shardDir) offset(start time.Time) int {
	return int(math.Round(sd.start.Sub(start).Seconds()))
}

// mergeAggregates merges each aggregate (in the summaries' order): the
// counts from the summaries, the histograms from the logs.
func mergeAggregates(shards []*shardDir, start time.Time) ([]Stats, error) {
	f := &shards[0].sum
	tags := tagsOf(f)
	secs := make(map[string]*seconds, len(tags))
	out := make([]Stats, len(tags))
	for i, tag := range tags {
		ss := newSeconds()
		secs[tag] = ss
		var c counters
		st := Stats{Name: f.Aggregates[i].Name, StatusCodes: map[int]uint64{}}
		for _, sd := range shards {
			a := &sd.sum.Aggregates[i]
			addCounters(&c, a)
			for code, n := range a.StatusCodes {
				st.StatusCodes[code] += n
			}
			for _, t := range a.ErrorTexts {
				if len(st.ErrorTexts) < MaxErrorTexts && !slices.Contains(st.ErrorTexts, t) {
					st.ErrorTexts = append(st.ErrorTexts, t)
				}
			}
			off := sd.offset(start)
			for _, x := range a.Seconds {
				s := ss.get(x.Second + off)
				s.n += x.Requests
				s.ok += x.Successes
				s.bad += x.Errors
				s.sum += time.Duration(x.SumNS)
				s.max = max(s.max, time.Duration(x.MaxNS))
			}
		}
		st.Requests, st.Errors, st.sums = c.n, c.errors, c
		out[i] = st
	}
	whole, err := mergeHlogs(shards, start, secs)
	if err != nil {
		return nil, err
	}
	for i, tag := range tags {
		ss := secs[tag]
		for sec, s := range ss.m {
			if s.n > 0 && s.enc == nil {
				return nil, fmt.Errorf("%w: second %d of %s has %d requests but no histogram in any %s",
					ErrShardIncomplete, sec, tag, s.n, HistogramsFile)
			}
		}
		out[i].secs, out[i].Series = ss, ss.series()
		fillStats(&out[i], whole[tag], out[i].sums)
	}
	return out, nil
}

func addCounters(c *counters, a *aggSummary) {
	if a.Requests == 0 {
		return
	}
	if c.n == 0 || time.Duration(a.MinNS) < c.minLat {
		c.minLat = time.Duration(a.MinNS)
	}
	c.n += a.Requests
	c.errors += a.Errors
	c.total += time.Duration(a.SumNS)
	c.maxLat = max(c.maxLat, time.Duration(a.MaxNS))
	if e := fromUnixNS(a.EarliestNS); c.earliest.IsZero() || e.Before(c.earliest) {
		c.earliest = e
	}
	if l := fromUnixNS(a.LatestNS); l.After(c.latest) {
		c.latest = l
	}
	if e := fromUnixNS(a.EndNS); e.After(c.end) {
		c.end = e
	}
}

// hlogStream reads one shard's histograms in time order.
type hlogStream struct {
	sd    *shardDir
	f     *os.File
	r     *hdrhistogram.HistogramLogReader
	off   int
	n     int
	cur   *hdrhistogram.Histogram
	local int // cur's second in its shard
}

func (s *hlogStream) next() error {
	prev := s.local
	h, err := nextInterval(s.r)
	if err != nil {
		return fmt.Errorf("%w: %s: %s interval %d: %v", ErrShardIncomplete, s.sd.dir, HistogramsFile, s.n+1, err)
	}
	s.cur = h
	if h == nil {
		if s.n != s.sd.sum.Intervals {
			return fmt.Errorf("%w: %s: %s holds %d intervals, %s says %d", ErrShardIncomplete, s.sd.dir, HistogramsFile, s.n, SummaryFile, s.sd.sum.Intervals)
		}
		return nil
	}
	s.n++
	s.local = int(math.Round(float64(h.StartTimeMs()-s.sd.start.UnixMilli()) / 1000))
	if s.n > 1 && s.local < prev {
		return fmt.Errorf("%w: %s: %s is not in time order at interval %d", ErrShardIncomplete, s.sd.dir, HistogramsFile, s.n)
	}
	if h.SignificantFigures() != HistDigits || h.LowestTrackableValue() != HistLowest || h.HighestTrackableValue() != HistHighest {
		return fmt.Errorf("%w: %s: %s interval %d has other histogram settings", ErrShardsDiffer, s.sd.dir, HistogramsFile, s.n)
	}
	if want, got := s.sd.expect[h.Tag()][s.local], uint64(h.TotalCount()); want != got {
		return fmt.Errorf("%w: %s: %s second %d of %s holds %d latencies, %s says %d",
			ErrShardIncomplete, s.sd.dir, HistogramsFile, s.local, h.Tag(), got, SummaryFile, want)
	}
	return nil
}

// nextInterval reads one interval; the library panics on some malformed
// payloads.
func nextInterval(r *hdrhistogram.HistogramLogReader) (h *hdrhistogram.Histogram, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("malformed histogram: %v", p)
		}
	}()
	return r.NextIntervalHistogram()
}

// mergeHlogs reads every shard's log at once, second by second, so only
// one second's histograms are in memory, adds them into secs and returns
// each aggregate's whole-run histogram.
func mergeHlogs(shards []*shardDir, start time.Time, secs map[string]*seconds) (map[string]*hdrhistogram.Histogram, error) {
	streams := make([]*hlogStream, 0, len(shards))
	defer func() {
		for _, s := range streams {
			s.f.Close()
		}
	}()
	for _, sd := range shards {
		f, err := os.Open(filepath.Join(sd.dir, HistogramsFile))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrShardIncomplete, sd.dir, err)
		}
		s := &hlogStream{sd: sd, f: f, r: hdrhistogram.NewHistogramLogReader(newCheckedLog(f)), off: sd.offset(start)}
		streams = append(streams, s)
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	// Every histogram has the same settings (checked line by line), so
	// they add up as arrays of counts: faster than the library's Merge,
	// which records each bucket anew.
	wholeCounts := map[string][]int64{}
	acc := map[string][]int64{}
	for {
		sec, more := math.MaxInt, false
		for _, s := range streams {
			if s.cur != nil {
				sec, more = min(sec, s.local+s.off), true
			}
		}
		if !more {
			break
		}
		clear(acc)
		for _, s := range streams {
			for s.cur != nil && s.local+s.off == sec {
				tag := s.cur.Tag()
				if secs[tag] == nil {
					return nil, fmt.Errorf("%w: %s: %s has tag %q, not in %s", ErrShardIncomplete, s.sd.dir, HistogramsFile, tag, SummaryFile)
				}
				c := s.cur.Export().Counts
				if a := acc[tag]; a == nil {
					acc[tag] = c
				} else {
					addCounts(a, c)
				}
				if err := s.next(); err != nil {
					return nil, err
				}
			}
		}
		for tag, c := range acc {
			if wholeCounts[tag] == nil {
				wholeCounts[tag] = make([]int64, len(c))
			}
			addCounts(wholeCounts[tag], c)
			ss := secs[tag]
			ss.seal(sec, ss.get(sec), importCounts(c))
			if ss.err != nil {
				return nil, ss.err
			}
		}
	}
	whole := map[string]*hdrhistogram.Histogram{}
	for tag := range secs {
		whole[tag] = newHist()
		if c := wholeCounts[tag]; c != nil {
			whole[tag] = importCounts(c)
		}
	}
	return whole, nil
}

func addCounts(to, from []int64) {
	for i, x := range from {
		to[i] += x
	}
}

// importCounts makes a histogram of our settings from its counts, which
// it keeps.
func importCounts(c []int64) *hdrhistogram.Histogram {
	return hdrhistogram.Import(&hdrhistogram.Snapshot{LowestTrackableValue: HistLowest, HighestTrackableValue: HistHighest,
		SignificantFigures: HistDigits, Counts: c})
}
