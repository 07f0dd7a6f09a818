package scenarios

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/load"
)

// A sharded run is one scenario run by N processes (on one machine or as
// the pods of a Kubernetes Indexed Job), each taking an exact share of the
// load (load.WithShard), all starting their attack at one instant so the
// fault timelines line up: a time given to every shard (StartAt), or a
// coordinator every shard joins (Barrier), which also collects their run
// folders for the merge (firedrill merge --serve).

// DefaultBarrierTimeout bounds a shard's wait for the others at the
// barrier.
const DefaultBarrierTimeout = 5 * time.Minute

// maxStartAhead is how far in the future a start time may be: a typo in
// --start-at must not park a shard for a day.
const maxStartAhead = time.Hour

// joinRequest is what a shard tells the coordinator when it joins.
type joinRequest struct {
	Shard string `json:"shard"` // "i/N"
	// Digest and Seed must be the same for every shard: the same scenario
	// and the same seeded data, else the shards do not add up to one run.
	Digest string `json:"scenario_digest"`
	Seed   int64  `json:"seed"`
}

// joinAnswer is the coordinator's answer once every shard has joined.
type joinAnswer struct {
	Start time.Time `json:"start"`
	Error string    `json:"error,omitempty"`
}

// ErrBarrier wraps every failure to line the shards up.
var ErrBarrier = errors.New("scenarios: shard barrier")

// JoinBarrier joins the coordinator at base as shard s and returns the
// start time every shard shares. It retries while the coordinator cannot
// be reached (its pod may start after the shards') until ctx ends; a
// coordinator that refuses the shard (another scenario, seed or shard
// count; a shard that failed) ends the wait at once.
func JoinBarrier(ctx context.Context, base string, s load.Shard, digest string, seed int64) (time.Time, error) {
	body, _ := json.Marshal(joinRequest{Shard: s.String(), Digest: digest, Seed: seed})
	url := strings.TrimRight(base, "/") + "/join"
	var last error
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %s: %w", ErrBarrier, base, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var a joinAnswer
			derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&a)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK && derr == nil && !a.Start.IsZero():
				return a.Start, nil
			case resp.StatusCode >= 400 && resp.StatusCode < 500:
				return time.Time{}, fmt.Errorf("%w: %s refused shard %s: %s", ErrBarrier, base, s, answerText(a, derr, resp.Status))
			}
			err = fmt.Errorf("%s", answerText(a, derr, resp.Status))
		}
		last = err
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, fmt.Errorf("%w: shard %s waited for the others at %s until %w (last: %v)", ErrBarrier, s, base, context.Cause(ctx), last)
		case <-t.C:
		}
	}
}

func answerText(a joinAnswer, derr error, status string) string {
	if a.Error != "" {
		return a.Error
	}
	if derr != nil {
		return status + ": " + derr.Error()
	}
	return status
}

// WaitUntil sleeps until start, at most maxStartAhead from now; a start
// already past is fine within a second (the shards' clocks and the
// barrier's answer), not beyond: the fault timelines would not line up.
func WaitUntil(ctx context.Context, start time.Time) error {
	d := time.Until(start)
	switch {
	case d > maxStartAhead:
		return fmt.Errorf("%w: the start %s is %s away, more than %s", ErrBarrier, start.Format(time.RFC3339), d.Round(time.Second), maxStartAhead)
	case d < -time.Second:
		return fmt.Errorf("%w: the start %s passed %s ago: the shards would not start together", ErrBarrier, start.Format(time.RFC3339Nano), (-d).Round(time.Millisecond))
	case d <= 0:
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// ShardFiles are the files of a run folder a shard sends the coordinator:
// what the merge reads (the load's histograms and summary, the run's
// summary with its gates) and the reports a person opens first. The
// results and journals stay in the shard's own folder.
var ShardFiles = []string{"summary.json", load.HistogramsFile, load.SummaryFile, "summary.md", "junit.xml", "audit.jsonl"}

// maxShardUpload bounds what the coordinator accepts from one shard.
const maxShardUpload = 256 << 20

// UploadShard sends the shard's files of dir (ShardFiles, those present)
// to the coordinator at base, as a gzipped tar.
func UploadShard(ctx context.Context, base string, s load.Shard, dir string) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range ShardFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("scenarios: shard %s upload: %w", s, err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Now()}); err != nil {
			return fmt.Errorf("scenarios: shard %s upload: %w", s, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("scenarios: shard %s upload: %w", s, err)
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return fmt.Errorf("scenarios: shard %s upload: %w", s, err)
	}
	url := strings.TrimRight(base, "/") + "/shards/" + strconv.Itoa(s.Index) + "?of=" + strconv.Itoa(s.Count)
	var last error
	for attempt := range 5 {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * 500 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("scenarios: shard %s upload to %s: %w (last: %v)", s, base, ctx.Err(), last)
			case <-t.C:
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(buf.Bytes()))
		if err != nil {
			return fmt.Errorf("scenarios: shard %s upload: %w", s, err)
		}
		req.Header.Set("Content-Type", "application/gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<12))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
		if resp.StatusCode/100 == 4 {
			break
		}
	}
	return fmt.Errorf("scenarios: shard %s upload to %s: %w", s, base, last)
}

// shard is the run's share of the load: {0, 1} when not sharded.
func (r *run) shard() load.Shard {
	if r.o.Shard.Count == 0 {
		return load.Shard{Index: 0, Count: 1}
	}
	return r.o.Shard
}

// checkShard refuses a sharded run that could not add up to one run: no
// load to share, no seed every shard shares, two ways to start.
func (r *run) checkShard() error {
	sh := r.o.Shard
	if sh.Count == 0 && r.o.Barrier == "" && r.o.StartAt.IsZero() {
		return nil
	}
	var errs []error
	if sh.Count == 0 {
		errs = append(errs, errors.New("a start barrier or time is for a sharded run: give --shard i/N too"))
	}
	if sh.Count > 0 && (sh.Index < 0 || sh.Index >= sh.Count) {
		errs = append(errs, fmt.Errorf("shard %s: the index counts from 0, so 0/%d to %d/%d", sh, sh.Count, sh.Count-1, sh.Count))
	}
	if r.s.Load == nil {
		errs = append(errs, fmt.Errorf("%s: a sharded run shares the load, and this scenario has none", r.s.File()))
	}
	if sh.Count > 1 && r.s.Seed == 0 && r.o.Seed == 0 {
		errs = append(errs, fmt.Errorf("%s: seed: a sharded run needs a seed every shard shares (seed: in the scenario or --seed), or the shards would not send one run's data", r.s.File()))
	}
	if r.o.Barrier != "" && !r.o.StartAt.IsZero() {
		errs = append(errs, errors.New("a shard starts at a time or at a barrier, not both"))
	}
	return errors.Join(errs...)
}

// LineUp is how a shard starts together with the others: at StartAt, or
// at the start the coordinator at Barrier gives once every shard has
// joined (waiting at most Timeout, DefaultBarrierTimeout when 0).
type LineUp struct {
	Shard   load.Shard
	StartAt time.Time
	Barrier string
	Timeout time.Duration
	// Digest and Seed must be the same for every shard of the run.
	Digest string
	Seed   int64
	// Progress, when set, hears of the join and of the start.
	Progress func(format string, args ...any)
}

// Wait returns the start every shard shares, once it has come; the zero
// time, at once, when neither a start nor a barrier is given.
func (l LineUp) Wait(ctx context.Context) (time.Time, error) {
	say := l.Progress
	if say == nil {
		say = func(string, ...any) {}
	}
	start := l.StartAt
	if l.Barrier != "" {
		timeout := l.Timeout
		if timeout <= 0 {
			timeout = DefaultBarrierTimeout
		}
		say("barrier shard %s joins %s (waits up to %s for the others)", l.Shard, l.Barrier, timeout)
		bctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the barrier timeout (%s)", timeout))
		var err error
		start, err = JoinBarrier(bctx, l.Barrier, l.Shard, l.Digest, l.Seed)
		cancel()
		if err != nil {
			return time.Time{}, err
		}
	}
	if start.IsZero() {
		return start, nil
	}
	say("barrier shard %s starts at %s", l.Shard, start.UTC().Format("15:04:05.000"))
	return start, WaitUntil(ctx, start)
}

// lineUp waits for the instant the attack starts (LineUp.Wait) and keeps
// it for the load's schedule.
func (r *run) lineUp(ctx context.Context) error {
	start, err := LineUp{Shard: r.shard(), StartAt: r.o.StartAt, Barrier: r.o.Barrier, Timeout: r.o.BarrierTimeout,
		Digest: r.s.Digest(), Seed: r.seed, Progress: r.progress}.Wait(ctx)
	r.lineStart = start
	return err
}
