package ci

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// summary is the shape of summary.json.
type summary struct {
	Scenario    string        `json:"scenario"`
	Owner       string        `json:"owner,omitempty"`
	Version     string        `json:"version,omitempty"`
	File        string        `json:"scenario_file,omitempty"`
	Digest      string        `json:"scenario_digest,omitempty"`
	Start       time.Time     `json:"start"`
	End         time.Time     `json:"end"`
	AttackStart time.Time     `json:"attack_start,omitzero"`
	DurationMS  int64         `json:"duration_ms"`
	Verdict     string        `json:"verdict"`
	ExitCode    ExitCode      `json:"exit_code"`
	Failed      int           `json:"failed"`
	NotRun      int           `json:"not_run,omitempty"` // gates a stopped run never judged
	Cause       string        `json:"cause,omitempty"`   // why a stopped run stopped
	Gates       []Gate        `json:"gates"`
	Systems     []System      `json:"systems,omitempty"`
	Flows       []Flow        `json:"flows,omitempty"`
	Faults      []FaultWindow `json:"faults,omitempty"`
	Events      []DataEvent   `json:"events,omitempty"`
	Consistency []Result      `json:"consistency,omitempty"`
	Series      []Second      `json:"series,omitempty"`
	Audit       []string      `json:"audit,omitempty"`
	Downstream  []Downstream  `json:"downstream,omitempty"`
	Latency     []LatencyRow  `json:"latency,omitempty"`
}

// WriteJSON writes summary.json: the verdict, every gate with its measured
// value, and the data behind them.
func WriteJSON(w io.Writer, r Report) error {
	v := r.Verdict()
	s := summary{
		Scenario: r.Scenario, Owner: r.Owner, Version: r.Version, File: r.ScenarioFile, Digest: r.ScenarioDigest, Start: r.Start, End: r.End, AttackStart: r.AttackStart, DurationMS: r.duration().Milliseconds(),
		Verdict: v.Code.String(), ExitCode: v.Code, Failed: v.Failed, Gates: r.Gates,
		Systems: r.Systems, Flows: r.Flows, Faults: r.Faults, Events: r.Events, Consistency: r.Consistency, Series: r.Series, Audit: r.Audit, Downstream: r.Downstream, Latency: r.Latency,
	}
	if s.Gates == nil {
		s.Gates = []Gate{}
	}
	if v.Stopped != nil {
		s.Cause = v.Stopped.Cause
	}
	for _, g := range r.Gates {
		if g.NotRun {
			s.NotRun++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// ReadJSON reads a summary.json back into the report it was written from,
// so that a run folder's other reports can be written again (a report
// format that changed) or two runs compared. What summary.json does not
// keep (Example positions) no report shows.
func ReadJSON(r io.Reader) (Report, error) {
	var s summary
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return Report{}, fmt.Errorf("ci: summary.json: %w", err)
	}
	rep := Report{Scenario: s.Scenario, Owner: s.Owner, Version: s.Version, ScenarioFile: s.File, ScenarioDigest: s.Digest,
		Start: s.Start, End: s.End, AttackStart: s.AttackStart, Systems: s.Systems, Flows: s.Flows, Gates: s.Gates,
		Series: s.Series, Faults: s.Faults, Events: s.Events, Consistency: s.Consistency, Audit: s.Audit, Downstream: s.Downstream,
		Latency: s.Latency}
	for i := range rep.Consistency {
		c := &rep.Consistency[i]
		for _, out := range []*Outcome{&c.Missing, &c.Duplicated, &c.Mismatched, &c.Unexpected} {
			for j := range out.Examples {
				if tr := out.Examples[j].Trace; tr != nil {
					tr.zero = rep.Zero()
				}
			}
		}
	}
	switch s.ExitCode {
	case ExitInterrupted, ExitSetup, ExitUsage:
		rep.Stopped = &Stopped{Code: s.ExitCode, Cause: s.Cause}
	}
	if got := rep.Verdict(); got.Code != s.ExitCode {
		return Report{}, fmt.Errorf("ci: summary.json says exit code %d (%s), but its gates add up to %d (%s)", s.ExitCode, s.Verdict, got.Code, got.Code)
	}
	return rep, nil
}

var statusIcon = map[string]string{"pass": "✅", "fail": "❌", "skip": "⏭️", "deferred": "⏩", "not run": "⏸️"}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// WriteMarkdown writes summary.md, sized for GitHub's job summary: the
// verdict first, a table of gates, the evidence of failures folded.
func WriteMarkdown(w io.Writer, r Report) error {
	v := r.Verdict()
	var b strings.Builder
	head := "✅ passed"
	switch {
	case v.Stopped != nil && v.Code == ExitInterrupted:
		head = "⛔ interrupted: " + mdCell(v.Stopped.Cause)
	case v.Stopped != nil:
		head = "⛔ set-up failed: " + mdCell(v.Stopped.Cause)
	case v.Deferred:
		head = "⏩ deferred: firedrill merge judges this shard's gates with the others'"
	case !v.Passed:
		head = fmt.Sprintf("❌ failed: %d of %d gates", v.Failed, len(v.Gates))
	}
	fmt.Fprintf(&b, "## firedrill: %s — %s\n\n", r.Scenario, head)
	var meta []string
	if r.Owner != "" {
		meta = append(meta, "owner "+r.Owner)
	}
	if !r.Start.IsZero() {
		meta = append(meta, "started "+r.Start.UTC().Format(time.RFC3339), "ran "+r.duration().String())
	}
	meta = append(meta, fmt.Sprintf("exit code %d (%s)", v.Code, v.Code))
	fmt.Fprintf(&b, "%s\n\n", strings.Join(meta, " · "))
	if id := r.Identity(); id != "" {
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", mdCell(id))
	}
	b.WriteString("| | Gate | Kind | Measured | Reason |\n|---|---|---|---|---|\n")
	for _, g := range r.Gates {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", statusIcon[g.Status()], mdCell(g.Name), g.Kind, mdCell(g.Measured), mdCell(g.Reason))
	}
	for _, g := range r.Gates {
		if g.Status() != "fail" || len(g.Detail) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary>❌ %s: evidence</summary>\n\n```text\n%s\n```\n\n</details>\n", mdCell(g.Name), strings.ReplaceAll(strings.Join(g.Detail, "\n"), "```", "'''"))
	}
	writeMarkdownWebhooks(&b, r.Systems)
	writeMarkdownDownstream(&b, r.Downstream)
	if len(r.Faults) > 0 {
		b.WriteString("\n### Faults\n\n| Target | Kind | From | To |\n|---|---|---|---|\n")
		for _, f := range r.Faults {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(f.Target), mdCell(f.Kind), offset(r.Zero(), f.Start), offset(r.Zero(), f.End))
		}
	}
	writeMarkdownEvents(&b, r.Zero(), r.Events)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdownEvents lists the timeline's data events: what each wrote
// into which mock, when, and whether it failed.
func writeMarkdownEvents(b *strings.Builder, zero time.Time, events []DataEvent) {
	if len(events) == 0 {
		return
	}
	b.WriteString("\n### Data events\n\n| Target | Event | At | Outcome |\n|---|---|---|---|\n")
	for _, e := range events {
		at, outcome := "", e.Outcome
		if !e.At.IsZero() {
			at = offset(zero, e.At)
		}
		if e.Error != "" {
			outcome = "❌ " + e.Error
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(e.Target), mdCell(e.Kind+" "+e.What), at, mdCell(outcome))
	}
}

// writeMarkdownWebhooks lists what the mocks delivered as webhooks, when
// any did: events a receiver never got are data the vendor sent and lost.
func writeMarkdownWebhooks(b *strings.Builder, systems []System) {
	head := false
	for _, s := range systems {
		if s.Webhooks == nil {
			continue
		}
		if !head {
			b.WriteString("\n### Webhooks\n\n| Mock | Delivered | Failed | Dropped | Pending |\n|---|---|---|---|---|\n")
			head = true
		}
		w := s.Webhooks
		icon := ""
		if w.Lost() > 0 {
			icon = " ⚠️"
		}
		fmt.Fprintf(b, "| %s%s | %d | %d | %d | %d |\n", mdCell(s.Name), icon, w.Delivered, w.Failed, w.Dropped, w.Pending)
	}
}

// writeMarkdownDownstream totals what the service sent each mocked system,
// by outcome, when the run recorded it.
func writeMarkdownDownstream(b *strings.Builder, ds []Downstream) {
	if len(ds) == 0 {
		return
	}
	b.WriteString("\n### Downstream traffic\n\n| System | Requests | 2xx | 4xx | 429 | 5xx | No answer | Fault | Retries | Refused at the proxy |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range ds {
		var t DownstreamSecond
		for _, s := range d.Seconds {
			t.Requests += s.Requests
			t.OK += s.OK
			t.ClientErrors += s.ClientErrors
			t.Throttled += s.Throttled
			t.ServerErrors += s.ServerErrors
			t.Failed += s.Failed
			t.Faults += s.Faults
			t.Retries += s.Retries
			t.Refused += s.Refused
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", mdCell(d.System), t.Requests, t.OK, t.ClientErrors, t.Throttled, t.ServerErrors, t.Failed, t.Faults, t.Retries, t.Refused)
	}
}

// offset is t relative to zero (the attack's start, Report.Zero), signed:
// "+10s" for a fault ten seconds into the attack, "-1.2s" for what
// happened while setting up.
func offset(zero, t time.Time) string {
	if zero.IsZero() {
		return t.UTC().Format("15:04:05.000")
	}
	d := t.Sub(zero).Round(time.Millisecond)
	if d < 0 {
		return d.String()
	}
	return "+" + d.String()
}

// GitHubActions reports whether the process runs in GitHub Actions.
func GitHubActions(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }

// WriteAnnotations writes one GitHub Actions error annotation per failed
// gate (::error title=...::reason), for the CLI to print when GitHubActions.
func WriteAnnotations(w io.Writer, r Report) error {
	for _, g := range r.Gates {
		if g.Status() != "fail" {
			continue
		}
		title := fmt.Sprintf("firedrill %s gate: %s", g.Kind, g.Name)
		msg := fmt.Sprintf("%s (measured: %s)", g.Reason, g.Measured)
		if _, err := fmt.Fprintf(w, "::error title=%s::%s\n", escapeProperty(title), escapeData(msg)); err != nil {
			return err
		}
	}
	return nil
}

// escapeData and escapeProperty follow the workflow-command encoding of
// @actions/core (toCommandValue / escapeData / escapeProperty).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
