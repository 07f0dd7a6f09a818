package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Plan is one load run: a flow, its schedule, how long, and the thresholds
// that decide pass or fail (some may stop the run early).
type Plan struct {
	Flow       Flow
	Shape      Shape
	Duration   time.Duration
	Thresholds []Threshold
}

type runner struct {
	out        interface{ Write([]byte) (int, error) }
	guard      *guard
	maxWorkers uint64
	timeout    time.Duration
	drain      time.Duration
	seed       uint64
	progress   func(Progress)
	log        *slog.Logger
	shard      Shard // {0, 1} when not sharded
	startAt    time.Time
}

// Run pushes p's flow on p's schedule with vegeta and returns what it
// measured. It stops at the end of the schedule, when ctx is cancelled
// (Ctrl-C: the results so far are still written and reported), when a
// threshold can no longer pass, or at MaxDuration. The error is for a plan
// that cannot run (bad flow, refused target); a failed threshold is not an
// error: see CheckAll.
func Run(ctx context.Context, p Plan, opts ...Option) (*Report, error) {
	r := &runner{guard: newGuard(), maxWorkers: DefaultMaxWorkers, timeout: DefaultTimeout,
		drain: DefaultDrain, seed: uint64(time.Now().UnixNano()), log: slog.Default(), shard: Shard{0, 1}}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	steps, err := p.Flow.compile()
	if err := errors.Join(err, p.validate(steps)); err != nil {
		return nil, err
	}
	for _, s := range steps {
		if u, err := url.Parse(s.URL); err == nil && !strings.Contains(u.Host, "${") {
			if err := r.guard.check(ctx, s.URL); err != nil {
				return nil, fmt.Errorf("%w (step %s)", err, s.Name)
			}
		}
	}
	if err := r.waitStart(ctx); err != nil {
		return nil, err
	}
	e := newExecution(ctx, r, p, steps)
	return e.run(), nil
}

func (p Plan) validate(steps []*compiledStep) error {
	var errs []error
	if p.Shape == nil {
		errs = append(errs, errors.New("load: plan has no shape (rate)"))
	}
	if p.Shape != nil {
		for _, at := range []time.Duration{0, p.Duration / 2, p.Duration} {
			if r := p.Shape.Rate(at); !(r >= 0 && r <= MaxRate) {
				errs = append(errs, fmt.Errorf("load: rate %g/s at %s is outside [0, %g/s]", r, at, float64(MaxRate)))
				break
			}
		}
	}
	if p.Duration <= 0 || p.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("load: duration %s must be in (0, %s]", p.Duration, MaxDuration))
	}
	for _, t := range p.Thresholds {
		if t.scope() == ScopeStep && !slices.ContainsFunc(steps, func(s *compiledStep) bool { return s.Name == t.Step }) {
			errs = append(errs, fmt.Errorf("load: threshold %q: no step %q in flow %q", t.Source, t.Step, p.Flow.Name))
		}
	}
	return errors.Join(errs...)
}

// resultBuffer is how many results wait for the collector. A vegeta worker
// hands its result over before it takes the next hit: were the forwarder
// blocked on a full buffer, busy workers would pile up holding answers,
// vegeta would start more, up to the cap, and send the hits they held back
// in a burst that shows in the p99. 64Ki results are seconds of the
// fastest schedules (16 B each, 1 MiB).
const resultBuffer = 1 << 16

// marker tags each request's URL with its iteration, in the fragment:
// never sent on the wire, carried back in vegeta's Result.URL, stripped
// before results are written.
const marker = "#firedrill-iteration="

type stepResult struct {
	step int
	res  *vegeta.Result
}

type iterState struct {
	it    *iteration
	first *vegeta.Result
}

// execution is one Run in progress. Its goroutines: the driver of the first
// step (this goroutine), one forwarder per vegeta attack, and the collector.
type execution struct {
	r      *runner
	plan   Plan
	steps  []*compiledStep
	parent context.Context // the caller's: cancelled on Ctrl-C
	ctx    context.Context // cancelled with parent or at the hard cap
	cancel context.CancelFunc
	client *http.Client
	tr     *http.Transport
	start  time.Time

	stop      chan struct{} // closed to stop every pacer
	stopOnce  sync.Once
	reason    atomic.Pointer[string]
	queues    []*queue // per step; nil for the first
	in        chan stepResult
	fwd       sync.WaitGroup // every forwarder, plus the driver
	fwdFirst  sync.WaitGroup // forwarders of the first step
	firstOver chan struct{}

	mu    sync.Mutex
	iters map[uint64]*iterState
	seq   atomic.Uint64
	lag   atomic.Int64 // ns
	ended atomic.Int64 // ns since start when the schedule stopped
	p99   atomic.Int64 // ns: recent p99 of the first step, for worker sizing
	// First-step requests in flight, and the most seen in this segment:
	// whether the worker cap was what held the schedule back.
	inflight0, peak0 atomic.Int64
}

func newExecution(parent context.Context, r *runner, p Plan, steps []*compiledStep) *execution {
	ctx, cancel := context.WithTimeout(parent, min(p.Duration, MaxDuration)+r.drain+r.timeout)
	open := newConns()
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy: load goes where the guard allowed
		DialContext:         open.dialer(r.guard.dialer()),
		MaxIdleConnsPerHost: int(r.maxWorkers),
		IdleConnTimeout:     90 * time.Second,
	}
	// The end of the run (Ctrl-C, the hard cap, the drain) ends the
	// requests in flight with it.
	context.AfterFunc(ctx, open.closeAll)
	e := &execution{r: r, plan: p, steps: steps, parent: parent, ctx: ctx, cancel: cancel, tr: tr,
		client: &http.Client{Transport: tr, Timeout: r.timeout},
		stop:   make(chan struct{}), in: make(chan stepResult, resultBuffer), firstOver: make(chan struct{}),
		iters: map[uint64]*iterState{}, queues: make([]*queue, len(steps))}
	for k := 1; k < len(steps); k++ {
		e.queues[k] = newQueue()
	}
	// A loopback target must not bounce the load elsewhere: every redirect
	// goes through the same guard as the targets.
	e.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("load: stopped after 10 redirects")
		}
		return r.guard.check(ctx, req.URL.String())
	}
	return e
}

// halt stops every pacer; the first reason given is kept.
func (e *execution) halt(reason string) {
	e.stopOnce.Do(func() {
		e.reason.Store(&reason)
		close(e.stop)
		for _, q := range e.queues {
			if q != nil {
				q.abort()
			}
		}
	})
}

func (e *execution) run() *Report {
	defer e.cancel()
	defer e.tr.CloseIdleConnections()
	e.start = time.Now()
	if !e.r.startAt.IsZero() {
		e.start = e.r.startAt // shards started together share their seconds
	}
	col := newCollector(e)
	done := make(chan *Report)
	go func() { done <- col.loop() }()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-e.ctx.Done():
			if e.parent.Err() == nil {
				e.halt(fmt.Sprintf("hard duration cap reached (%s)", e.plan.Duration+e.r.drain+e.r.timeout))
			} else {
				e.halt("interrupted")
			}
		case <-e.stop:
		case <-finished:
		}
	}()
	e.fwd.Add(1) // the driver
	for k := 1; k < len(e.steps); k++ {
		q := e.queues[k]
		atk := vegeta.NewAttacker(vegeta.Client(e.client), vegeta.Workers(vegeta.DefaultWorkers),
			vegeta.MaxWorkers(e.r.maxWorkers))
		e.fwd.Add(1)
		go e.forward(k, atk.Attack(q.pop, q, 0, e.steps[k].Name), nil)
	}
	e.driveFirst()
	e.ended.Store(int64(time.Since(e.start)))
	e.fwdFirst.Wait()
	close(e.firstOver)
	e.fwd.Done()
	go func() { e.fwd.Wait(); close(e.in) }()
	return <-done
}

func (e *execution) forward(k int, ch <-chan *vegeta.Result, wg *sync.WaitGroup) {
	defer e.fwd.Done()
	if wg != nil {
		defer wg.Done()
	}
	for res := range ch {
		if k == 0 {
			// Counted out where vegeta hands the answer over, not where the
			// collector reads it: its backlog is not requests in flight, and
			// must not pass for a saturated pool that asks for more workers.
			e.inflight0.Add(-1)
		}
		e.in <- stepResult{step: k, res: res}
	}
}

// driveFirst runs the first step segment by segment, each a vegeta attack
// whose worker cap is sized from the latency of the segment before, with
// one schedule across segments.
func (e *execution) driveFirst() {
	var base, workers uint64
	for segStart := time.Duration(0); ; {
		segEnd := min(segStart+SegmentLength, e.plan.Duration)
		prev := workers
		workers = e.workerCap(workers, segStart)
		if prev > 0 {
			e.r.log.Debug("load: worker pool", "segment", segStart, "workers", prev, "peak_in_flight", e.peak0.Load(),
				"p99", time.Duration(e.p99.Load()), "next", workers)
		}
		e.peak0.Store(e.inflight0.Load())
		atk := vegeta.NewAttacker(vegeta.Client(e.client), vegeta.Workers(min(workers, vegeta.DefaultWorkers)),
			vegeta.MaxWorkers(workers))
		sp := &segPacer{e: e, offset: time.Since(e.start), base: base, end: segEnd, ended: make(chan struct{})}
		segDone := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		e.fwd.Add(1)
		e.fwdFirst.Add(1)
		go func() { wg.Wait(); close(segDone); e.fwdFirst.Done() }()
		go e.forward(0, atk.Attack(e.firstTargeter(), sp, 0, e.steps[0].Name), &wg)
		go func() {
			select {
			case <-e.stop:
				atk.Stop()
			case <-segDone:
			}
		}()
		select {
		case <-sp.ended:
		case <-segDone: // the attack ended without its pacer: a targeter error
			e.halt("the first step could not be built")
			return
		case <-e.stop: // the attack may be blocked on busy workers: do not wait for them
			return
		}
		base += sp.hits
		if sp.over {
			return
		}
		segStart = segEnd
	}
}

// workerCap sizes the first step's pool for the next segment. It starts at
// MinWorkers and follows Little's law (rate × p99 × WorkerHeadroom, bounded
// by the configured maximum) with one brake: it grows only when the pool was
// saturated in the segment before, and at most doubles. A pool that grows
// with latency alone feeds its own collapse: when generator and target share
// the machine, more workers mean more latency, which asks for more workers.
func (e *execution) workerCap(prev uint64, at time.Duration) uint64 {
	if prev == 0 {
		return min(MinWorkers, e.r.maxWorkers)
	}
	p99 := time.Duration(e.p99.Load())
	if p99 <= 0 {
		return prev
	}
	rate := max(e.plan.Shape.Rate(at), e.plan.Shape.Rate(at+SegmentLength)) / float64(e.r.shard.norm().Count)
	n := math.Ceil(rate * p99.Seconds() * WorkerHeadroom)
	little := uint64(min(max(n, MinWorkers), float64(e.r.maxWorkers)))
	switch {
	case little <= prev:
		return little
	case e.peak0.Load()*4 >= int64(prev)*3: // saturated: at least 3/4 of the pool busy
		return min(little, 2*prev)
	}
	return prev
}

func (e *execution) firstTargeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		// The iteration's number in the whole run: this shard's j-th is
		// the run's Index + (j-1)×Count-th.
		seq := e.r.shard.global(e.seq.Add(1)-1) + 1
		n := e.inflight0.Add(1)
		for peak := e.peak0.Load(); n > peak && !e.peak0.CompareAndSwap(peak, n); peak = e.peak0.Load() {
		}
		it := newIteration(e.r.seed, seq)
		if len(e.steps) > 1 { // a one-step iteration ends with its answer: nothing to keep
			e.mu.Lock()
			e.iters[seq] = &iterState{it: it}
			e.mu.Unlock()
		}
		tgt, err := e.target(0, it)
		*t = tgt
		if err != nil {
			e.r.log.Error("load: first step", "err", err)
		}
		return err
	}
}

// target renders step k for it, checking its host when it is templated.
func (e *execution) target(k int, it *iteration) (vegeta.Target, error) {
	s := e.steps[k]
	u, hdr, body, err := s.request(it)
	if err != nil {
		return vegeta.Target{}, err
	}
	if strings.Contains(s.URL, "${") {
		if err := e.r.guard.check(e.ctx, u); err != nil {
			return vegeta.Target{}, fmt.Errorf("load: step %s: %w", s.Name, err)
		}
	}
	return vegeta.Target{Method: s.method, URL: u + marker + strconv.FormatUint(it.seq, 10), Header: hdr, Body: body}, nil
}

// segPacer is the schedule seen by one segment's attack: the plan's shape
// shifted by the segment's offset and the hits already sent, ending at the
// segment's end. It also measures how far the generator is behind.
type segPacer struct {
	e      *execution
	offset time.Duration
	base   uint64
	end    time.Duration
	hits   uint64
	over   bool // the whole schedule is over, not just this segment
	ended  chan struct{}
}

func (p *segPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	select {
	case <-p.e.stop:
		return p.finish(hits, true)
	default:
	}
	t := p.offset + elapsed
	// This shard's hit base+hits is the whole schedule's hit total.
	total := p.e.r.shard.global(p.base + hits)
	shape := p.e.plan.Shape
	// Hit total+1 was due when Hits reached total+1; how late is it now?
	if behind := shape.Hits(min(t, p.e.plan.Duration)) - float64(total+1); behind > 0 {
		if rate := shape.Rate(t); rate > 0 {
			lag := int64(behind / rate * float64(time.Second))
			for cur := p.e.lag.Load(); lag > cur && !p.e.lag.CompareAndSwap(cur, lag); cur = p.e.lag.Load() {
			}
		}
	}
	wait, stop := shape.Pace(t, total)
	switch {
	case stop || t+wait > p.e.plan.Duration:
		return p.finish(hits, true)
	case t+wait > p.end:
		return p.finish(hits, false)
	}
	return wait, false
}

func (p *segPacer) finish(hits uint64, over bool) (time.Duration, bool) {
	p.hits, p.over = hits, over
	close(p.ended)
	return 0, true
}

func (p *segPacer) Rate(elapsed time.Duration) float64 {
	return p.e.plan.Shape.Rate(p.offset+elapsed) / float64(p.e.r.shard.norm().Count)
}

// writer buffers the results file.
func newResultWriter(w interface{ Write([]byte) (int, error) }) (*bufio.Writer, vegeta.Encoder) {
	bw := bufio.NewWriterSize(w, 64<<10)
	return bw, vegeta.NewEncoder(bw)
}
