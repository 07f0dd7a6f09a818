package load

import (
	"errors"
	"fmt"
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// DefaultMultiplier scales the expected peak into the tested rate.
const DefaultMultiplier = 3

// Target returns the tested rate: peak × multiplier (DefaultMultiplier when
// multiplier is 0).
func Target(peak, multiplier float64) float64 {
	if multiplier == 0 {
		multiplier = DefaultMultiplier
	}
	return peak * multiplier
}

// Shape is a schedule of hits: a vegeta Pacer that also knows how many hits
// are due by a given time, so a run can tell how far the generator fell
// behind. Open model: hits are due whether or not the target keeps up.
type Shape interface {
	vegeta.Pacer
	// Hits returns the number of hits due in the first t of the schedule.
	Hits(t time.Duration) float64
}

// Constant paces rate hits per second with vegeta's ConstantPacer.
func Constant(rate float64) Shape { return constant{rate: rate} }

type constant struct{ rate float64 }

func (c constant) pacer() vegeta.ConstantPacer {
	// One hit per interval keeps fractional rates (0.5/s) exact to the ns.
	return vegeta.ConstantPacer{Freq: 1, Per: time.Duration(math.Round(float64(time.Second) / c.rate))}
}

func (c constant) Pace(el time.Duration, hits uint64) (time.Duration, bool) {
	if !(c.rate > 0 && c.rate <= MaxRate) {
		return 0, true
	}
	return c.pacer().Pace(el, hits)
}
func (c constant) Rate(time.Duration) float64 { return c.rate }
func (c constant) Hits(t time.Duration) float64 {
	if c.rate <= 0 {
		return 0
	}
	return float64(t / c.pacer().Per)
}
func (c constant) String() string { return fmt.Sprintf("constant %g/s", c.rate) }

// Sine paces a sine wave around mean with amplitude amp (amp < mean) and the
// given period, starting at the mean and going up, with vegeta's SinePacer.
func Sine(mean, amp float64, period time.Duration) Shape {
	return sine{vegeta.SinePacer{
		Period: period,
		Mean:   vegeta.ConstantPacer{Freq: int(math.Round(mean * 1000)), Per: 1000 * time.Second},
		Amp:    vegeta.ConstantPacer{Freq: int(math.Round(amp * 1000)), Per: 1000 * time.Second},
	}}
}

type sine struct{ vegeta.SinePacer }

// Pace finds the time of hit hits+1 by solving Hits(t) = hits+1 on the
// closed form, which grows strictly (amp < mean), by bisection to the
// nanosecond. Vegeta's own numeric step assumes hits are asked for one
// after another; a shard asks for every Nth, where it returns negative
// waits.
func (s sine) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if _, stop := s.SinePacer.Pace(elapsed, hits); stop { // an invalid sine
		return 0, true
	}
	next := float64(hits + 1)
	have := s.Hits(elapsed)
	if have >= next {
		return 0, false // behind: send now
	}
	// The rate never drops below mean - amp, so hit next is due by hi.
	slowest := (s.Mean.Rate(0) - s.Amp.Rate(0)) / 1e9 // hits per ns
	lo, hi := elapsed, elapsed+time.Duration(math.Ceil((next-have)/slowest))+1
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if s.Hits(mid) >= next {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi - elapsed, false
}

// Hits is vegeta's closed form for the sine schedule:
// H = Mt + (AP/2π)(cos(O) - cos(O + 2πt/P)).
func (s sine) Hits(t time.Duration) float64 {
	if t <= 0 || s.Period <= 0 {
		return 0
	}
	mean := s.Mean.Rate(0) / 1e9
	amp := s.Amp.Rate(0) / 1e9
	ampHits := amp * float64(s.Period) / (2 * math.Pi)
	rad := s.StartAt + float64(t)*2*math.Pi/float64(s.Period)
	return mean*float64(t) + ampHits*(math.Cos(s.StartAt)-math.Cos(rad))
}

// Stage is one leg of a staged schedule, as in k6: the rate moves linearly
// from where the previous stage ended (0 for the first) to Target over
// Duration.
type Stage struct {
	Duration time.Duration
	Target   float64 // hits per second
}

// Ramp goes linearly from 0 to rate over ramp, then holds rate until total.
func Ramp(rate float64, ramp, total time.Duration) Shape {
	if ramp <= 0 {
		return Constant(rate)
	}
	st := []Stage{{Duration: min(ramp, total), Target: rate}}
	if total > ramp {
		st = append(st, Stage{Duration: total - ramp, Target: rate})
	}
	s, _ := Stages(st...)
	return s
}

// Stages returns the staged schedule. The schedule stops after the last stage.
func Stages(stages ...Stage) (Shape, error) {
	if len(stages) == 0 {
		return nil, errors.New("load: stages: none given")
	}
	for i, s := range stages {
		if s.Duration <= 0 {
			return nil, fmt.Errorf("load: stages[%d]: duration %s must be positive", i, s.Duration)
		}
		if s.Target < 0 || math.IsNaN(s.Target) || math.IsInf(s.Target, 0) {
			return nil, fmt.Errorf("load: stages[%d]: target %g/s must be a finite rate ≥ 0", i, s.Target)
		}
	}
	return staged(stages), nil
}

type staged []Stage

// leg returns the stage holding t: its start, start rate, and hits due before it.
func (s staged) leg(t time.Duration) (i int, start time.Duration, from, before float64) {
	for i = range s {
		if t < start+s[i].Duration || i == len(s)-1 {
			return i, start, from, before
		}
		d := s[i].Duration.Seconds()
		before += (from + s[i].Target) / 2 * d
		from = s[i].Target
		start += s[i].Duration
	}
	return len(s) - 1, start, from, before
}

func (s staged) total() (d time.Duration) {
	for _, st := range s {
		d += st.Duration
	}
	return d
}

func (s staged) Rate(t time.Duration) float64 {
	i, start, from, _ := s.leg(t)
	x := min((t - start).Seconds(), s[i].Duration.Seconds())
	return from + (s[i].Target-from)*x/s[i].Duration.Seconds()
}

func (s staged) Hits(t time.Duration) float64 {
	t = min(max(t, 0), s.total())
	i, start, from, before := s.leg(t)
	x := (t - start).Seconds()
	slope := (s[i].Target - from) / s[i].Duration.Seconds()
	return before + from*x + slope*x*x/2
}

// Pace finds the time of hit number hits+1 by solving Hits(t) = hits+1,
// leg by leg, in closed form.
func (s staged) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	next := float64(hits + 1)
	if s.Hits(elapsed) >= next {
		return 0, false // behind: send now
	}
	if s.Hits(s.total()) < next {
		return 0, true
	}
	start, from, before := time.Duration(0), 0.0, 0.0
	for _, st := range s {
		d := st.Duration.Seconds()
		after := before + (from+st.Target)/2*d
		if after >= next {
			a := (st.Target - from) / d / 2
			need := next - before
			var x float64
			if math.Abs(a) < 1e-12 {
				x = need / from
			} else {
				x = (-from + math.Sqrt(from*from+4*a*need)) / (2 * a)
			}
			at := start + time.Duration(x*float64(time.Second))
			return max(at-elapsed, 0), false
		}
		before, from, start = after, st.Target, start+st.Duration
	}
	return 0, true
}
