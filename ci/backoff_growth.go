package ci

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// waits are one retry chain's waits before each retry, with the retry
// number of each (1 for the first), and the operation it retried.
type waits struct {
	op    string
	retry []int
	wait  []time.Duration
}

func (w *waits) add(retry int, d time.Duration) {
	w.retry, w.wait = append(w.retry, retry), append(w.wait, d)
}

// retries says how many waits the chain measured.
func (w *waits) retries() int { return len(w.wait) }

// point is one wait: its retry number and the log of the wait.
type point struct {
	n   int
	log float64
}

// atOnce is the shortest wait a backoff is told by: a retry sooner than
// that is a retry at once, whatever the service did in between (a wait of
// 1 ms and one of 3 ms are no growth ×3).
const atOnce = 10 * time.Millisecond

// points are the waits of w on a log scale; a wait under atOnce counts as
// atOnce, so that retries at once read as level, not as noise.
func (w *waits) points() []point {
	ps := make([]point, len(w.wait))
	for i, d := range w.wait {
		ps[i] = point{w.retry[i], math.Log(float64(max(d, atOnce)))}
	}
	return ps
}

// maxPairGap is how many retries apart two waits of a chain may be to
// make a pair in growth: enough to see past one odd wait, few enough that
// a chain retried a thousand times makes thousands of pairs, not a million.
const maxPairGap = 4

// growth is the factor per retry by which waits grow: e to the median,
// over every pair of waits of the same chain (at most maxPairGap retries
// apart), of the slope of the log of the wait over the retry number (the
// Theil-Sen estimator). ok is false when no chain has two waits to pair.
// A wait under atOnce counts as atOnce, so that retries at once read as
// level.
//
// Pairs within a chain, so each chain keeps its own level: a slow
// operation and a fast one make no slope between them. A median of
// slopes, because full jitter draws each wait anywhere under its ceiling:
// the log of a wait scatters evenly around its ceiling's, and the median
// slope is the ceiling's growth; and because a chain holds waits that are
// not its backoff (a breaker's pause, a dead-letter redrive), which a
// median leaves aside where a mean or a longest-so-far would follow them.
// Delays that do not grow (a busy scheduler's, a hammering client's
// jitter) give slopes scattered evenly around zero however long their
// tail: the longest interval so far, measured before, grew with every
// sample drawn and passed a client retrying at once through such delays.
func growth(chains []*waits) (g float64, ok bool) {
	var slopes []float64
	for _, c := range chains {
		slopes = c.slopes(slopes)
	}
	if len(slopes) == 0 {
		return 1, false
	}
	return math.Exp(median(slopes)), true
}

// slopes appends the chain's pairwise slopes of log wait over retry number.
func (w *waits) slopes(dst []float64) []float64 {
	ps := w.points()
	for i := range ps {
		for j := i + 1; j < len(ps) && ps[j].n-ps[i].n <= maxPairGap; j++ {
			dst = append(dst, (ps[j].log-ps[i].log)/float64(ps[j].n-ps[i].n))
		}
	}
	return dst
}

// median returns the median of xs, reordering it: a selection in linear
// time (quickselect), since the bootstrap takes one per resample.
func median(xs []float64) float64 {
	n := len(xs)
	upper := nth(xs, n/2)
	if n%2 == 1 {
		return upper
	}
	// The lower middle is the largest of what nth left before it.
	return (slices.Max(xs[:n/2]) + upper) / 2
}

// nth puts the k-th smallest of xs (from 0) at xs[k], the smaller ones
// before it and the larger after, and returns it.
func nth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// The median of three as the pivot: sorted input stays linear.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// Bootstrap of the growth: how far it could have come out otherwise, had
// the same client met other failures.
const (
	bootstrapRounds = 400
	bootstrapBand   = 0.98 // the share of resampled growths inside the band
	// bootstrapDefined is the least share of resamples that must measure
	// a growth: below it, the growth rests on a few chains that chance
	// could as well have left out.
	bootstrapDefined = 0.9
	// MinBackoffChains is how many requests retried twice or more a band
	// needs: resampling one or two chains says nothing of how the waits
	// scatter, so the growth they show could be one draw of the jitter.
	MinBackoffChains = 3
)

// bootstrapPairs bounds the pairs of waits one resample draws. A journal
// with more draws chains until it has that many (an m-out-of-n
// bootstrap): the band is then that of a smaller drill, wider than the
// journal's own, so never surer than the data; and judging a load run of
// a hundred thousand retries stays a matter of a second.
const bootstrapPairs = 20_000

// band resamples the chains with replacement, bootstrapRounds times from a
// fixed seed (the same journal always gets the same band), and returns the
// interval holding the middle bootstrapBand of their growths. ok is false
// when too few resamples could measure a growth at all.
func band(chains []*waits) (lo, hi float64, ok bool) {
	twice, pairs := 0, 0
	slopes := make([][]float64, len(chains))
	for i, c := range chains {
		if c.retries() >= 2 {
			twice++
		}
		slopes[i] = c.slopes(nil)
		pairs += len(slopes[i])
	}
	if twice < MinBackoffChains {
		return 0, 0, false
	}
	rng := rand.New(rand.NewPCG(0xf12ed, 0xb0ff))
	gs := make([]float64, 0, bootstrapRounds)
	var pick []float64
	for range bootstrapRounds {
		pick = pick[:0]
		if pairs <= bootstrapPairs {
			for range chains {
				pick = append(pick, slopes[rng.IntN(len(chains))]...)
			}
		} else {
			for len(pick) < bootstrapPairs {
				pick = append(pick, slopes[rng.IntN(len(chains))]...)
			}
		}
		if len(pick) > 0 {
			gs = append(gs, math.Exp(median(pick)))
		}
	}
	if float64(len(gs)) < bootstrapDefined*bootstrapRounds {
		return 0, 0, false
	}
	slices.Sort(gs)
	tail := (1 - bootstrapBand) / 2
	return gs[int(tail*float64(len(gs)-1))], gs[int((1-tail)*float64(len(gs)-1))], true
}

// judged is the growth of a set of chains with its band.
type judged struct {
	growth, lo, hi   float64
	measured, banded bool
}

// judge measures the growth of chains with its band: resampled when
// MinBackoffChains chains or more were retried twice, else from how far
// each chain's own waits stray from a steady growth (see steady).
func judge(chains []*waits) judged {
	var j judged
	j.growth, j.measured = growth(chains)
	if !j.measured {
		return j
	}
	if j.lo, j.hi, j.banded = band(chains); !j.banded {
		if g, lo, hi, ok := steady(chains); ok {
			j.growth, j.lo, j.hi, j.banded = g, lo, hi, true
		}
	}
	return j
}

// steady fits one growth to the waits of a few chains, each chain with
// its own level: the slope of the log of each wait over its retry number,
// with a band from the scatter of the waits around the line (Student's t
// at bootstrapBand). A wait under atOnce counts as atOnce. One chain doubling
// cleanly, or retrying at a fixed pace, is judged; one whose waits full
// jitter scattered gets a band too wide to judge. ok is false with too
// few waits to measure a scatter (a chain of three retries at least).
func steady(chains []*waits) (g, lo, hi float64, ok bool) {
	var sxy, sxx, syy float64
	waits, fitted := 0, 0
	for _, c := range chains {
		ps := c.points()
		if len(ps) < 2 {
			continue
		}
		fitted++
		var mx, my float64
		for _, p := range ps {
			mx, my = mx+float64(p.n), my+p.log
		}
		mx, my = mx/float64(len(ps)), my/float64(len(ps))
		for _, p := range ps {
			dx, dy := float64(p.n)-mx, p.log-my
			sxy, sxx, syy = sxy+dx*dy, sxx+dx*dx, syy+dy*dy
		}
		waits += len(ps)
	}
	df := waits - fitted - 1 // a level per chain and one slope
	if sxx == 0 || df < 1 {
		return 1, 0, 0, false
	}
	b := sxy / sxx
	ssr := max(syy-b*sxy, 0)
	se := math.Sqrt(ssr / float64(df) / sxx)
	t := studentT95(df)
	return math.Exp(b), math.Exp(b - t*se), math.Exp(b + t*se), true
}

// studentT95 is the 95th percentile of Student's t with df degrees of
// freedom (df ≥ 1), from the usual table.
func studentT95(df int) float64 {
	table := []float64{1: 6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
		1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725}
	switch {
	case df < len(table):
		return table[df]
	case df <= 30:
		return 1.697
	case df <= 60:
		return 1.671
	}
	return 1.645
}

// flat says whether the waits surely grow less than min: the band is all
// under it.
func (j judged) flat(min float64) bool {
	return j.banded && j.hi < min
}

func (j judged) String() string {
	s := fmt.Sprintf("×%.2f", j.growth)
	if j.banded {
		s += fmt.Sprintf(" (%.0f%% band ×%.2f–×%.2f)", bootstrapBand*100, j.lo, j.hi)
	}
	return s
}

// meanWaits lists the mean wait at each retry number over chains, for
// Measured: "#1 48ms (12), #2 97ms (5)".
func meanWaits(chains []*waits) string {
	var sum []time.Duration
	var count []int
	for _, c := range chains {
		for i, n := range c.retry {
			for len(sum) <= n {
				sum, count = append(sum, 0), append(count, 0)
			}
			sum[n] += c.wait[i]
			count[n]++
		}
	}
	var parts []string
	for n, c := range count {
		if c == 0 {
			continue
		}
		if len(parts) == 6 {
			parts = append(parts, "…")
			break
		}
		m := sum[n] / time.Duration(c)
		if m < 10*time.Millisecond {
			m = m.Round(100 * time.Microsecond) // a retry at once shows as one
		} else {
			m = m.Round(time.Millisecond)
		}
		parts = append(parts, fmt.Sprintf("#%d %s (%d)", n, m, c))
	}
	return strings.Join(parts, ", ")
}
