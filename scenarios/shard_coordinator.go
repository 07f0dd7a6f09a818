package scenarios

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/load"
)

// DefaultLead is the time between the last shard's join and the start the
// coordinator gives every shard: long enough for its answer to reach them.
const DefaultLead = 2 * time.Second

// Coordinator lines the shards of a run up at one start time and collects
// their run folders for the merge: what `firedrill merge --serve` runs, as
// the merge step of a sharded run on Kubernetes. Shards join it with
// JoinBarrier and send their files with UploadShard. It is an
// http.Handler; Wait returns once every shard has sent its folder.
type Coordinator struct {
	shards int
	out    string
	lead   time.Duration
	log    *slog.Logger

	mu       sync.Mutex
	first    *joinRequest // the first join: the others must match it
	joined   map[int]time.Time
	start    time.Time
	ready    chan struct{} // closed once every shard joined
	refusal  string        // why the shards still waiting must not start
	refused  chan struct{} // closed when refusal is set
	uploaded map[int]string
	done     chan struct{} // closed once every shard uploaded
}

// NewCoordinator coordinates n shards, storing shard i's files in
// out/shard-i; lead is the time between the last join and the start
// (DefaultLead when 0).
func NewCoordinator(n int, out string, lead time.Duration, log *slog.Logger) (*Coordinator, error) {
	if n < 1 || n > load.MaxShards {
		return nil, fmt.Errorf("scenarios: coordinator: %d shards: want 1 to %d", n, load.MaxShards)
	}
	if lead <= 0 {
		lead = DefaultLead
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Coordinator{shards: n, out: out, lead: lead, log: log, joined: map[int]time.Time{},
		ready: make(chan struct{}), refused: make(chan struct{}), uploaded: map[int]string{}, done: make(chan struct{})}, nil
}

// ServeHTTP answers POST /join (a shard joins and waits for the start)
// and PUT /shards/{i}?of=N (a shard sends its files).
func (c *Coordinator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/join":
		c.join(w, r)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/shards/"):
		c.upload(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/status":
		writeJSON(w, http.StatusOK, c.status())
	default:
		writeJSON(w, http.StatusNotFound, joinAnswer{Error: "firedrill coordinator: POST /join, PUT /shards/{i}?of=N, GET /status"})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// shardOf reads "i/N" and checks it against the run's N.
func (c *Coordinator) shardOf(s string) (load.Shard, error) {
	sh, err := load.ParseShard(s)
	if err != nil {
		return sh, err
	}
	if sh.Count != c.shards {
		return sh, fmt.Errorf("shard %s: this run has %d shards", sh, c.shards)
	}
	return sh, nil
}

func (c *Coordinator) join(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, joinAnswer{Error: "join: " + err.Error()})
		return
	}
	sh, err := c.shardOf(req.Shard)
	if err != nil {
		writeJSON(w, http.StatusConflict, joinAnswer{Error: err.Error()})
		return
	}
	c.mu.Lock()
	switch {
	case c.refusal != "":
		c.mu.Unlock()
		writeJSON(w, http.StatusConflict, joinAnswer{Error: c.refusal})
		return
	case c.first == nil:
		c.first = &req
	case req.Digest != c.first.Digest:
		c.mu.Unlock()
		writeJSON(w, http.StatusConflict, joinAnswer{Error: fmt.Sprintf("shard %s runs scenario %s, shard %s runs %s", sh, req.Digest, c.first.Shard, c.first.Digest)})
		return
	case req.Seed != c.first.Seed:
		c.mu.Unlock()
		writeJSON(w, http.StatusConflict, joinAnswer{Error: fmt.Sprintf("shard %s has seed %d, shard %s has %d: the shards would not send one run's data", sh, req.Seed, c.first.Shard, c.first.Seed)})
		return
	}
	if _, again := c.joined[sh.Index]; !again {
		c.joined[sh.Index] = time.Now()
		c.log.Info("shard joined", "shard", sh.String(), "joined", len(c.joined), "of", c.shards)
	}
	if len(c.joined) == c.shards && c.start.IsZero() {
		c.start = time.Now().Add(c.lead)
		c.log.Info("every shard joined", "start", c.start)
		close(c.ready)
	}
	c.mu.Unlock()
	select {
	case <-c.ready:
		writeJSON(w, http.StatusOK, joinAnswer{Start: c.start})
	case <-c.refused:
		writeJSON(w, http.StatusConflict, joinAnswer{Error: c.refusalText()})
	case <-r.Context().Done():
	}
}

func (c *Coordinator) refusalText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refusal
}

func (c *Coordinator) upload(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/shards/"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, joinAnswer{Error: "upload: " + err.Error()})
		return
	}
	sh, err := c.shardOf(strconv.Itoa(i) + "/" + r.URL.Query().Get("of"))
	if err != nil {
		writeJSON(w, http.StatusConflict, joinAnswer{Error: err.Error()})
		return
	}
	c.mu.Lock()
	_, dup := c.uploaded[sh.Index]
	c.mu.Unlock()
	if dup {
		writeJSON(w, http.StatusConflict, joinAnswer{Error: fmt.Sprintf("shard %s already sent its files", sh)})
		return
	}
	dir := filepath.Join(c.out, "shard-"+strconv.Itoa(sh.Index))
	if err := receive(http.MaxBytesReader(w, r.Body, maxShardUpload), dir); err != nil {
		writeJSON(w, http.StatusBadRequest, joinAnswer{Error: fmt.Sprintf("shard %s: %v", sh, err)})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.uploaded[sh.Index]; dup {
		writeJSON(w, http.StatusConflict, joinAnswer{Error: fmt.Sprintf("shard %s already sent its files", sh)})
		return
	}
	c.uploaded[sh.Index] = dir
	c.log.Info("shard sent its files", "shard", sh.String(), "dir", dir, "received", len(c.uploaded), "of", c.shards)
	if c.start.IsZero() && c.refusal == "" {
		// Its files before the start: it stopped before the attack (a
		// set-up failure); the others must not start without it.
		c.refusal = fmt.Sprintf("shard %s stopped before the start: %s", sh, stoppedCause(dir))
		close(c.refused)
	}
	if len(c.uploaded) == c.shards {
		close(c.done)
	}
	w.WriteHeader(http.StatusNoContent)
}

// stoppedCause reads why the run in dir stopped, from its summary.json.
func stoppedCause(dir string) string {
	f, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		return "no summary.json"
	}
	defer f.Close()
	rep, err := ci.ReadJSON(f)
	if err != nil {
		return "summary.json: " + err.Error()
	}
	if rep.Stopped != nil {
		return rep.Stopped.Cause
	}
	return "it sent its files without joining"
}

// receive unpacks a shard's gzipped tar into dir: only the files a shard
// sends (ShardFiles), written to a temporary folder renamed at the end,
// so a broken upload leaves nothing the merge could mistake for a shard.
func receive(body io.Reader, dir string) error {
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("not a gzipped tar: %w", err)
	}
	tmp := dir + ".part"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("tar: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !slices.Contains(ShardFiles, h.Name) {
			os.RemoveAll(tmp)
			return fmt.Errorf("unexpected entry %q (want regular files among %s)", h.Name, strings.Join(ShardFiles, ", "))
		}
		f, err := os.Create(filepath.Join(tmp, h.Name))
		if err != nil {
			os.RemoveAll(tmp)
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// CoordinatorStatus is what GET /status shows: who joined, who sent.
type CoordinatorStatus struct {
	Shards   int       `json:"shards"`
	Joined   []int     `json:"joined"`
	Start    time.Time `json:"start,omitzero"`
	Uploaded []int     `json:"uploaded"`
	Refusal  string    `json:"refusal,omitempty"`
}

func (c *Coordinator) status() CoordinatorStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CoordinatorStatus{Shards: c.shards, Start: c.start, Refusal: c.refusal, Joined: []int{}, Uploaded: []int{}}
	for i := range c.shards {
		if _, ok := c.joined[i]; ok {
			s.Joined = append(s.Joined, i)
		}
		if _, ok := c.uploaded[i]; ok {
			s.Uploaded = append(s.Uploaded, i)
		}
	}
	return s
}

// Wait returns the shards' folders, in shard order, once every shard has
// sent its files. When ctx ends first it says which shards are missing
// and how far each got: a merge never runs on part of the shards.
func (c *Coordinator) Wait(ctx context.Context) ([]string, error) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		dirs := make([]string, c.shards)
		for i := range dirs {
			dirs[i] = c.uploaded[i]
		}
		return dirs, nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	for i := range c.shards {
		if _, ok := c.uploaded[i]; ok {
			continue
		}
		sh := load.Shard{Index: i, Count: c.shards}
		if at, ok := c.joined[i]; ok {
			missing = append(missing, fmt.Sprintf("shard %s joined at %s and never sent its results", sh, at.UTC().Format(time.TimeOnly)))
		} else {
			missing = append(missing, fmt.Sprintf("shard %s never joined", sh))
		}
	}
	return nil, fmt.Errorf("scenarios: coordinator: %d of %d shards missing (%v): %s", len(missing), c.shards, context.Cause(ctx), strings.Join(missing, "; "))
}
