package load

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Merge reads result files written by runs (one per shard, in vegeta's gob,
// JSON or CSV encoding) and builds one report from all of them: steps by
// vegeta's Attack field, iterations by file and Seq, seconds from the
// earliest result. Target, Scheduled and Lag are unknown from files: set
// Target before checking "rate >= 0.98 * target" thresholds.
func Merge(files ...string) (*Report, error) {
	if len(files) == 0 {
		return nil, errors.New("load: merge: no files")
	}
	type iterKey struct {
		file int
		seq  uint64
	}
	var all []vegeta.Result
	var keys []iterKey
	for i, name := range files {
		rs, err := readResults(name)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			all = append(all, r)
			keys = append(keys, iterKey{i, r.Seq})
		}
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return all[order[a]].Timestamp.Before(all[order[b]].Timestamp) })
	var start time.Time
	if len(all) > 0 {
		start = all[order[0]].Timestamp.Truncate(0)
	}
	b := newBuilder("flow", nil, start)
	iters := map[iterKey][]*vegeta.Result{}
	var seen []iterKey
	for _, i := range order {
		r := &all[i]
		b.add(r)
		k := keys[i]
		if _, ok := iters[k]; !ok {
			seen = append(seen, k)
		}
		iters[k] = append(iters[k], r)
	}
	for _, k := range seen {
		rs := iters[k]
		var failed *vegeta.Result
		for _, r := range rs {
			if r.Error != "" {
				failed = r
				break
			}
		}
		b.addIteration(rs[0], rs[len(rs)-1], failed)
	}
	rep := b.report()
	rep.Sent = uint64(len(seen))
	return rep, nil
}

func readResults(name string) ([]vegeta.Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("load: merge: %w", err)
	}
	defer f.Close()
	dec := vegeta.DecoderFor(f)
	if dec == nil {
		st, _ := f.Stat()
		if st != nil && st.Size() == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("load: merge: %s: not a vegeta results file (gob, JSON or CSV)", name)
	}
	var out []vegeta.Result
	for n := 1; ; n++ {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("load: merge: %s: result %d: %w", name, n, err)
		}
		out = append(out, r)
	}
}
