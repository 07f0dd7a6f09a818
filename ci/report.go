package ci

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
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
	// Webhooks is what a mock delivered to its webhook subscribers.
	Webhooks *Deliveries `json:"webhooks,omitempty"`
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

// Report is everything a run's reports show; the scenario runner fills it.
type Report struct {
	Scenario    string        `json:"scenario"`
	Owner       string        `json:"owner,omitempty"`
	Start       time.Time     `json:"start"`
	End         time.Time     `json:"end"`
	Systems     []System      `json:"systems,omitempty"`
	Flows       []Flow        `json:"flows,omitempty"`
	Gates       []Gate        `json:"gates"`
	Series      []Second      `json:"series,omitempty"`
	Faults      []FaultWindow `json:"faults,omitempty"`
	Consistency []Result      `json:"consistency,omitempty"`
	Audit       []string      `json:"audit,omitempty"` // the fault timeline's audit log, one line each
}

// Verdict weighs the report's gates.
func (r Report) Verdict() Verdict { return Judge(r.Gates...) }

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

// WriteAll writes report.html, junit.xml, summary.json and summary.md into
// dir, creating it. Each file is rendered in full before it is written, so a
// failing format leaves no half file.
func WriteAll(dir string, r Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ci: report folder: %w", err)
	}
	for _, name := range ReportFiles() {
		var buf bytes.Buffer
		if err := reportFiles[name](&buf, r); err != nil {
			return fmt.Errorf("ci: render %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("ci: write %s: %w", name, err)
		}
	}
	return nil
}

// duration is the run's length, rounded for people.
func (r Report) duration() time.Duration {
	if r.End.Before(r.Start) {
		return 0
	}
	return r.End.Sub(r.Start).Round(time.Millisecond)
}
