package ci

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"join":     strings.Join,
	"lower":    strings.ToLower,
	"digest":   shortDigest,
	"class":    func(status string) string { return strings.ReplaceAll(status, " ", "") },
	"offset":   offset,
	"audit":    auditLine,
	"pct":      func(v float64) float64 { return v * 100 },
	"evidence": evidenceHTML,
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"ms":       ms,
	"json": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err.Error()
		}
		return string(b)
	},
}).Parse(reportTemplate))

// journalRef is how evidence names a journal entry: [journal-SYSTEM.jsonl #SEQ].
var journalRef = regexp.MustCompile(`\[(journal-[A-Za-z0-9_.-]+\.jsonl) #(\d+)\]`)

// evidenceHTML writes a gate's evidence lines, escaped, with each journal
// entry they name linked to its journal file in the run folder.
func evidenceHTML(lines []string) template.HTML {
	text := html.EscapeString(strings.Join(lines, "\n"))
	return template.HTML(journalRef.ReplaceAllString(text, `[<a href="$1">$1</a> #$2]`)) //nolint:gosec // escaped above; the link is the escaped name
}

// auditLine writes one line of the fault timeline's audit log (a JSON
// record of chaos.AuditRecord's shape) for a person: its offset from the
// attack's start, the action, target, fault and parameters, the outcome.
// A line that is not such a record is shown as it is.
func auditLine(zero time.Time, raw string) string {
	var rec struct {
		Time    time.Time         `json:"time"`
		Action  string            `json:"action"`
		Target  string            `json:"target"`
		Fault   string            `json:"fault"`
		Params  map[string]string `json:"params"`
		Reason  string            `json:"reason"`
		Outcome string            `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(raw), &rec); err != nil || rec.Time.IsZero() || rec.Action == "" {
		return raw
	}
	parts := []string{fmt.Sprintf("%-9s", offset(zero, rec.Time)), fmt.Sprintf("%-7s", rec.Action)}
	for _, s := range []string{rec.Target, rec.Fault} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	keys := make([]string, 0, len(rec.Params))
	for k := range rec.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+rec.Params[k])
	}
	if rec.Reason != "" {
		parts = append(parts, "("+rec.Reason+")")
	}
	return strings.Join(append(parts, "→ "+rec.Outcome), " ")
}

// htmlData is what the template sees.
type htmlData struct {
	Report
	Verdict Verdict
	Failing []Gate
	Charts  []template.HTML
	// Downstream charts the service's traffic to each mocked system.
	Downstream []template.HTML
	Quiet      []string // mocked systems the service sent nothing
	Map        template.HTML
	Took       time.Duration
}

// WriteHTML writes report.html: one self-contained page (CSS inline, charts
// as inline SVG, no script, nothing fetched) with the verdict and any
// failing gate at the top.
func WriteHTML(w io.Writer, r Report) error {
	d := htmlData{Report: r, Verdict: r.Verdict(), Took: r.duration(), Map: systemMap(r.Systems, r.Flows)}
	for _, g := range r.Gates {
		if g.Status() == "fail" {
			d.Failing = append(d.Failing, g)
		}
	}
	for _, c := range r.charts() {
		d.Charts = append(d.Charts, c.SVG())
	}
	for _, ds := range r.Downstream {
		if ds.total() == 0 {
			d.Quiet = append(d.Quiet, ds.System)
			continue
		}
		d.Downstream = append(d.Downstream, ds.chart(r.Zero(), r.Faults).SVG())
	}
	return htmlReport.Execute(w, d)
}

// systemMap draws the systems as boxes in a row and the flows as arrows
// between them, as inline SVG.
func systemMap(systems []System, flows []Flow) template.HTML {
	if len(systems) == 0 {
		return ""
	}
	const boxW, boxH, gap, top = 150, 56, 60, 120
	width := len(systems)*(boxW+gap) - gap + 40
	height := top + boxH + 20
	pos := map[string]int{}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="system map">`, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>`)
	for i, s := range systems {
		x := 20 + i*(boxW+gap)
		pos[s.Name] = x + boxW/2
		fill := map[string]string{"service": "#dbeafe", "mock": "#f1f5f9", "external": "#fef3c7"}[s.Kind]
		if fill == "" {
			fill = "#f1f5f9"
		}
		sub := s.Kind
		if s.Proxy != "" {
			sub += " · via proxy"
		}
		fmt.Fprintf(&b, `<g class="system"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="#64748b"/><text x="%d" y="%d" text-anchor="middle" class="sys-name">%s</text><text x="%d" y="%d" text-anchor="middle" class="sys-kind">%s</text></g>`,
			x, top, boxW, boxH, fill, x+boxW/2, top+24, html.EscapeString(s.Name), x+boxW/2, top+42, html.EscapeString(sub))
	}
	for i, f := range flows {
		x0, ok0 := pos[f.From]
		x1, ok1 := pos[f.To]
		if !ok0 || !ok1 || x0 == x1 {
			continue
		}
		lift := 30 + 22*(i%4)
		mid := (x0 + x1) / 2
		label := f.Name
		if f.Rate != "" {
			label += " (" + f.Rate + ")"
		}
		fmt.Fprintf(&b, `<g class="flow"><path d="M%d,%d Q%d,%d %d,%d" fill="none" stroke="#475569" stroke-width="1.5" marker-end="url(#arrow)"/><text x="%d" y="%d" text-anchor="middle" class="flow-label">%s</text></g>`,
			x0, top, mid, top-2*lift, x1, top, mid, top-lift-4, html.EscapeString(label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above with every text escaped
}
