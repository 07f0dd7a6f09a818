package ci

import (
	"context"
	"testing"
)

// TestMillionMappingStaysNative: the benchmark's mappings (plain paths,
// double(), lowerAscii(), a division by a literal, a time) are answered
// for every record of both sides, defects included, without the CEL
// interpreter (and so without its lock), and mapping a batch allocates
// nothing once a worker's buffers have grown.
func TestMillionMappingStaysNative(t *testing.T) {
	const n = 4 * batchSize
	k, err := millionCheck(n).Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []genSource{{n: n}, {n: n, target: true, defects: true}} {
		recs, err := src.Records(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		key := k.srcKey
		if src.target {
			key = k.tgtKey
		}
		exprs := []*expr{key}
		for _, f := range k.fields {
			exprs = append(exprs, map[bool]*expr{false: f.src, true: f.tgt}[src.target])
		}
		for _, e := range exprs {
			for i, rec := range recs {
				native := false
				switch {
				case e.path != nil:
					_, native = e.lookup(rec)
				case e.native != nil:
					_, native = e.native.eval(rec, nil)
				}
				if !native {
					t.Fatalf("target %v: %s over record %d goes to CEL", src.target, e.text, i)
				}
			}
		}
		w := newWorkers(len(k.fields))
		seq := 0
		allocs := testing.AllocsPerRun(20, func() {
			b := seq % (n / batchSize)
			k.mapBatch(batchIn{seq: b, recs: recs[b*batchSize : (b+1)*batchSize]}, key, src.target, &w.slots[0].act, &w.slots[0].m)
			seq++
		})
		if allocs != 0 {
			t.Errorf("target %v: %v allocations mapping a batch", src.target, allocs)
		}
	}
}
