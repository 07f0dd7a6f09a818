package load

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The files of a run folder, written by WriteRunFiles and read by
// MergeRunDirs.
const (
	// HistogramsFile holds one HDR histogram per second per aggregate in
	// HdrHistogram's log format (version 1.3), read by its tools.
	HistogramsFile = "histograms.hlog"
	// SummaryFile holds what the histograms cannot: counts, sums, status
	// codes, error texts, the shard and the schedule. It is written last:
	// a folder without it is a run that did not finish writing.
	SummaryFile = "load-summary.json"
	// SummaryVersion is the version of SummaryFile's format.
	SummaryVersion = 1
)

// The tags of histograms.hlog: every request, whole iterations, and each
// step as "step:" followed by its name escaped with url.PathEscape (a log
// tag cannot hold spaces or commas: "step:create%20order").
const (
	TagRequest    = "request"
	TagIteration  = "iteration"
	TagStepPrefix = "step:"
)

// StepTag is the histograms.hlog tag of the named step.
func StepTag(name string) string { return TagStepPrefix + url.PathEscape(name) }

// PlanDigest is a SHA-256 of what describes a plan (the scenario file,
// the flags that shape the load), for Report.Plan: "sha256:" and hex.
func PlanDigest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// summary is SummaryFile.
type summary struct {
	Version     int          `json:"version"`
	Shard       shardJSON    `json:"shard"`
	Start       string       `json:"start"` // RFC 3339, ns
	DurationNS  int64        `json:"duration_ns"`
	Target      float64      `json:"target"` // the whole run's, iterations per second
	Scheduled   uint64       `json:"scheduled"`
	Sent        uint64       `json:"sent"`
	LagNS       int64        `json:"lag_ns"`
	Aborted     string       `json:"aborted,omitempty"`
	AbortedBy   string       `json:"aborted_by,omitempty"` // "threshold" or "failure"
	Interrupted bool         `json:"interrupted"`
	Plan        string       `json:"plan"`
	Histograms  histSettings `json:"histograms"`
	HlogSHA256  string       `json:"hlog_sha256"`
	Intervals   int          `json:"intervals"`
	Flow        string       `json:"flow"`
	Aggregates  []aggSummary `json:"aggregates"`
}

type shardJSON struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

type histSettings struct {
	Unit    string `json:"unit"`
	Lowest  int64  `json:"lowest"`
	Highest int64  `json:"highest"`
	Digits  int    `json:"significant_figures"`
}

var ourSettings = histSettings{Unit: "us", Lowest: HistLowest, Highest: HistHighest, Digits: HistDigits}

type aggSummary struct {
	Tag         string         `json:"tag"`
	Name        string         `json:"name"`
	Requests    uint64         `json:"requests"`
	Errors      uint64         `json:"errors"`
	StatusCodes map[int]uint64 `json:"status_codes"`
	ErrorTexts  []string       `json:"error_texts"`
	EarliestNS  int64          `json:"earliest_ns"` // Unix ns of the first request's start
	LatestNS    int64          `json:"latest_ns"`   // of the last request's start
	EndNS       int64          `json:"end_ns"`      // of the last answer
	SumNS       int64          `json:"latency_sum_ns"`
	MinNS       int64          `json:"latency_min_ns"`
	MaxNS       int64          `json:"latency_max_ns"`
	Seconds     []secSummary   `json:"seconds"`
}

type secSummary struct {
	Second    int    `json:"s"`
	Requests  uint64 `json:"requests"`
	Successes uint64 `json:"successes"`
	Errors    uint64 `json:"errors"`
	SumNS     int64  `json:"latency_sum_ns"`
	MaxNS     int64  `json:"latency_max_ns"`
}

func unixNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// aggregates lists r's aggregates with their tags.
func (r *Report) aggregates() []struct {
	tag string
	s   *Stats
} {
	out := []struct {
		tag string
		s   *Stats
	}{{TagRequest, &r.Requests}, {TagIteration, &r.Flow}}
	for i := range r.Steps {
		out = append(out, struct {
			tag string
			s   *Stats
		}{StepTag(r.Steps[i].Name), &r.Steps[i]})
	}
	return out
}

// WriteRunFiles writes r into the run folder dir (made if missing):
// HistogramsFile, then SummaryFile, each flushed to disk before the
// next, so a folder whose summary is missing is known to be incomplete.
// s is the shard r measured (the zero value when not sharded).
func (r *Report) WriteRunFiles(dir string, s Shard) error {
	s = s.norm()
	if err := s.validate(); err != nil {
		return fmt.Errorf("load: write run files: %w", err)
	}
	if r.Shard.norm() != s && r.Shard.Sharded() {
		return fmt.Errorf("load: write run files: the report measured shard %s, not %s", r.Shard, s)
	}
	aggs := r.aggregates()
	for _, a := range aggs {
		if a.s.secs == nil && a.s.Requests > 0 {
			return fmt.Errorf("load: write run files: %s: no per-second histograms (a report built by hand?)", a.tag)
		}
		if a.s.secs != nil && a.s.secs.err != nil {
			return fmt.Errorf("load: write run files: %s: %w", a.tag, a.s.secs.err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("load: write run files: %w", err)
	}
	// An older summary next to a new histograms file would pass for a
	// finished shard: it goes first.
	if err := os.Remove(filepath.Join(dir, SummaryFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("load: write run files: %w", err)
	}
	sum, n, err := r.writeHlog(filepath.Join(dir, HistogramsFile), aggs)
	if err != nil {
		return fmt.Errorf("load: write run files: %s: %w", HistogramsFile, err)
	}
	js := r.summary(s, aggs)
	js.HlogSHA256, js.Intervals = sum, n
	b, err := json.MarshalIndent(js, "", "  ")
	if err != nil {
		return fmt.Errorf("load: write run files: %s: %w", SummaryFile, err)
	}
	if err := writeSynced(filepath.Join(dir, SummaryFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("load: write run files: %s: %w", SummaryFile, err)
	}
	return nil
}

// writeSynced writes a file through a temporary one, synced and renamed.
func writeSynced(name string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriterSize(f, 256<<10)
	err = errors.Join(fill(bw), bw.Flush(), f.Sync(), f.Close())
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func (r *Report) writeHlog(name string, aggs []struct {
	tag string
	s   *Stats
}) (sum string, n int, err error) {
	h := sha256.New()
	err = writeSynced(name, func(w io.Writer) error {
		lw := hdrhistogram.NewHistogramLogWriter(io.MultiWriter(w, h))
		startMs := r.Start.UnixMilli()
		err := errors.Join(lw.OutputLogFormatVersion(), lw.OutputStartTime(startMs),
			// The library writes "Basetime", which its reader skips; 0:
			// interval times are absolute, ms since the epoch.
			lw.OutputComment("[BaseTime: 0.000 (seconds since epoch)]"),
			lw.OutputComment("[firedrill load: values in microseconds, one interval per second and tag; tags: "+
				TagRequest+", "+TagIteration+", "+TagStepPrefix+"<step name, URL path-escaped>]"),
			lw.OutputLegend())
		if err != nil {
			return err
		}
		for _, sec := range r.allSeconds(aggs) {
			for _, a := range aggs {
				if a.s.secs == nil {
					continue
				}
				hist, err := a.s.secs.histogram(sec)
				if err != nil {
					return fmt.Errorf("%s second %d: %w", a.tag, sec, err)
				}
				if hist == nil {
					continue
				}
				hist.SetTag(a.tag)
				hist.SetStartTimeMs(startMs + int64(sec)*1000)
				hist.SetEndTimeMs(startMs + int64(sec+1)*1000)
				if err := lw.OutputIntervalHistogram(hist); err != nil {
					return fmt.Errorf("%s second %d: %w", a.tag, sec, err)
				}
				n++
			}
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// allSeconds lists every second any aggregate has, in order.
func (r *Report) allSeconds(aggs []struct {
	tag string
	s   *Stats
}) []int {
	seen := map[int]bool{}
	var out []int
	for _, a := range aggs {
		for _, b := range a.s.Series {
			if !seen[b.Second] {
				seen[b.Second] = true
				out = append(out, b.Second)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (r *Report) summary(s Shard, aggs []struct {
	tag string
	s   *Stats
}) summary {
	js := summary{Version: SummaryVersion, Shard: shardJSON(s), Start: r.Start.Format(time.RFC3339Nano),
		DurationNS: int64(r.Duration), Target: r.Target, Scheduled: r.Scheduled, Sent: r.Sent, LagNS: int64(r.Lag),
		Aborted: r.Aborted, Interrupted: r.Interrupted, Plan: r.Plan, Histograms: ourSettings, Flow: r.Flow.Name}
	switch {
	case r.Aborted == "":
	case strings.HasPrefix(r.Aborted, doomPrefix):
		js.AbortedBy = "threshold"
	default:
		js.AbortedBy = "failure"
	}
	for _, a := range aggs {
		st, c := a.s, a.s.sums
		as := aggSummary{Tag: a.tag, Name: st.Name, Requests: st.Requests, Errors: st.Errors, StatusCodes: st.StatusCodes,
			ErrorTexts: st.ErrorTexts, EarliestNS: unixNS(c.earliest), LatestNS: unixNS(c.latest), EndNS: unixNS(c.end),
			SumNS: int64(c.total), MinNS: int64(c.minLat), MaxNS: int64(c.maxLat)}
		if as.ErrorTexts == nil {
			as.ErrorTexts = []string{}
		}
		if st.secs != nil {
			for _, sec := range st.secs.keys() {
				x := st.secs.m[sec]
				as.Seconds = append(as.Seconds, secSummary{Second: sec, Requests: x.n, Successes: x.ok, Errors: x.bad,
					SumNS: int64(x.sum), MaxNS: int64(x.max)})
			}
		}
		js.Aggregates = append(js.Aggregates, as)
	}
	return js
}
