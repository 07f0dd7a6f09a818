package load

import (
	"fmt"
	"slices"
	"time"
)

// parseWindow reads a threshold's "over any 10s" suffix.
func parseWindow(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration such as 10s or 1m", v)
	case d < time.Second || d%time.Second != 0:
		return 0, fmt.Errorf("the window %s must be a whole number of seconds, at least 1s", d)
	case d > MaxDuration:
		return 0, fmt.Errorf("the window %s is longer than the longest run (%s)", d, MaxDuration)
	}
	return d, nil
}

// window is a span of whole seconds of a run: [from, to).
type window struct{ from, to int }

func (w window) String() string {
	return clock(w.from) + "–" + clock(w.to)
}

func clock(sec int) string { return fmt.Sprintf("%02d:%02d", sec/60, sec%60) }

// checkWindows evaluates t over every window of t.Window consecutive
// seconds of the run, sliding by one second, and judges the worst. A
// run shorter than the window is one window, and the verdict says so.
func (t Threshold) checkWindows(r *Report, s Stats, limit float64) Verdict {
	w := int(t.Window / time.Second)
	counts := map[int]Bucket{}
	last := -1
	for _, b := range s.Series {
		counts[b.Second] = b
		last = max(last, b.Second)
	}
	total := int(r.Duration / time.Second)
	if total == 0 {
		total = last + 1
	}
	if total <= 0 {
		return t.missing("no requests (" + t.Reads() + ")")
	}
	needHist := metrics[t.Metric] == kindLatency
	if needHist && s.secs == nil {
		return t.missing("no per-second histograms in the report to read windows from")
	}
	// A run shorter than the window is one window: every second with
	// data, the last partial one too, over the run's planned duration.
	whole := total < w
	span := float64(w)
	if whole {
		total = max(total, last+1)
		w, span = total, float64(total)
		if r.Duration > 0 {
			span = r.Duration.Seconds()
		}
	}
	var sl *slider
	if needHist {
		sl = &slider{ss: s.secs}
	}
	var worst float64
	var worstAt window
	found := false
	for a := 0; a+w <= total; a++ {
		win := window{a, a + w}
		if sl != nil {
			if a == 0 {
				for sec := 0; sec < w; sec++ {
					sl.add(sec, 1)
				}
			} else {
				sl.add(a-1, -1)
				sl.add(a+w-1, 1)
			}
			if sl.err != nil {
				return t.missing(sl.err.Error())
			}
		}
		v, empty := t.measureWindow(win, counts, s.secs, sl, span)
		if empty && t.Metric != "requests" && t.Metric != "errors" {
			return t.missing(fmt.Sprintf("no requests in %s (%s)", t.windowName(win, whole), t.Reads()))
		}
		if !found || t.worse(v, worst) {
			worst, worstAt, found = v, win, true
		}
	}
	m := t.format(worst) + " in " + t.windowName(worstAt, whole)
	if t.OfTarget {
		m += fmt.Sprintf(" (limit %s)", t.format(limit))
	}
	return t.verdict(m, t.holds(worst, limit))
}

func (t Threshold) windowName(w window, whole bool) string {
	if whole {
		return fmt.Sprintf("the whole run (%s, shorter than %s)", w, t.Window)
	}
	return w.String()
}

// worse reports whether v is further from passing than w.
func (t Threshold) worse(v, w float64) bool {
	if t.Op == "<" || t.Op == "<=" {
		return v > w
	}
	return v < w
}

func (t Threshold) holds(v, limit float64) bool {
	switch t.Op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	}
	return v >= limit
}

// measureWindow reads t's metric over the seconds of win; empty is true
// when no request started in it.
func (t Threshold) measureWindow(win window, counts map[int]Bucket, ss *seconds, sl *slider, span float64) (v float64, empty bool) {
	var n, ok, bad uint64
	var sum, hi time.Duration
	for sec := win.from; sec < win.to; sec++ {
		b := counts[sec]
		n, ok, bad = n+b.Requests, ok+b.Successes, bad+b.Errors
		if ss != nil {
			if x := ss.m[sec]; x != nil {
				sum += x.sum
				hi = max(hi, x.max)
			}
		}
	}
	switch t.Metric {
	case "requests":
		return float64(n), n == 0
	case "errors":
		return float64(bad), n == 0
	case "rate":
		return float64(n) / span, n == 0
	case "throughput":
		return float64(ok) / span, n == 0
	}
	if n == 0 {
		return 0, true
	}
	switch t.Metric {
	case "success":
		return float64(ok) / float64(n), false
	case "mean":
		return (sum / time.Duration(n)).Seconds(), false
	case "max":
		return hi.Seconds(), false
	}
	q := map[string]float64{"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p99.9": 99.9}[t.Metric]
	return sl.percentile(q, hi).Seconds(), false
}

// slider is the sum of the histograms of a window's seconds, kept as
// counts so a second can leave the window as well as enter it.
type slider struct {
	ss     *seconds
	counts []int64
	err    error
}

func (sl *slider) add(sec int, sign int64) {
	h, err := sl.ss.histogram(sec)
	if err != nil {
		sl.err = err
		return
	}
	if h == nil {
		return
	}
	c := h.Export().Counts
	if sl.counts == nil {
		sl.counts = make([]int64, len(c))
	}
	for i, x := range c {
		sl.counts[i] += sign * x
	}
}

func (sl *slider) percentile(q float64, highest time.Duration) time.Duration {
	if sl.counts == nil {
		return 0
	}
	return percentile(importCounts(slices.Clone(sl.counts)), q, highest)
}
