package load

import (
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Report is what a run measured: per request, per step, per iteration (one
// entry per pass through the flow), and second by second. Their
// percentiles come from an HDR histogram of every latency (3 significant
// digits), not a sketch: a gate on p99.9 of a long tail reads what
// happened.
type Report struct {
	// Start is when the attack began: Bucket.Second counts from it.
	Start time.Time
	// Requests measures every request of every step: what "p99 < 1s"
	// reads. For a one-step flow it is that step.
	Requests Stats
	// Flow measures iterations, each from its first step's start to its
	// last step's end, waits between steps included ("iteration p99").
	Flow  Stats
	Steps []Stats // one per step, in flow order ("step NAME p99")
	// Series is the time series of every request, all steps together.
	Series []Bucket
	// Target is the mean scheduled rate of iterations per second.
	Target float64
	// Scheduled is the number of iterations the schedule asked for by the
	// time the run ended; Sent how many the generator started.
	Scheduled, Sent uint64
	// Lag is the furthest the generator fell behind its schedule (0 when it
	// kept up); a capped worker pool against a slow target shows here.
	Lag time.Duration
	// Aborted explains why the run stopped early ("" when it did not).
	Aborted string
	// Interrupted is true when ctx was cancelled before the end.
	Interrupted bool
	// WriteErr is the first error writing results, if any.
	WriteErr error
	// Shard is the part of the run this report measured: {0, 1} (or the
	// zero value) for a whole run, or a merge of every shard.
	Shard Shard
	// Duration is the planned duration of the run.
	Duration time.Duration
	// Plan identifies what ran (see PlanDigest), set by the caller before
	// WriteRunFiles: MergeRunDirs refuses shards of different plans.
	Plan string
}

// Stats are the measures of one step or of the flow. Success counts results
// without error; firedrill sets an error when a step's status differs from
// its Expect or a capture fails, so Success can be lower than the ratio of
// 2xx/3xx `vegeta report` prints for the same file.
type Stats struct {
	Name        string
	Requests    uint64
	Errors      uint64
	Rate        float64 // requests sent per second
	Throughput  float64 // successful requests per second
	Success     float64 // ratio in [0, 1]
	P50, P90    time.Duration
	P95, P99    time.Duration
	P999        time.Duration // p99.9
	Max, Mean   time.Duration
	StatusCodes map[int]uint64
	ErrorTexts  []string // distinct errors, first seen first, at most MaxErrorTexts
	Series      []Bucket
	// secs holds one HDR histogram per second, for windowed thresholds
	// and run folders; nil in a Report built by hand.
	secs *seconds
	sums counters
}

// MaxErrorTexts bounds the distinct error texts kept per step.
const MaxErrorTexts = 20

// Bucket is one second of a run, counted from the run's start
// (Report.Start): the requests that started in it. Its percentiles come
// from that second's HDR histogram, as exact as the whole run's.
type Bucket struct {
	Second    int
	Requests  uint64
	Successes uint64
	Errors    uint64
	P50, P99  time.Duration
}

// agg accumulates one Stats: counters exact enough to merge (sums, not
// means), a whole-run HDR histogram and one per second.
type agg struct {
	name     string
	start    time.Time
	n        uint64
	errors   uint64
	earliest time.Time // of request starts
	latest   time.Time
	end      time.Time // latest start + latency
	total    time.Duration
	minLat   time.Duration
	maxLat   time.Duration
	hist     *hdrhistogram.Histogram // every latency, in microseconds
	codes    map[int]uint64
	texts    []string
	secs     *seconds
	// late is how long after its end a second stays open (DefaultLateWindow).
	late time.Duration
}

func newAgg(name string, start time.Time) *agg {
	return &agg{name: name, start: start, codes: map[int]uint64{}, secs: newSeconds(), hist: newHist(), late: DefaultLateWindow}
}

// histMaxMicros is the longest latency the histograms hold (one hour);
// a longer one is counted as one hour (Stats.Max keeps the true one).
const histMaxMicros = int64(time.Hour / time.Microsecond)

// recordLatency adds one latency to h, at least 1 µs, at most an hour.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(micros(d))
}

// percentile reads the q-th percentile (0-100) of h, at most highest: the
// histogram answers the top of the bucket a value fell in, which can pass
// the longest latency measured (a p99 of 302.6 ms over a max of 302.4 ms).
func percentile(h *hdrhistogram.Histogram, q float64, highest time.Duration) time.Duration {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	v := time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
	if highest > 0 && v > highest {
		return highest
	}
	return v
}

// secondOf is the second of the run t falls in, counted from start.
func secondOf(t, start time.Time) int {
	if t.Before(start) {
		return 0
	}
	return int(t.Sub(start) / time.Second)
}

func (a *agg) add(r *vegeta.Result) {
	a.n++
	if a.earliest.IsZero() || r.Timestamp.Before(a.earliest) {
		a.earliest = r.Timestamp
	}
	if r.Timestamp.After(a.latest) {
		a.latest = r.Timestamp
	}
	end := r.End()
	if end.After(a.end) {
		a.end = end
		// Seconds that ended more than a timeout before the latest answer
		// get no more results: their latencies become a histogram.
		a.secs.closeBefore(secondOf(end.Add(-a.late), a.start))
	}
	a.total += r.Latency
	if a.n == 1 || r.Latency < a.minLat {
		a.minLat = r.Latency
	}
	a.maxLat = max(a.maxLat, r.Latency)
	recordLatency(a.hist, r.Latency)
	a.codes[int(r.Code)]++
	a.secs.add(secondOf(r.Timestamp, a.start), r.Latency, r.Error == "")
	if r.Error != "" {
		a.errors++
		if len(a.texts) < MaxErrorTexts && !slices.Contains(a.texts, r.Error) {
			a.texts = append(a.texts, r.Error)
		}
	}
}

func (a *agg) stats() Stats {
	s := Stats{
		Name: a.name, Requests: a.n, Errors: a.errors,
		StatusCodes: a.codes, ErrorTexts: a.texts,
		Series: a.secs.series(), secs: a.secs, sums: a.counters(),
	}
	fillStats(&s, a.hist, a.counters())
	return s
}

// counters are an aggregate's sums: what merges exactly across shards.
type counters struct {
	n, errors             uint64
	earliest, latest, end time.Time
	total, minLat, maxLat time.Duration
}

func (a *agg) counters() counters {
	return counters{n: a.n, errors: a.errors, earliest: a.earliest, latest: a.latest, end: a.end,
		total: a.total, minLat: a.minLat, maxLat: a.maxLat}
}

// fillStats sets the measures read from the sums and the histogram, the
// way vegeta's Metrics computes rate and throughput.
func fillStats(s *Stats, h *hdrhistogram.Histogram, c counters) {
	hi := c.maxLat
	s.P50, s.P90, s.P95 = percentile(h, 50, hi), percentile(h, 90, hi), percentile(h, 95, hi)
	s.P99, s.P999, s.Max = percentile(h, 99, hi), percentile(h, 99.9, hi), hi
	if c.n == 0 {
		return
	}
	s.Mean = time.Duration(float64(c.total) / float64(c.n))
	ok := c.n - c.errors
	s.Success = float64(ok) / float64(c.n)
	s.Rate = float64(c.n)
	span, wait := c.latest.Sub(c.earliest), c.end.Sub(c.latest)
	if span > 0 {
		s.Rate /= span.Seconds()
	}
	if d := (span + wait).Seconds(); d > 0 {
		s.Throughput = float64(ok) / d
	}
}

// quantile reads the q-quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// builder turns results into a Report: per step, per flow, per second.
type builder struct {
	start time.Time
	steps []*agg
	index map[string]int
	flow  *agg
	all   *agg
	// single: a one-step flow, whose flow and all-requests measures are its
	// step's; kept once, which halves the generator's bookkeeping per hit.
	single   bool
	flowName string
	late     time.Duration
}

func newBuilder(flow string, steps []string, start time.Time) *builder {
	b := &builder{start: start, index: map[string]int{}, flow: newAgg(flow, start), all: newAgg("all", start), flowName: flow}
	for _, s := range steps {
		b.step(s)
	}
	if len(steps) == 1 {
		b.single = true
		b.flow, b.all = b.steps[0], b.steps[0]
	}
	return b
}

// setLate sets how long after its end a second stays open to results.
func (b *builder) setLate(d time.Duration) {
	b.late = d
	for _, a := range append([]*agg{b.flow, b.all}, b.steps...) {
		a.late = d
	}
}

func (b *builder) step(name string) *agg {
	if i, ok := b.index[name]; ok {
		return b.steps[i]
	}
	b.index[name] = len(b.steps)
	a := newAgg(name, b.start)
	if b.late > 0 {
		a.late = b.late
	}
	b.steps = append(b.steps, a)
	return a
}

// add records one step result.
func (b *builder) add(r *vegeta.Result) {
	b.step(r.Attack).add(r)
	if !b.single {
		b.all.add(r)
	}
}

// addIteration records one finished iteration from its step results.
func (b *builder) addIteration(first, last *vegeta.Result, failed *vegeta.Result) {
	if b.single {
		return
	}
	it := vegeta.Result{Attack: b.flow.name, Seq: first.Seq, Code: last.Code, Timestamp: first.Timestamp,
		Latency: last.End().Sub(first.Timestamp)}
	if failed != nil {
		it.Code, it.Error = failed.Code, failed.Attack+": "+failed.Error
	}
	b.flow.add(&it)
}

func (b *builder) report() *Report {
	r := &Report{Start: b.start}
	for _, s := range b.steps {
		r.Steps = append(r.Steps, s.stats())
	}
	if b.single {
		r.Flow, r.Requests, r.Series = r.Steps[0], r.Steps[0], r.Steps[0].Series
		r.Flow.Name = b.flowName
		return r
	}
	r.Requests = b.all.stats()
	r.Flow, r.Series = b.flow.stats(), r.Requests.Series
	return r
}

// Step returns the stats of the named step, or false.
func (r *Report) Step(name string) (Stats, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Stats{}, false
}
