package ci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// System is one box of the system map: a mock, the service under test, or
// a real endpoint, with the proxy the integration reaches it through.
type System struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`               // mock, service, external
	URL      string `json:"url,omitempty"`      // where it listens
	Proxy    string `json:"proxy,omitempty"`    // the proxy listener in front of it
	Contract string `json:"contract,omitempty"` // the contract file it serves
	// Contracts names each contract file the run read for the system by
	// its digest: a vendor's contract that changed between two runs shows.
	Contracts []ContractFile `json:"contracts,omitempty"`
	// Webhooks is what a mock delivered to its webhook subscribers.
	Webhooks *Deliveries `json:"webhooks,omitempty"`
}

// ContractFile is one contract file a run read, by its digest.
type ContractFile struct {
	Path   string `json:"path"`
	Digest string `json:"digest"` // sha256:HEX of the file's bytes
}

// Identity is what tells two runs apart: the firedrill version, the
// scenario's digest and each contract's, in one line for the reports.
func (r Report) Identity() string {
	var parts []string
	if r.Version != "" {
		parts = append(parts, "firedrill "+r.Version)
	}
	if r.ScenarioDigest != "" {
		parts = append(parts, "scenario "+shortDigest(r.ScenarioDigest))
	}
	for _, s := range r.Systems {
		for _, c := range s.Contracts {
			parts = append(parts, fmt.Sprintf("%s contract %s", s.Name, shortDigest(c.Digest)))
		}
	}
	return strings.Join(parts, " · ")
}

// shortDigest is the algorithm and the first 12 hex digits of a digest,
// as git abbreviates: enough to tell runs apart in a line a person reads.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}

// Deliveries counts a mock's webhook deliveries when the run was checked.
type Deliveries struct {
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`  // given up after the last attempt
	Dropped   int `json:"dropped"` // refused: the vendor's queue was full
	Pending   int `json:"pending"` // still queued or waiting to retry
}

// Lost is how many events never reached their receiver for good.
func (d Deliveries) Lost() int { return d.Failed + d.Dropped }

func (d Deliveries) String() string {
	s := fmt.Sprintf("%d delivered, %d failed, %d dropped", d.Delivered, d.Failed, d.Dropped)
	if d.Pending > 0 {
		s += fmt.Sprintf(", %d pending", d.Pending)
	}
	return s
}

// Flow is one arrow of the system map: data moving from one system to another.
type Flow struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
	Rate string `json:"rate,omitempty"` // the load that drives it, as written (120/s)
}

// Second is one point of the load time series, one per second of the run.
type Second struct {
	At       time.Time     `json:"at"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
}

// LatencyRow is one measure of the load: Of says what one sample is
// ("request", "step NAME", "iteration"), which is what a threshold
// reads ("p99 < 1s", `step "NAME" p99 < 1s`, "iteration p99 < 1s").
type LatencyRow struct {
	Of       string        `json:"of"`
	Requests uint64        `json:"requests"`
	Errors   uint64        `json:"errors"`
	Success  float64       `json:"success"`
	P50      time.Duration `json:"p50_ns"`
	P90      time.Duration `json:"p90_ns"`
	P99      time.Duration `json:"p99_ns"`
	P999     time.Duration `json:"p99_9_ns"`
	Max      time.Duration `json:"max_ns"`
}

// Report is everything a run's reports show; the scenario runner fills it.
type Report struct {
	Scenario string `json:"scenario"`
	Owner    string `json:"owner,omitempty"`
	// Version is the firedrill that ran; ScenarioFile and ScenarioDigest
	// name the scenario file and its bytes ("sha256:HEX"): two runs of
	// the same file by the same build say the same three things.
	Version        string    `json:"version,omitempty"`
	ScenarioFile   string    `json:"scenario_file,omitempty"`
	ScenarioDigest string    `json:"scenario_digest,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	// AttackStart is time zero of everything a person reads: the chart's
	// x axis, the faults table, the audit log and evidence offsets count
	// from it, so a fault the scenario puts `at: 10s` shows at +10s. Zero
	// when the attack never started (the offsets then count from Start).
	AttackStart time.Time     `json:"attack_start,omitzero"`
	Systems     []System      `json:"systems,omitempty"`
	Flows       []Flow        `json:"flows,omitempty"`
	Gates       []Gate        `json:"gates"`
	Series      []Second      `json:"series,omitempty"`
	Faults      []FaultWindow `json:"faults,omitempty"`
	// Events are the timeline's data events, in the scenario's order.
	Events      []DataEvent `json:"events,omitempty"`
	Consistency []Result    `json:"consistency,omitempty"`
	Audit       []string    `json:"audit,omitempty"` // the fault timeline's audit log, one line each
	// Downstream is the traffic the service sent each mocked system.
	Downstream []Downstream `json:"downstream,omitempty"`
	// Latency is the load's measures, each labelled with what one sample
	// is: every request, one step's requests, or whole iterations.
	Latency []LatencyRow `json:"latency,omitempty"`
	// Stopped is set when the run ended before judging its gates (an
	// interrupt, a set-up failure) or could not write its evidence.
	Stopped *Stopped `json:"stopped,omitempty"`
}

// Zero is the instant every offset in the reports counts from: the start
// of the attack, or of the run when no attack started.
func (r Report) Zero() time.Time {
	if !r.AttackStart.IsZero() {
		return r.AttackStart
	}
	return r.Start
}

// Verdict weighs the report's gates; a stopped run never passes.
func (r Report) Verdict() Verdict {
	v := Judge(r.Gates...)
	if r.Stopped != nil {
		v = v.Stop(*r.Stopped)
	}
	return v
}

// Writer renders a report in one format.
type Writer func(w io.Writer, r Report) error

// The files WriteAll writes, each from its format.
var reportFiles = map[string]Writer{
	"report.html":  WriteHTML,
	"junit.xml":    WriteJUnit,
	"summary.json": WriteJSON,
	"summary.md":   WriteMarkdown,
}

// ReportFiles lists the files WriteAll writes, sorted.
func ReportFiles() []string {
	names := make([]string, 0, len(reportFiles))
	for n := range reportFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Files is where a run's files go: Dir, a folder on disk, unless a test
// or an embedding program says otherwise.
type Files interface {
	WriteFile(name string, data []byte) error
}

// Dir writes files into a folder, creating it.
type Dir string

// WriteFile writes data to the file name in the folder.
func (d Dir) WriteFile(name string, data []byte) error {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return fmt.Errorf("ci: report folder: %w", err)
	}
	return os.WriteFile(filepath.Join(string(d), name), data, 0o644)
}

// WriteAll writes report.html, junit.xml, summary.json and summary.md into
// dir, creating it: WriteFiles to Dir(dir).
func WriteAll(dir string, r Report) error {
	_, err := WriteFiles(Dir(dir), r)
	return err
}

// WriteFiles writes every report file to fs. Each file is rendered in full
// before it is written, so a failing format leaves no half file. A run whose
// evidence cannot be kept did not pass: when any file fails, the report
// becomes a set-up failure (ExitSetup) naming it, and every file that can
// still be written is written again to say so. It returns the report as
// the files tell it.
func WriteFiles(fs Files, r Report) (Report, error) {
	failed := writeFiles(fs, r)
	if len(failed) == 0 {
		return r, nil
	}
	err := errors.Join(failed...)
	cause := "the run's reports could not all be written: " + err.Error()
	if r.Stopped != nil {
		cause = r.Stopped.Cause + "; " + cause
	}
	r.Stopped = &Stopped{Code: ExitSetup, Cause: cause}
	_ = writeFiles(fs, r) // best effort: the error above is the news
	return r, err
}

func writeFiles(fs Files, r Report) []error {
	var failed []error
	for _, name := range ReportFiles() {
		var buf bytes.Buffer
		if err := reportFiles[name](&buf, r); err != nil {
			failed = append(failed, fmt.Errorf("ci: render %s: %w", name, err))
			continue
		}
		if err := fs.WriteFile(name, buf.Bytes()); err != nil {
			failed = append(failed, fmt.Errorf("ci: write %s: %w", name, err))
		}
	}
	return failed
}

// duration is the run's length, rounded for people.
func (r Report) duration() time.Duration {
	if r.End.Before(r.Start) {
		return 0
	}
	return r.End.Sub(r.Start).Round(time.Millisecond)
}
