package load

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// collector is the single goroutine that reads every result: it ties a
// result to its iteration, applies the step's expectation and captures,
// queues the next step, writes the result file, keeps the report, watches
// thresholds that may stop the run, and reports progress.
type collector struct {
	e       *execution
	b       *builder
	bw      *bufio.Writer
	enc     vegeta.Encoder
	werr    error
	planned float64 // iterations the whole schedule asks for
	doomers []Threshold

	lastN    uint64
	lastTick time.Time
	window   []time.Duration // all steps, since the last tick
	window0  []time.Duration // first step, since the last tick
	closedQ  bool
}

func newCollector(e *execution) *collector {
	names := make([]string, len(e.steps))
	for i, s := range e.steps {
		names[i] = s.Name
	}
	c := &collector{e: e, b: newBuilder(flowName(e.plan.Flow), names, e.start),
		planned: e.plan.Shape.Hits(e.plan.Duration), lastTick: e.start}
	c.b.setLate(e.r.timeout + time.Second)
	if e.r.out != nil {
		c.bw, c.enc = newResultWriter(e.r.out)
	}
	for _, t := range e.plan.Thresholds {
		if t.doomed(^uint64(0)>>1, time.Duration(1<<62), 1) {
			c.doomers = append(c.doomers, t)
		}
	}
	return c
}

func flowName(f Flow) string {
	if f.Name == "" {
		return "flow"
	}
	return f.Name
}

func (c *collector) loop() *Report {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	firstOver := c.e.firstOver
	var drain <-chan time.Time
	for {
		select {
		case sr, ok := <-c.e.in:
			if !ok {
				return c.finish()
			}
			c.handle(sr)
			if firstOver == nil {
				c.maybeCloseQueues()
			}
		case <-firstOver:
			firstOver = nil
			c.maybeCloseQueues()
			if !c.closedQ {
				t := time.NewTimer(c.e.r.drain)
				defer t.Stop()
				drain = t.C
			}
		case <-drain:
			c.e.halt(fmt.Sprintf("iterations still in flight %s after the schedule ended", c.e.r.drain))
			c.e.cancel() // and their requests with them
		case now := <-tick.C:
			c.tick(now)
		}
	}
}

// maybeCloseQueues lets later steps stop once no iteration is in flight.
func (c *collector) maybeCloseQueues() {
	if c.closedQ {
		return
	}
	c.e.mu.Lock()
	n := len(c.e.iters)
	c.e.mu.Unlock()
	if n > 0 {
		return
	}
	c.closedQ = true
	for _, q := range c.e.queues {
		if q != nil {
			q.close()
		}
	}
}

func (c *collector) handle(sr stepResult) {
	e, res := c.e, sr.res
	if i := strings.LastIndex(res.URL, marker); i >= 0 {
		res.Seq, _ = strconv.ParseUint(res.URL[i+len(marker):], 10, 64)
		res.URL = res.URL[:i]
	}
	s := e.steps[sr.step]
	if s.Expect != 0 && res.Code != 0 {
		if int(res.Code) == s.Expect {
			res.Error = ""
		} else {
			res.Error = fmt.Sprintf("status %d, want %d", res.Code, s.Expect)
		}
	}
	var st *iterState
	if len(e.steps) > 1 {
		e.mu.Lock()
		st = e.iters[res.Seq]
		e.mu.Unlock()
	}
	last := sr.step == len(e.steps)-1
	var failed, next *vegeta.Result
	if res.Error != "" {
		failed = res
	} else if st != nil && !last {
		if err := applyCaptures(s, st.it, res); err != nil {
			res.Error, failed = err.Error(), res
		} else if tgt, err := e.target(sr.step+1, st.it); err != nil {
			next = &vegeta.Result{Attack: e.steps[sr.step+1].Name, Seq: res.Seq, Timestamp: res.End(),
				Method: e.steps[sr.step+1].method, Error: err.Error()}
			failed = next
		} else {
			e.queues[sr.step+1].push(tgt)
		}
	}
	res.Body, res.Headers = nil, nil
	c.record(sr.step, res)
	end := res
	if next != nil {
		c.record(sr.step+1, next)
		end = next
	}
	if st != nil {
		if sr.step == 0 {
			st.first = res
		}
		if (failed != nil || last) && st.first != nil {
			c.b.addIteration(st.first, end, failed)
			e.mu.Lock()
			delete(e.iters, res.Seq)
			e.mu.Unlock()
		}
	}
	c.checkDoom()
}

func applyCaptures(s *compiledStep, it *iteration, res *vegeta.Result) error {
	if len(s.captures) == 0 {
		return nil
	}
	var doc any
	if s.needBody {
		var err error
		if doc, err = decodeBody(res.Body); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	for _, cp := range s.captures {
		v, err := cp.extract(doc, res.Headers)
		if err != nil {
			return err
		}
		it.set(cp.name, v)
	}
	return nil
}

func (c *collector) record(step int, res *vegeta.Result) {
	c.b.add(res)
	c.window = append(c.window, res.Latency)
	if step == 0 {
		c.window0 = append(c.window0, res.Latency)
	}
	if c.enc != nil && c.werr == nil {
		if err := c.enc.Encode(res); err != nil {
			c.werr = fmt.Errorf("load: write results: %w", err)
		}
	}
}

// doomPrefix starts the reason of a run stopped by a threshold that can
// no longer pass: a verdict on the target, not a failure of the run.
const doomPrefix = "threshold "

func (c *collector) checkDoom() {
	for _, t := range c.doomers {
		a, planned := c.b.flow, c.planned
		switch t.scope() {
		case ScopeStep:
			a = c.b.step(t.Step)
		case ScopeRequest:
			// At most one request per step per iteration: the bound that
			// never calls a threshold doomed that could still pass.
			a, planned = c.b.all, c.planned*float64(len(c.b.steps))
		}
		if t.doomed(a.errors, a.maxLat, planned) {
			c.e.halt(fmt.Sprintf(doomPrefix+"%q can no longer pass", t.Source))
			return
		}
	}
}

func (c *collector) tick(now time.Time) {
	inflight := c.e.inflight0.Load()
	switch {
	case len(c.window0) > 0:
		slices.Sort(c.window0)
		c.e.p99.Store(int64(quantile(c.window0, 0.99)))
	case inflight > 0:
		// No first step answered in a whole tick while some are in flight:
		// their latency is at least that long.
		c.e.p99.Store(max(c.e.p99.Load(), int64(now.Sub(c.lastTick))))
	}
	slices.Sort(c.window)
	n := c.b.all.n
	if c.e.r.progress != nil {
		c.e.r.progress(Progress{
			Elapsed: now.Sub(c.e.start), Total: c.e.plan.Duration,
			Requests: n, Errors: c.b.all.errors,
			Rate: float64(n-c.lastN) / now.Sub(c.lastTick).Seconds(),
			P99:  quantile(c.window, 0.99), Lag: time.Duration(c.e.lag.Load()),
			Expected: c.e.plan.Shape.Rate(now.Sub(c.e.start)) / float64(c.e.r.shard.norm().Count),
		})
	}
	c.lastN, c.lastTick = n, now
	c.window, c.window0 = c.window[:0], c.window0[:0]
}

func (c *collector) finish() *Report {
	e := c.e
	reason := e.reason.Load()
	e.mu.Lock()
	for seq, st := range e.iters {
		if st.first != nil {
			why := "unfinished"
			if reason != nil {
				why += ": " + *reason
			}
			c.b.addIteration(st.first, st.first, &vegeta.Result{Attack: "run", Error: why})
		}
		delete(e.iters, seq)
	}
	e.mu.Unlock()
	if c.bw != nil && c.werr == nil {
		if err := c.bw.Flush(); err != nil {
			c.werr = fmt.Errorf("load: write results: %w", err)
		}
	}
	rep := c.b.report()
	rep.Target = c.planned / e.plan.Duration.Seconds()
	ended := min(time.Duration(e.ended.Load()), e.plan.Duration)
	rep.Scheduled = e.r.shard.share(uint64(e.plan.Shape.Hits(ended)))
	rep.Sent = e.seq.Load()
	rep.Lag = time.Duration(e.lag.Load())
	if reason != nil {
		rep.Aborted = *reason
	}
	rep.Interrupted = e.parent.Err() != nil
	rep.WriteErr = c.werr
	rep.Shard, rep.Duration = e.r.shard.norm(), e.plan.Duration
	return rep
}
