package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// DrillReportFile is the drill report in the run folder: the timeline of
// the audit log, the safeguards, the gates, the rollback, and a checklist
// of what was learned for the team's follow-up.
const DrillReportFile = "drill.md"

// auditStart records the start of a drill and, for each address it will
// touch, the allow-list pattern that let it.
func (r *run) auditStart() {
	if r.s.Runtime != "staging" {
		return
	}
	r.audit("start", r.s.Name, "ok", fmt.Sprintf("scenario %s %s, seed %d", r.s.File(), r.s.Digest(), r.seed))
	targets := map[string]string{}
	for _, name := range r.s.sortedSystems() {
		targets[name] = r.s.Systems[name].URL
	}
	if r.s.Drill.Toxiproxy != "" {
		targets["toxiproxy"] = r.s.Drill.Toxiproxy
	}
	for _, name := range sortedKeys(targets) {
		u, err := url.Parse(targets[name])
		if err != nil {
			continue // validation refused it already
		}
		r.audit("allowed", name, "ok", fmt.Sprintf("host %s matches %s", u.Hostname(), r.allowedBy(u.Hostname())))
	}
}

// allowedBy is the allow-list pattern a host matches.
func (r *run) allowedBy(host string) string {
	for _, p := range r.s.Drill.Allow {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(host)); ok {
			return p
		}
	}
	return "no pattern"
}

// finishDrill records the end of a drill once everything is down (downErr
// says what could not be stopped) and writes the drill report.
func (r *run) finishDrill(downErr error) error {
	if r.s.Runtime != "staging" {
		return nil
	}
	if _, err := os.Stat(r.dir); err != nil {
		return nil // no run folder: the drill never started
	}
	outcome, detail := "ok", "every fault reverted, the drill's proxies and fault proxies gone"
	if downErr != nil {
		outcome, detail = "error", downErr.Error()
	}
	r.audit("down", "", outcome, detail)
	r.audit("end", r.s.Name, "ok", r.out.Verdict.Headline())
	report := r.drillMarkdown(outcome, detail)
	werr := os.WriteFile(filepath.Join(r.dir, DrillReportFile), []byte(r.secrets.Redact(report)), 0o644)
	return errors.Join(werr, r.drillLog.close())
}

// drillMarkdown is the drill report.
func (r *run) drillMarkdown(downOutcome, downDetail string) string {
	var b strings.Builder
	v := r.out.Verdict
	records := r.drillLog.list()
	who := "unknown"
	if len(records) > 0 {
		who = records[0].Who
	}
	fmt.Fprintf(&b, "# Drill: %s\n\n", r.s.Name)
	fmt.Fprintf(&b, "- run by **%s**, %s to %s\n", who, r.out.Started.UTC().Format(time.RFC3339), r.out.Ended.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- verdict: **%s**", v.Headline())
	if v.Stopped != nil {
		fmt.Fprintf(&b, " (%s)", v.Stopped.Cause)
	}
	fmt.Fprintf(&b, "\n- allow-list: %s; cap on faulted traffic: %v\n", strings.Join(r.s.Drill.Allow, ", "), r.s.Drill.maxFaultRate())
	fmt.Fprintf(&b, "- audit log: %s; full report: summary.md, report.html\n\n", DrillAuditFile)

	b.WriteString("## Timeline\n\n| time | who | action | target | outcome | detail |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, rec := range records {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", rec.Time.Format("15:04:05.000"), rec.Who, rec.Action, rec.Target, rec.Outcome, cell(rec.Detail))
	}

	b.WriteString("\n## Safeguards\n\n")
	if b2 := r.guard.Breached(); b2 != nil {
		fmt.Fprintf(&b, "**%s**\n\n", b2)
	}
	b.WriteString("| status | safeguard | bound | read |\n| --- | --- | --- | --- |\n")
	guards := r.guard.gates()
	for i, sg := range r.s.Drill.Safeguards {
		status, read := "not polled", ""
		if i < len(guards) {
			status, read = guards[i].Status(), guards[i].Measured
		}
		fmt.Fprintf(&b, "| %s | %s | every %s: %s | %s |\n", status, sg.Name, sg.every(), sg.describe(), cell(read))
	}

	b.WriteString("\n## Gates\n\n| status | kind | gate | measured |\n| --- | --- | --- | --- |\n")
	for _, g := range v.Gates {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.Status(), g.Kind, g.Name, cell(g.Measured))
	}
	fmt.Fprintf(&b, "\n## Rollback\n\n%s: %s\n", downOutcome, downDetail)

	b.WriteString("\n## Follow-up\n\n")
	for _, item := range r.followUp(v, downOutcome) {
		fmt.Fprintf(&b, "- [ ] %s\n", item)
	}
	return b.String()
}

// followUp is the checklist of what the drill taught, for the team.
func (r *run) followUp(v ci.Verdict, downOutcome string) []string {
	var items []string
	if b := r.guard.Breached(); b != nil {
		items = append(items, fmt.Sprintf("Safeguard %q broke %.1fs into the attack (read %s): find which fault caused it and whether the integration should have held.", b.Safeguard, b.At.Seconds(), b.Reading))
	}
	for _, g := range v.Gates {
		if g.Status() == "fail" && g.Kind != "safeguard" {
			items = append(items, fmt.Sprintf("Gate %q (%s) failed: %s", g.Name, g.Kind, g.Reason))
		}
	}
	for _, f := range r.s.Chaos {
		target, kind := f.Proxy, f.Toxic
		if f.System != "" {
			target, kind = f.System, f.Fault
		}
		items = append(items, fmt.Sprintf("Did monitoring and on-call see `%s` on %s (from %s for %s)? Note the alert and how long it took.", kind, target, f.At, f.For))
	}
	if v.Stopped != nil {
		items = append(items, "The drill stopped early ("+v.Stopped.Cause+"): decide whether to run it again.")
	}
	if downOutcome != "ok" {
		items = append(items, "Rollback reported an error: check the staging systems by hand (see the Rollback section).")
	}
	if v.Failed == 0 && v.Stopped == nil && r.guard.Breached() == nil {
		items = append(items, fmt.Sprintf("Everything held: consider a wider blast radius next time (max_fault_rate is %v).", r.s.Drill.maxFaultRate()))
	}
	return append(items, "File an issue for each finding above and link this report.")
}

// cell makes text fit a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
