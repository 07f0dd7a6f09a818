package ci

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// batchSize is how many records a worker maps at a time.
const batchSize = 1024

// badKey stands for a join key that failed to evaluate or was null; such
// records are counted as errors and joined with nothing.
const badKey = "\x00"

type batchIn struct {
	seq    int
	recs   []map[string]any
	pooled bool // recs is the reader's buffer, recycled once mapped (a streamed source's; not a slice of Records)
}

// mapped is one batch in canonical form: keys and, per record, one value per field.
type mapped struct {
	seq  int
	keys []string
	vals []value // len(keys) * len(fields)
	bad  []Example
}

// feed reads src in batches for workers, and maps a batch itself when
// they are all busy and the queue is full. The read is one goroutine, so
// a streamed source's reader (decoding, generating) is often what a check
// waits for: it then keeps a core of its own, beside a worker per other
// core, and helps the workers only when it is ahead of them.
type feed struct {
	out  chan batchIn
	free chan []map[string]any // mapped streamed batches' buffers, to read the next ones into
	help func(in batchIn)      // maps a batch in the reader's goroutine
	n    int                   // records read
	seq  int
}

// send hands recs to a worker, or maps them itself if none can take them.
func (f *feed) send(ctx context.Context, recs []map[string]any, pooled bool) error {
	b := batchIn{seq: f.seq, recs: recs, pooled: pooled}
	select {
	case f.out <- b:
	case <-ctx.Done():
		return ctx.Err()
	default:
		f.help(b)
		f.recycle(b)
	}
	f.seq++
	f.n += len(recs)
	return nil
}

// recycle keeps a mapped streamed batch's buffer for the reader, without
// the records: they are garbage once mapped.
func (f *feed) recycle(b batchIn) {
	if !b.pooled {
		return
	}
	clear(b.recs)
	select {
	case f.free <- b.recs[:0]:
	default:
	}
}

func (f *feed) buffer() []map[string]any {
	select {
	case buf := <-f.free:
		return buf
	default:
		return make([]map[string]any, 0, batchSize)
	}
}

// produce feeds src to f.out in batches and closes it; it returns how many
// records it read.
func (f *feed) produce(ctx context.Context, src Source) (int, error) {
	defer close(f.out)
	if s, ok := src.(Streamer); ok {
		buf := f.buffer()
		err := s.Stream(ctx, func(r map[string]any) error {
			buf = append(buf, r)
			if len(buf) == batchSize {
				if err := f.send(ctx, buf, true); err != nil {
					return err
				}
				buf = f.buffer()
			}
			return nil
		})
		if err == nil && len(buf) > 0 {
			err = f.send(ctx, buf, true)
		}
		return f.n, err
	}
	recs, err := src.Records(ctx)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(recs); i += batchSize {
		if err := f.send(ctx, recs[i:min(i+batchSize, len(recs))], false); err != nil {
			return f.n, err
		}
	}
	return f.n, nil
}

// mapBatch maps one batch on one side.
// m's slices are reused: a worker maps every batch into the same buffers,
// and the text it computes into act.text, which the next batch reuses.
func (k *Checker) mapBatch(in batchIn, key *expr, target bool, act *activation, m *mapped) {
	nf := len(k.fields)
	if act.text != nil {
		act.text.reset()
	}
	m.seq, m.bad = in.seq, m.bad[:0]
	m.keys = slices.Grow(m.keys[:0], len(in.recs))[:len(in.recs)]
	m.vals = slices.Grow(m.vals[:0], len(in.recs)*nf)[:len(in.recs)*nf]
	side := "source"
	if target {
		side = "target"
	}
	for i, rec := range in.recs {
		act.rec = rec
		kv := key.eval(act)
		ord := in.seq*batchSize + i
		switch kv.k {
		case kindError:
			m.bad = append(m.bad, Example{Key: fmt.Sprintf("%s record %d", side, ord+1), Error: "join key " + key.text + ": " + kv.s, ord: ord})
			m.keys[i] = badKey
		case kindNull:
			m.bad = append(m.bad, Example{Key: fmt.Sprintf("%s record %d", side, ord+1), Error: "join key " + key.text + " is null", ord: ord})
			m.keys[i] = badKey
		default:
			m.keys[i] = act.text.keyText(kv)
		}
		row := m.vals[i*nf : (i+1)*nf]
		for j := range k.fields {
			f := &k.fields[j]
			e := f.src
			if target {
				e = f.tgt
			}
			row[j] = f.canon(e.eval(act))
			if row[j].k == kindError && !f.Ignore {
				m.bad = append(m.bad, Example{Key: strings.Clone(m.keys[i]), Error: fmt.Sprintf("%s field %s (%s): %s", side, f.Name, e.text, row[j].s), ord: ord})
			}
		}
	}
	act.rec = nil
}

// each runs fn on every batch of src: on w.n workers, and on the reader
// when it is ahead of them (worker w.n).
func each(ctx context.Context, w *workers, src Source, fn func(worker int, in batchIn)) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := &feed{out: make(chan batchIn, 2*(w.n+1)), free: make(chan []map[string]any, 3*(w.n+1)), help: func(b batchIn) { fn(w.n, b) }}
	var wg sync.WaitGroup
	for i := range w.n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range f.out {
				fn(i, b)
				f.recycle(b)
			}
		}()
	}
	n, err := f.produce(ctx, src)
	if err != nil {
		cancel()
	}
	wg.Wait()
	return n, err
}

// index is the source side in canonical form.
type index struct {
	batches []store
	byKey   *keyIndex
	shadow  []bool // per record: an earlier record has its key
	n       int
}

func (x *index) key(ord int32) string { return x.batches[ord/batchSize].key(int(ord % batchSize)) }

func (x *index) row(ord, nf int, buf []value) []value {
	return x.batches[ord/batchSize].row(ord%batchSize, nf, buf)
}

// acc gathers one worker's findings on the target side.
type acc struct {
	unexpected, mismatched, errs Outcome
	byField                      []int // mismatches per field, in k.fields order
}

// keepWith is keep for examples that cost something to build: only the
// kept ones are built.
func keepWith(o *Outcome, limit int, build func() Example) {
	o.Count++
	if len(o.Examples) < limit {
		o.Examples = append(o.Examples, build())
	}
}

func keep(o *Outcome, limit int, e Example) {
	o.Count++
	if len(o.Examples) < limit {
		o.Examples = append(o.Examples, e)
	}
}

// Run reads both collections and compares them once.
func (k *Checker) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	res := Result{Check: k.check.Name, Expect: k.check.Expect}
	if k.check.Source == nil || k.check.Target == nil {
		return res, fmt.Errorf("ci: check %q: %w", k.check.Name, errNoSource)
	}
	w := newWorkers(len(k.fields))
	src, tgt := k.check.Source, k.check.Target
	var srcGroups, tgtGroups *aggregated
	var err error
	if k.srcAgg != nil {
		if srcGroups, err = k.srcAgg.run(ctx, w, src, "source", k.examples, &res); err != nil {
			return res, fmt.Errorf("ci: check %q: read source: %w", k.check.Name, err)
		}
		src, res.SourceRows = Static(srcGroups.records), srcGroups.read
	}
	if k.tgtAgg != nil {
		if tgtGroups, err = k.tgtAgg.run(ctx, w, tgt, "target", k.examples, &res); err != nil {
			return res, fmt.Errorf("ci: check %q: read target: %w", k.check.Name, err)
		}
		tgt, res.TargetRows = Static(tgtGroups.records), tgtGroups.read
	}
	x, err := k.indexSource(ctx, w, src, &res)
	if err != nil {
		return res, fmt.Errorf("ci: check %q: read source: %w", k.check.Name, err)
	}
	counts, agreed, err := k.scanTarget(ctx, w, tgt, x, &res)
	if err != nil {
		return res, fmt.Errorf("ci: check %q: read target: %w", k.check.Name, err)
	}
	k.tally(x, counts, agreed, &res)
	if srcGroups != nil || tgtGroups != nil {
		k.groupRows(&res, srcGroups, tgtGroups)
	}
	res.judge()
	res.Elapsed = time.Since(start)
	return res, nil
}

// workers holds each worker's reusable state for one run: n goroutines,
// one a CPU but the reader's, and the reader, which maps when it is ahead
// (slot n).
type workers struct {
	n     int
	nf    int
	slots []*slot
}

// slot is one worker's state. Each is allocated on its own and padded,
// so that two workers never write to one cache line: they write to their
// activation, scratch and buffers for every record.
type slot struct {
	act   activation
	text  scratch
	m     mapped
	buf   []value // the joined source row
	acc   acc
	look  lookups
	joins []uint32 // its batch's joined source ordinals, agreedBit set where the target agreed
	_     [128]byte
}

// agreedBit marks, in a joined source ordinal, a target that agreed.
const agreedBit = 1 << 31

func newWorkers(nf int) *workers {
	n := max(1, runtime.GOMAXPROCS(0)-1)
	w := &workers{n: n, nf: nf, slots: make([]*slot, n+1)}
	for i := range w.slots {
		s := &slot{}
		s.act.text = &s.text
		w.slots[i] = s
	}
	return w
}

// indexSource maps every source record, packs it, and indexes the keys in
// source order.
func (k *Checker) indexSource(ctx context.Context, w *workers, src Source, res *Result) (*index, error) {
	var mu sync.Mutex
	var bad []Example
	x := &index{}
	seed := maphash.MakeSeed()
	n, err := each(ctx, w, src, func(i int, in batchIn) {
		m := &w.slots[i].m
		k.mapBatch(in, k.srcKey, false, &w.slots[i].act, m)
		st := pack(*m, seed)
		mu.Lock()
		for len(x.batches) <= m.seq {
			x.batches = append(x.batches, store{})
		}
		x.batches[m.seq] = st
		bad = append(bad, m.bad...)
		mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	x.n, res.Source = n, n
	x.shadow = make([]bool, n)
	x.byKey = newKeyIndex(n, min(runtime.GOMAXPROCS(0), maxKeyShards), seed, x.key)
	sort.Slice(bad, func(i, j int) bool { return bad[i].ord < bad[j].ord })
	for _, e := range bad {
		keep(&res.Errors, k.examples, e)
	}
	x.byKey.addAll(n, func(ord int32) (uint64, bool) {
		b, i := &x.batches[ord/batchSize], int(ord%batchSize)
		h := b.hs[i]
		return h, h != 0 || b.key(i) != badKey // a real key may hash to 0
	}, func(ord int32) { x.shadow[ord] = true })
	for i := range x.batches {
		x.batches[i].hs = nil
	}
	for ord, shadowed := range x.shadow {
		if shadowed {
			keep(&res.SourceDuplicates, k.examples, Example{Key: x.key(int32(ord)), ord: ord})
		}
	}
	return x, nil
}

// scanTarget maps, looks up and compares the target records in parallel;
// nothing of the target is kept beyond the examples. It returns, per source
// record, how many targets it had and whether one agreed. A worker counts
// its batch's joins under a lock once it has compared them all, not by an
// atomic operation per record: those fence the memory loads of the records
// that follow, which then wait for their cache misses one by one.
func (k *Checker) scanTarget(ctx context.Context, w *workers, tgt Source, x *index, res *Result) ([]int32, []bool, error) {
	counts := make([]int32, x.n)
	agreed := make([]bool, x.n)
	var mu sync.Mutex
	nf := w.nf
	n, err := each(ctx, w, tgt, func(i int, in batchIn) {
		sl := w.slots[i]
		m := &sl.m
		k.mapBatch(in, k.tgtKey, true, &sl.act, m)
		a := &sl.acc
		for _, e := range m.bad {
			keep(&a.errs, k.examples, e)
		}
		joins, l := sl.joins[:0], &sl.look
		x.byKey.getAll(m.keys, l)
		for r, key := range m.keys {
			if key == badKey {
				continue
			}
			ord := in.seq*batchSize + r
			trow := m.vals[r*nf : (r+1)*nf]
			si := l.ords[r]
			if !l.found[r] {
				keepWith(&a.unexpected, k.examples, func() Example { return Example{Key: strings.Clone(key), Record: k.record(trow), ord: ord} })
				continue
			}
			sl.buf = x.row(int(si), nf, sl.buf)
			j := uint32(si)
			if k.compare(a, key, ord, sl.buf, trow) {
				j |= agreedBit
			}
			joins = append(joins, j)
		}
		mu.Lock()
		for _, j := range joins {
			si := j &^ agreedBit
			counts[si]++
			agreed[si] = agreed[si] || j&agreedBit != 0
		}
		mu.Unlock()
		sl.joins = joins
	})
	if err != nil {
		return nil, nil, err
	}
	res.Target = n
	for _, sl := range w.slots {
		a := sl.acc
		merge(&res.Unexpected, a.unexpected)
		merge(&res.Mismatched, a.mismatched)
		for j, n := range a.byField {
			if n > 0 {
				if res.FieldMismatches == nil {
					res.FieldMismatches = map[string]int{}
				}
				res.FieldMismatches[k.fields[j].Name] += n
			}
		}
		merge(&res.Errors, a.errs)
	}
	for _, o := range []*Outcome{&res.Unexpected, &res.Mismatched, &res.Errors} {
		sort.SliceStable(o.Examples, func(i, j int) bool { return o.Examples[i].ord < o.Examples[j].ord })
		if len(o.Examples) > k.examples {
			o.Examples = o.Examples[:k.examples]
		}
	}
	return counts, agreed, nil
}

// compare reports whether a target row agrees with its source row, keeping
// the mismatch in a otherwise.
func (k *Checker) compare(a *acc, key string, ord int, srow, trow []value) bool {
	var diff []string
	for j := range k.fields {
		f := &k.fields[j]
		if !f.Ignore && !f.equal(srow[j], trow[j]) {
			diff = append(diff, f.Name)
			if a.byField == nil {
				a.byField = make([]int, len(k.fields))
			}
			a.byField[j]++
		}
	}
	if len(diff) == 0 {
		return true
	}
	a.mismatched.Count++
	if len(a.mismatched.Examples) < k.examples {
		a.mismatched.Examples = append(a.mismatched.Examples,
			Example{Key: strings.Clone(key), Fields: diff, Diff: k.diff(srow, trow, diff), ord: ord})
	}
	return false
}

// tally counts missing, duplicated and matched source records, in source order.
func (k *Checker) tally(x *index, counts []int32, agreed []bool, res *Result) {
	for ord := range x.n {
		key := x.key(int32(ord))
		if key == badKey || x.shadow[ord] {
			continue
		}
		switch c := counts[ord]; {
		case c == 0:
			keepWith(&res.Missing, k.examples, func() Example {
				return Example{Key: key, Record: k.record(x.row(ord, len(k.fields), nil)), ord: ord}
			})
		case c > 1:
			keep(&res.Duplicated, k.examples, Example{Key: key, Count: int(c), ord: ord})
		}
		if agreed[ord] {
			res.Matched++
		}
	}
}

// groupRows tells each example of a grouped side how many records its
// group stands for.
func (k *Checker) groupRows(res *Result, src, tgt *aggregated) {
	var srcRows, tgtRows map[string]int
	if src != nil {
		srcRows = src.rowsByKey(k.srcKey)
	}
	if tgt != nil {
		tgtRows = tgt.rowsByKey(k.tgtKey)
	}
	for _, o := range []*Outcome{&res.Missing, &res.Unexpected, &res.Duplicated, &res.Mismatched, &res.SourceDuplicates} {
		for i := range o.Examples {
			e := &o.Examples[i]
			e.SourceRows, e.TargetRows = srcRows[e.Key], tgtRows[e.Key]
		}
	}
}

var errNoSource = errors.New("source and target collections are required")

func merge(dst *Outcome, src Outcome) {
	dst.Count += src.Count
	dst.Examples = append(dst.Examples, src.Examples...)
}

// record renders a canonical row for reports and diffs, with its own copy
// of the text (a target row's text is its worker's scratch).
func (k *Checker) record(row []value) map[string]any {
	out := make(map[string]any, len(row))
	for j, f := range k.fields {
		if !f.Ignore {
			v := row[j]
			v.s = strings.Clone(v.s)
			out[f.Name] = v.native()
		}
	}
	return out
}

// diff renders a mismatch in go-cmp's layout, source (-) against target
// (+), where fields that agree under their options show the source value
// on both sides. Values print as the JSON they stand for: 2 against 3, not
// int64(2) against float64(3), since the records are JSON whatever Go type
// a decoder or an expression gave a number.
func (k *Checker) diff(srow, trow []value, fields []string) string {
	width := 0
	for _, f := range k.fields {
		width = max(width, len(strconv.Quote(f.Name))+1)
	}
	var b strings.Builder
	b.WriteString("  {\n")
	for j, f := range k.fields {
		if f.Ignore {
			continue
		}
		name := strconv.Quote(f.Name) + ":"
		if !slices.Contains(fields, f.Name) {
			fmt.Fprintf(&b, "  \t%-*s %s,\n", width, name, srow[j].json())
			continue
		}
		fmt.Fprintf(&b, "- \t%-*s %s,\n", width, name, srow[j].json())
		fmt.Fprintf(&b, "+ \t%-*s %s,\n", width, name, trow[j].json())
	}
	b.WriteString("  }\n")
	return b.String()
}
