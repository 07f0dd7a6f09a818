package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

var (
	errPanicked   = errors.New("chaos: a fault panicked")
	errRolledBack = errors.New("chaos: timeline rolled back")
)

// Run plays the timeline: each event's fault is applied at its time and
// reverted after its duration. Run blocks until every event has ended or
// ctx is done; either way every fault still on is reverted before it
// returns, on a fresh context bounded by the rollback timeout. When a
// fault panics, or a panic unwinds Run, everything is reverted and the
// panic goes on. Run returns every apply and revert error, and the cause
// when ctx was cancelled. A timeline runs once.
func (tl *Timeline) Run(ctx context.Context) error {
	if !tl.ran.CompareAndSwap(false, true) {
		return errors.New("chaos: timeline already run")
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tl.mu.Lock()
	if tl.stopped {
		tl.mu.Unlock()
		return errRolledBack
	}
	tl.start = time.Now()
	tl.cancel = cancel
	tl.mu.Unlock()

	defer func() {
		if p := recover(); p != nil {
			_ = tl.rollback(ReasonPanic)
			panic(p)
		}
	}()
	tl.record(AuditRecord{Action: ActionStart, Outcome: OutcomeOK}, time.Now())

	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	for i := range tl.events {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, &p)
					cancel(errPanicked)
				}
			}()
			tl.runEvent(runCtx, i)
		})
	}
	wg.Wait()

	reason := ReasonEnded
	if runCtx.Err() != nil {
		reason = reasonOf(runCtx)
	}
	_ = tl.rollback(reason)
	end := AuditRecord{Action: ActionEnd, Outcome: OutcomeOK, Reason: reason}
	if err := tl.errors(); err != nil {
		end.Outcome, end.Error = OutcomeError, err.Error()
	}
	tl.record(end, time.Now())
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
	err := errors.Join(tl.errors(), tl.audit.failure())
	if cause := context.Cause(runCtx); cause != nil {
		err = errors.Join(fmt.Errorf("chaos: timeline stopped after %v: %w", time.Since(tl.start).Round(time.Millisecond), cause), err)
	}
	return err
}

// reasonOf says why ctx ended, for the audit log.
func reasonOf(ctx context.Context) string {
	switch context.Cause(ctx) {
	case errPanicked:
		return ReasonPanic
	case errRolledBack:
		return ReasonRollback
	}
	return ReasonCancelled
}

// runEvent waits for the event's time, applies its fault, waits for its
// end and reverts it, unless ctx ends first.
func (tl *Timeline) runEvent(ctx context.Context, i int) {
	ev := tl.events[i]
	if !sleepUntil(ctx, tl.start.Add(ev.At)) {
		tl.record(tl.eventRecord(i, ActionSkip, OutcomeOK, reasonOf(ctx), nil), time.Now())
		return
	}
	if !tl.beginApply() {
		tl.record(tl.eventRecord(i, ActionSkip, OutcomeOK, reasonOf(ctx), nil), time.Now())
		return
	}
	if ev.For == 0 {
		tl.fire(ctx, i)
		return
	}
	if err := tl.apply(ctx, i); err != nil {
		tl.fail(&EventError{Index: i, Kind: ev.Kind, Target: ev.Target, Err: err})
		tl.revert(i, ReasonApplyFailed)
		return
	}
	if !sleepUntil(ctx, tl.start.Add(ev.At+ev.For)) {
		tl.revert(i, reasonOf(ctx))
		return
	}
	tl.revert(i, ReasonEnded)
}

// apply switches event i's fault on and registers its revert; it ends the
// in-flight count that beginApply started, even when Apply panics.
func (tl *Timeline) apply(ctx context.Context, i int) error {
	defer tl.inflight.Done()
	applyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tl.applyTimeout)
	defer cancel()
	began := time.Now()
	revert, err := tl.faults[i].Apply(applyCtx)
	took := time.Since(began)
	rec := tl.eventRecord(i, ActionApply, OutcomeOK, "", err)
	rec.TookMS = ms(took)
	tl.record(rec, began)
	if err == nil {
		tl.mu.Lock()
		tl.on[i] = began.Add(took)
		tl.mu.Unlock()
	}
	if revert != nil {
		tl.register(i, revert)
	}
	return err
}

// fire applies instant event i once; what it did stays, so a Revert it
// returns is not kept. It ends the in-flight count that beginApply started.
func (tl *Timeline) fire(ctx context.Context, i int) {
	defer tl.inflight.Done()
	applyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tl.applyTimeout)
	defer cancel()
	began := time.Now()
	_, err := tl.faults[i].Apply(applyCtx)
	rec := tl.eventRecord(i, ActionFire, OutcomeOK, "", err)
	rec.TookMS = ms(time.Since(began))
	tl.record(rec, began)
	if err != nil {
		ev := tl.events[i]
		tl.fail(&EventError{Index: i, Kind: ev.Kind, Target: ev.Target, Err: err})
	}
}

// sleepUntil waits on a timer until t (monotonic) and reports whether it
// got there before ctx ended.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// beginApply counts an Apply in flight, unless the timeline has stopped.
// Rollback waits for those in flight, so that it returns only once what
// they switched on is off again.
func (tl *Timeline) beginApply() bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.stopped {
		return false
	}
	tl.inflight.Add(1)
	return true
}

// register keeps revert for event i; once the timeline has stopped, the
// fault is reverted at once instead.
func (tl *Timeline) register(i int, revert Revert) {
	tl.mu.Lock()
	tl.active[i] = revert
	stopped, reason := tl.stopped, tl.stopReason
	tl.mu.Unlock()
	if stopped {
		tl.revert(i, reason)
	}
}

// revert switches event i's fault off, if it is on. Only one caller gets
// to do it; another one that comes meanwhile waits until it is done.
func (tl *Timeline) revert(i int, reason string) {
	tl.mu.Lock()
	revert, ok := tl.active[i]
	delete(tl.active, i)
	done, busy := tl.reverting[i]
	if ok {
		done = make(chan struct{})
		tl.reverting[i] = done
	}
	tl.mu.Unlock()
	if !ok {
		if busy {
			<-done
		}
		return
	}
	defer func() {
		tl.mu.Lock()
		delete(tl.reverting, i)
		tl.mu.Unlock()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), tl.rollbackTimeout)
	defer cancel()
	began := time.Now()
	tl.closeWindow(i, began)
	err := revert(ctx)
	rec := tl.eventRecord(i, ActionRevert, OutcomeOK, reason, err)
	rec.TookMS = ms(time.Since(began))
	tl.record(rec, began)
	if err != nil {
		ev := tl.events[i]
		tl.fail(&EventError{Index: i, Kind: ev.Kind, Target: ev.Target, Err: fmt.Errorf("revert: %w", err)})
	}
}

// Rollback stops the timeline and reverts every fault it has on, each on a
// fresh context bounded by the rollback timeout. Defer it next to Run when
// Run goes to another goroutine: a panic there would not unwind Run. It
// returns the revert errors; it is idempotent and nil-safe.
func (tl *Timeline) Rollback() error {
	if tl == nil {
		return nil
	}
	tl.mu.Lock()
	cancel := tl.cancel
	tl.mu.Unlock()
	if cancel != nil {
		cancel(errRolledBack)
	}
	return tl.rollback(ReasonRollback)
}

// rollback marks the timeline stopped and reverts whatever is on, in
// parallel.
func (tl *Timeline) rollback(reason string) error {
	tl.mu.Lock()
	if !tl.stopped {
		tl.stopped, tl.stopReason = true, reason
	}
	n := len(tl.errs)
	tl.mu.Unlock()
	// An Apply in flight registers its revert when it returns and, the
	// timeline being stopped, reverts at once.
	tl.inflight.Wait()
	tl.mu.Lock()
	pending := make([]int, 0, len(tl.active))
	for i := range tl.active {
		pending = append(pending, i)
	}
	// Reverts other goroutines have under way must be over too.
	var others []chan struct{}
	for _, done := range tl.reverting {
		others = append(others, done)
	}
	tl.mu.Unlock()
	var wg sync.WaitGroup
	for _, i := range pending {
		wg.Go(func() { tl.revert(i, reason) })
	}
	wg.Wait()
	for _, done := range others {
		<-done
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return errors.Join(tl.errs[n:]...)
}

// closeWindow records that event i's fault, if its Apply succeeded, was on
// until end.
func (tl *Timeline) closeWindow(i int, end time.Time) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	start, ok := tl.on[i]
	if !ok {
		return
	}
	delete(tl.on, i)
	if end.Before(start) {
		end = start
	}
	ev := tl.events[i]
	tl.windows = append(tl.windows, Window{Event: i, Target: ev.Target, Kind: ev.Kind, Start: start, End: end})
}

func (tl *Timeline) fail(err error) {
	tl.mu.Lock()
	tl.errs = append(tl.errs, err)
	tl.mu.Unlock()
}

func (tl *Timeline) errors() error {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return errors.Join(tl.errs...)
}

func (tl *Timeline) eventRecord(i int, action, outcome, reason string, err error) AuditRecord {
	ev := tl.events[i]
	r := AuditRecord{Action: action, Event: &i, Target: ev.Target, Fault: ev.Kind, Params: ev.Params, Reason: reason, Outcome: outcome}
	if err != nil {
		r.Outcome, r.Error = OutcomeError, err.Error()
	}
	return r
}

func (tl *Timeline) record(r AuditRecord, at time.Time) {
	r.Time = at.UTC()
	r.ElapsedMS = ms(at.Sub(tl.start))
	tl.audit.write(r)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
