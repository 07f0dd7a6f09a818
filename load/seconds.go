package load

import (
	"fmt"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The settings of every latency histogram: microseconds from 1 µs to one
// hour, 3 significant digits. Histograms made with other settings do not
// merge exactly, so run folders record them and MergeRunDirs compares.
const (
	HistLowest  int64 = 1
	HistHighest       = histMaxMicros
	HistDigits        = 3
)

// DefaultLateWindow is how long after its end a second stays open to
// results, when the run does not say (Run uses its request timeout).
// A result that arrives later still counts: its second is reopened.
const DefaultLateWindow = DefaultTimeout + time.Second

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(HistLowest, HistHighest, HistDigits) }

// second is one second of one aggregate. While results can still arrive
// for it, its latencies wait as microseconds (4 bytes each: a second
// costs what it holds, not the 180 KiB of a histogram's counts); once
// closed, they are one HDR histogram in the library's compressed V2
// encoding (a few KiB at most), which is also what histograms.hlog holds.
type second struct {
	n, ok, bad uint64
	sum        time.Duration // of latencies, for exact means
	max        time.Duration
	raw        []uint32 // µs, while open
	enc        []byte   // closed: hdrhistogram V2 compressed encoding
	p50, p99   time.Duration
}

// seconds is one aggregate's run, second by second.
type seconds struct {
	m    map[int]*second
	open []int // seconds holding raw latencies
	// scratch is reused to close seconds; a histogram's counts are its
	// whole size, so one per aggregate, not one per second.
	scratch *hdrhistogram.Histogram
	err     error // the first encoding error (none expected)
	// upTo: seconds before it are closed, unless a late result reopened
	// one (reopened).
	upTo     int
	reopened bool
}

func newSeconds() *seconds { return &seconds{m: map[int]*second{}} }

func (ss *seconds) get(sec int) *second {
	s := ss.m[sec]
	if s == nil {
		s = &second{}
		ss.m[sec] = s
	}
	return s
}

func micros(d time.Duration) int64 {
	return min(max(int64(d/time.Microsecond), HistLowest), HistHighest)
}

// add records one latency in second sec.
func (ss *seconds) add(sec int, d time.Duration, ok bool) {
	s := ss.get(sec)
	s.n++
	if ok {
		s.ok++
	} else {
		s.bad++
	}
	s.sum += d
	s.max = max(s.max, d)
	if s.raw == nil {
		ss.open = append(ss.open, sec)
		ss.reopened = ss.reopened || sec < ss.upTo
	}
	s.raw = append(s.raw, uint32(micros(d)))
}

// closeBefore closes every open second before sec.
func (ss *seconds) closeBefore(sec int) {
	if sec <= ss.upTo && !ss.reopened {
		return
	}
	ss.upTo, ss.reopened = max(ss.upTo, sec), false
	keep := ss.open[:0]
	for _, s := range ss.open {
		if s < sec {
			ss.close(s)
		} else {
			keep = append(keep, s)
		}
	}
	ss.open = keep
}

// closeAll closes every second.
func (ss *seconds) closeAll() {
	for _, s := range ss.open {
		ss.close(s)
	}
	ss.open = ss.open[:0]
}

func (ss *seconds) close(sec int) {
	s := ss.m[sec]
	if s == nil || s.raw == nil {
		return
	}
	var h *hdrhistogram.Histogram
	if s.enc != nil { // a late result reopened it
		var err error
		if h, err = decodeHist(s.enc); err != nil {
			ss.err = fmt.Errorf("load: second %d: %w", sec, err)
			return
		}
	} else {
		if ss.scratch == nil {
			ss.scratch = newHist()
		}
		h = ss.scratch
		h.Reset()
	}
	for _, v := range s.raw {
		_ = h.RecordValue(int64(v))
	}
	s.raw = nil
	ss.seal(sec, s, h)
}

// seal stores h as s's histogram and reads its percentiles.
func (ss *seconds) seal(sec int, s *second, h *hdrhistogram.Histogram) {
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil && ss.err == nil {
		ss.err = fmt.Errorf("load: second %d: encode histogram: %w", sec, err)
	}
	s.enc = enc
	s.p50, s.p99 = percentile(h, 50, s.max), percentile(h, 99, s.max)
}

// histogram decodes second sec's histogram (nil when it has none).
func (ss *seconds) histogram(sec int) (*hdrhistogram.Histogram, error) {
	s := ss.m[sec]
	if s == nil || s.n == 0 {
		return nil, nil
	}
	if s.raw != nil {
		ss.close(sec)
		ss.open = slices.DeleteFunc(ss.open, func(x int) bool { return x == sec })
	}
	return decodeHist(s.enc)
}

// decodeHist decodes the library's compressed encoding; it panics on some
// malformed input, which a run folder read from disk may hold.
func decodeHist(enc []byte) (h *hdrhistogram.Histogram, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("malformed histogram: %v", p)
		}
	}()
	h, err = hdrhistogram.Decode(enc)
	if err != nil {
		return nil, fmt.Errorf("malformed histogram: %w", err)
	}
	return h, nil
}

// series lists the seconds in order, as Buckets.
func (ss *seconds) series() []Bucket {
	ss.closeAll()
	out := make([]Bucket, 0, len(ss.m))
	for sec, s := range ss.m {
		out = append(out, Bucket{Second: sec, Requests: s.n, Successes: s.ok, Errors: s.bad, P50: s.p50, P99: s.p99})
	}
	slices.SortFunc(out, func(a, b Bucket) int { return a.Second - b.Second })
	return out
}

// keys lists the seconds in order.
func (ss *seconds) keys() []int {
	out := make([]int, 0, len(ss.m))
	for sec := range ss.m {
		out = append(out, sec)
	}
	slices.Sort(out)
	return out
}
