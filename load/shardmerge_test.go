package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// synthIteration is one iteration of a synthetic run: its step results.
type synthIteration []vegeta.Result

// synthRun makes iters iterations of a flow of the given steps at rate
// per second from start: long-tailed latencies, some errors, a latency
// spike from second spikeAt for spikeFor seconds (5% of requests 800 ms
// slower: 1.5% of a 10 s window, 0.75% of a 20 s run).
func synthRun(seed uint64, iters int, rate float64, start time.Time, steps []string, spikeAt, spikeFor int) []synthIteration {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([]synthIteration, iters)
	for k := range iters {
		at := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		sec := int(at.Sub(start) / time.Second)
		var it synthIteration
		for _, name := range steps {
			d := 2*time.Millisecond + time.Duration(rng.ExpFloat64()*float64(5*time.Millisecond))
			if rng.Float64() < 0.005 {
				d += time.Duration(rng.Int64N(int64(400 * time.Millisecond)))
			}
			if sec >= spikeAt && sec < spikeAt+spikeFor && rng.Float64() < 0.05 {
				d += 800 * time.Millisecond
			}
			r := vegeta.Result{Attack: name, Seq: uint64(k + 1), Code: 200, Timestamp: at, Latency: d}
			if rng.Float64() < 0.01 {
				r.Code, r.Error = 503, fmt.Sprintf("status 503 (%d)", rng.IntN(3))
			}
			it = append(it, r)
			at = r.End()
			if r.Error != "" {
				break
			}
		}
		out[k] = it
	}
	return out
}

// synthReport builds the report of the iterations k with k%n == i, as
// shard i/n of the run would.
func synthReport(its []synthIteration, start time.Time, steps []string, i, n int, dur time.Duration) *Report {
	b := newBuilder("checkout", steps, start)
	var sent uint64
	for k, it := range its {
		if k%n != i {
			continue
		}
		sent++
		var failed *vegeta.Result
		for j := range it {
			b.add(&it[j])
			if it[j].Error != "" {
				failed = &it[j]
			}
		}
		b.addIteration(&it[0], &it[len(it)-1], failed)
	}
	r := b.report()
	r.Target, r.Duration, r.Sent, r.Scheduled = float64(len(its))/dur.Seconds(), dur, sent, sent
	r.Plan = PlanDigest([]byte("synthetic"))
	return r
}

func writeShards(t testing.TB, its []synthIteration, start time.Time, steps []string, n int, dur time.Duration) []string {
	t.Helper()
	base := t.TempDir()
	var dirs []string
	for i := range n {
		d := filepath.Join(base, fmt.Sprint(i))
		if err := synthReport(its, start, steps, i, n, dur).WriteRunFiles(d, Shard{i, n}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// wholeHist adds up an aggregate's per-second histograms.
func wholeHist(t testing.TB, s Stats) *hdrhistogram.Histogram {
	t.Helper()
	w := newHist()
	for _, sec := range s.secs.keys() {
		h, err := s.secs.histogram(sec)
		if err != nil {
			t.Fatal(err)
		}
		if h != nil {
			w.Merge(h)
		}
	}
	return w
}

func sameStats(t *testing.T, what string, got, want Stats) {
	t.Helper()
	gt, wt := slices.Sorted(slices.Values(got.ErrorTexts)), slices.Sorted(slices.Values(want.ErrorTexts))
	if !slices.Equal(gt, wt) {
		t.Errorf("%s: error texts %q, want %q", what, gt, wt)
	}
	g, w := got, want
	g.ErrorTexts, w.ErrorTexts, g.secs, w.secs, g.Series, w.Series = nil, nil, nil, nil, nil, nil
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
	if !slices.Equal(got.Series, want.Series) {
		t.Errorf("%s: series differ:\n got %v\nwant %v", what, got.Series, want.Series)
	}
	for _, sec := range want.secs.keys() {
		hg, err1 := got.secs.histogram(sec)
		hw, err2 := want.secs.histogram(sec)
		if err1 != nil || err2 != nil || (hw != nil) != (hg != nil) || (hw != nil && !hg.Equals(hw)) {
			t.Errorf("%s: second %d: histograms differ (%v, %v)", what, sec, err1, err2)
		}
	}
	if !wholeHist(t, got).Equals(wholeHist(t, want)) {
		t.Errorf("%s: whole-run histograms differ", what)
	}
}

// TestMergeRunDirsIsExact splits one run among n shards by iteration
// k%n, writes each shard's run folder, merges them, and finds the report
// of the whole run: histograms bucket for bucket, counts, series, and
// the verdicts of windowed thresholds.
func TestMergeRunDirsIsExact(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_790_000_000, 123_456_789)
	steps := []string{"create order", "pay, then confirm"}
	dur := 20 * time.Second
	its := synthRun(1, 4000, 200, start, steps, 7, 3)
	single := synthReport(its, start, steps, 0, 1, dur)
	ths, err := ParseThresholds("p99 < 500ms", "p99 < 500ms over any 10s", "iteration p99 < 900ms over any 5s",
		`step "pay, then confirm" success >= 98% over any 3s`, "errors < 20 over any 10s", "rate >= 0.98 * target over any 10s")
	if err != nil {
		t.Fatal(err)
	}
	wantV, _ := CheckAll(single, ths)
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			dirs := writeShards(t, its, start, steps, n, dur)
			slices.Reverse(dirs) // the order given does not matter
			got, err := MergeRunDirs(dirs...)
			if err != nil {
				t.Fatal(err)
			}
			sameStats(t, "requests", got.Requests, single.Requests)
			sameStats(t, "iteration", got.Flow, single.Flow)
			if len(got.Steps) != len(single.Steps) {
				t.Fatalf("%d steps, want %d", len(got.Steps), len(single.Steps))
			}
			for i := range got.Steps {
				sameStats(t, "step "+single.Steps[i].Name, got.Steps[i], single.Steps[i])
			}
			if !got.Start.Equal(single.Start) || got.Target != single.Target || got.Sent != single.Sent || got.Scheduled != single.Scheduled {
				t.Errorf("start %v target %g sent %d scheduled %d, want %v %g %d %d", got.Start, got.Target, got.Sent, got.Scheduled,
					single.Start, single.Target, single.Sent, single.Scheduled)
			}
			gotV, _ := CheckAll(got, ths)
			for i := range wantV {
				if gotV[i].Message != wantV[i].Message || gotV[i].Pass != wantV[i].Pass {
					t.Errorf("merged verdict %q, one process %q", gotV[i].Message, wantV[i].Message)
				}
			}
		})
	}
	// The control: the spike fails the windowed p99 and not the whole run's.
	if !wantV[0].Pass || wantV[1].Pass {
		t.Errorf("whole-run p99 %q, windowed %q: the 3 s spike should fail only the window", wantV[0].Message, wantV[1].Message)
	}
}

// TestMergeRunDirsRefuses: every folder that is not a finished shard of
// the same run stops the merge, named in the error.
func TestMergeRunDirsRefuses(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_790_000_000, 0)
	steps := []string{"only"}
	its := synthRun(2, 300, 100, start, steps, 99, 0)
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, dirs []string) []string
		is    error
		want  string
	}{
		{"missing shard", func(t *testing.T, d []string) []string { return []string{d[0], d[1], d[3]} }, ErrShardMissing, "shard 2/4 missing: merged 0/4, 1/4, 3/4"},
		{"duplicate", func(t *testing.T, d []string) []string { return append(d, d[1]) }, ErrShardMissing, "shard 1/4 given twice"},
		{"no summary", func(t *testing.T, d []string) []string {
			must(t, os.Remove(filepath.Join(d[2], SummaryFile)))
			return d
		}, ErrShardIncomplete, "2: no load-summary.json"},
		{"truncated hlog", func(t *testing.T, d []string) []string {
			name := filepath.Join(d[1], HistogramsFile)
			b, err := os.ReadFile(name)
			must(t, err)
			must(t, os.WriteFile(name, b[:len(b)*2/3], 0o644))
			return d
		}, ErrShardIncomplete, "1: histograms.hlog is truncated"},
		{"interrupted", func(t *testing.T, d []string) []string {
			r := synthReport(its, start, steps, 3, 4, 3*time.Second)
			r.Interrupted, r.Aborted = true, "interrupted"
			must(t, r.WriteRunFiles(d[3], Shard{3, 4}))
			return d
		}, ErrShardIncomplete, "3: shard 3/4 was interrupted"},
		{"failed", func(t *testing.T, d []string) []string {
			r := synthReport(its, start, steps, 0, 4, 3*time.Second)
			r.Aborted = "iterations still in flight 10s after the schedule ended"
			must(t, r.WriteRunFiles(d[0], Shard{0, 4}))
			return d
		}, ErrShardIncomplete, "0: shard 0/4 stopped early by a failure of its own: iterations still in flight"},
		{"other plan", func(t *testing.T, d []string) []string {
			r := synthReport(its, start, steps, 1, 4, 3*time.Second)
			r.Plan = PlanDigest([]byte("another"))
			must(t, r.WriteRunFiles(d[1], Shard{1, 4}))
			return d
		}, ErrShardsDiffer, "1: plan"},
		{"other count", func(t *testing.T, d []string) []string {
			must(t, synthReport(its, start, steps, 1, 5, 3*time.Second).WriteRunFiles(d[1], Shard{1, 5}))
			return d
		}, ErrShardsDiffer, "shard count 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dirs := c.spoil(t, writeShards(t, its, start, steps, 4, 3*time.Second))
			rep, err := MergeRunDirs(dirs...)
			var me *MergeError
			if rep != nil || !errors.As(err, &me) || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("merge: %v (report %v), want a *MergeError with %q", err, rep != nil, c.want)
			}
		})
	}
	// The control: the same folders unspoiled merge, and a threshold stop
	// is a verdict, carried, not a refusal.
	dirs := writeShards(t, its, start, steps, 4, 3*time.Second)
	r := synthReport(its, start, steps, 2, 4, 3*time.Second)
	r.Aborted = doomPrefix + `"errors < 1" can no longer pass`
	must(t, r.WriteRunFiles(dirs[2], Shard{2, 4}))
	rep, err := MergeRunDirs(dirs...)
	if err != nil || rep.Requests.Requests != 300 || !strings.Contains(rep.Aborted, "shard 2/4: threshold") {
		t.Fatalf("merge: %v, %+v", err, rep)
	}
	r.Shard = Shard{2, 4}
	if err := r.WriteRunFiles(t.TempDir(), Shard{1, 4}); err == nil || !strings.Contains(err.Error(), "measured shard 2/4, not 1/4") {
		t.Errorf("a shard's report written as another shard: %v", err)
	}
	one := writeShards(t, its, start, steps, 1, 3*time.Second)
	if rep, err := MergeRunDirs(one...); err != nil || rep.Requests.Requests != 300 {
		t.Fatalf("one unsharded folder: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestHlogIsTheStandardFormat reads a run folder's log back with the
// library's reader: header, absolute times, tags, counts.
func TestHlogIsTheStandardFormat(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_790_000_000, 500_000_000)
	steps := []string{"create order", "pay, then confirm"}
	its := synthRun(3, 300, 100, start, steps, 99, 0)
	dir := t.TempDir()
	rep := synthReport(its, start, steps, 0, 1, 3*time.Second)
	must(t, rep.WriteRunFiles(dir, Shard{}))
	b, err := os.ReadFile(filepath.Join(dir, HistogramsFile))
	must(t, err)
	for _, want := range []string{"#[Histogram log format version 1.3]\n", "#[StartTime: 1790000000 ", "#[BaseTime: 0.000 ",
		"Tag=request,1790000000.500000,1.000000,", "Tag=step:pay%2C%20then%20confirm,1790000002.500000,"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%.600s", HistogramsFile, want, b)
		}
	}
	f, err := os.Open(filepath.Join(dir, HistogramsFile))
	must(t, err)
	defer f.Close()
	r := hdrhistogram.NewHistogramLogReader(f)
	counts := map[string]int64{}
	for {
		h, err := r.NextIntervalHistogram()
		must(t, err)
		if h == nil {
			break
		}
		counts[h.Tag()] += h.TotalCount()
	}
	st, _ := rep.Step("pay, then confirm")
	if counts[TagRequest] != int64(rep.Requests.Requests) || counts[TagIteration] != 300 || counts[StepTag("pay, then confirm")] != int64(st.Requests) {
		t.Errorf("counts by tag %v; want %d requests, 300 iterations, %d of the second step", counts, rep.Requests.Requests, st.Requests)
	}
}

// FuzzMergeRunDirs feeds MergeRunDirs a run folder whose files are
// mangled (the summary's digest made to match the mangled log, so the log
// is parsed): it errors or merges, and never panics.
func FuzzMergeRunDirs(f *testing.F) {
	start := time.Unix(1_790_000_000, 0)
	dir := f.TempDir()
	must(f, synthReport(synthRun(4, 50, 50, start, []string{"a"}, 99, 0), start, []string{"a"}, 0, 1, time.Second).WriteRunFiles(dir, Shard{}))
	sum, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	must(f, err)
	hlog, err := os.ReadFile(filepath.Join(dir, HistogramsFile))
	must(f, err)
	f.Add(sum, hlog)
	f.Add(sum, hlog[:len(hlog)/2])
	f.Add([]byte(`{"version":1}`), []byte("Tag=request,1,1,1,HISTFAAAA\n"))
	f.Fuzz(func(t *testing.T, sum, hlog []byte) {
		d := t.TempDir()
		var js map[string]any
		if json.Unmarshal(sum, &js) == nil && js != nil {
			h := sha256.Sum256(hlog)
			js["hlog_sha256"] = hex.EncodeToString(h[:])
			sum, _ = json.Marshal(js)
		}
		must(t, os.WriteFile(filepath.Join(d, SummaryFile), sum, 0o644))
		must(t, os.WriteFile(filepath.Join(d, HistogramsFile), hlog, 0o644))
		rep, err := MergeRunDirs(d)
		if (rep == nil) == (err == nil) {
			t.Fatalf("report %v and error %v", rep != nil, err)
		}
	})
}

// TestCheckedLogRefusesMangledHistograms: the library decodes whatever
// header a payload carries (a lowest value of 2^60 loops forever), so each
// line is checked before it reaches it.
func TestCheckedLogRefusesMangledHistograms(t *testing.T) {
	t.Parallel()
	line := func(h *hdrhistogram.Histogram) string {
		_ = h.RecordValue(5)
		b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		must(t, err)
		return "Tag=request,1790000000.000,1.000,0.005," + string(b) + "\n"
	}
	good := line(newHist())
	for in, want := range map[string]string{
		good:                               "",
		"#[StartTime: 1 ]\n" + good:        "",
		line(hdrhistogram.New(1, 1000, 2)): "histogram of 1..1000 with 2 digits",
		good[:len(good)-20] + "\n":         "histogram",
		good[:len(good)-1]:                 "cut short (no newline",
		"1,2\n":                            "not an interval line",
		"Tag=request,1,1,1,QUJDRA==\n":     "not in the V2 compressed encoding",
		strings.Repeat("x", maxHlogLine+1): "longer than",
	} {
		_, err := io.ReadAll(newCheckedLog(strings.NewReader(in)))
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%.40q: %v, want %q", in, err, want)
		}
	}
}
