package ci

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH             = 860, 240
	padL, padR, padT, padB     = 64, 16, 28, 36
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	yTicks                     = 4
	faultFill, faultFillStroke = "#f8d7da", "#e5a3aa"
)

// line is one series of a chart.
type line struct {
	Name  string
	Color string
	Y     []float64
	Dash  bool
}

// chart draws lines over seconds since start as an inline SVG, with the
// fault windows shaded behind them. The markup is built here, escaping
// every text, so the template can trust it.
type chart struct {
	Title  string
	Unit   string // y-axis unit: "ms", "req/s"
	X      []float64
	Lines  []line
	Faults []FaultWindow
	Start  time.Time
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// SVG renders the chart.
func (c chart) SVG() template.HTML {
	var b strings.Builder
	xmax := 1.0
	if n := len(c.X); n > 0 {
		xmax = math.Max(c.X[n-1], 1)
	}
	for _, f := range c.Faults {
		xmax = math.Max(xmax, f.End.Sub(c.Start).Seconds())
	}
	ymax := 0.0
	points := 0
	for _, l := range c.Lines {
		for _, y := range l.Y {
			ymax = math.Max(ymax, y)
		}
		points += len(l.Y)
	}
	ymax = niceCeil(ymax)
	px := func(x float64) float64 { return padL + x/xmax*plotW }
	py := func(y float64) float64 { return padT + plotH - y/ymax*plotH }
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" data-points="%d">`,
		chartW, chartH, html.EscapeString(c.Title), points)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<text class="chart-title" x="%d" y="18">%s</text>`, padL, html.EscapeString(c.Title))
	for _, f := range c.Faults {
		x0 := px(math.Max(f.Start.Sub(c.Start).Seconds(), 0))
		x1 := px(math.Min(f.End.Sub(c.Start).Seconds(), xmax))
		if x1 <= x0 {
			continue
		}
		label := html.EscapeString(f.Target + " " + f.Kind)
		fmt.Fprintf(&b, `<g class="fault"><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" stroke="%s"><title>%s</title></rect>`,
			x0, padT, x1-x0, plotH, faultFill, faultFillStroke, label)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="fault-label">%s</text></g>`, x0+3, padT+12, label)
	}
	for i := 0; i <= yTicks; i++ {
		v := ymax * float64(i) / yTicks
		y := py(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, html.EscapeString(num(v)+" "+c.Unit))
	}
	step := niceCeil(xmax / 8)
	for x := 0.0; x <= xmax+1e-9; x += step {
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%ss</text>`, px(x), chartH-padB+16, num(x))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, padL, padT+plotH, chartW-padR, padT+plotH)
	for i, l := range c.Lines {
		var pts []string
		for j, y := range l.Y {
			if j < len(c.X) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(c.X[j]), py(y)))
			}
		}
		dash := ""
		if l.Dash {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`,
			html.EscapeString(l.Name), l.Color, dash, strings.Join(pts, " "))
		w := min(130, (chartW-padR-200)/len(c.Lines))
		lx := chartW - padR - w*(len(c.Lines)-i)
		fmt.Fprintf(&b, `<rect x="%d" y="8" width="12" height="4" fill="%s"/><text class="legend" x="%d" y="14">%s</text>`, lx, l.Color, lx+16, html.EscapeString(l.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built above with every text escaped
}

// charts are the report's time-series charts.
func (r Report) charts() []chart {
	x := make([]float64, len(r.Series))
	p50, p99 := make([]float64, len(r.Series)), make([]float64, len(r.Series))
	reqs, errs := make([]float64, len(r.Series)), make([]float64, len(r.Series))
	for i, s := range r.Series {
		x[i] = s.At.Sub(r.Zero()).Seconds()
		p50[i] = float64(s.P50) / float64(time.Millisecond)
		p99[i] = float64(s.P99) / float64(time.Millisecond)
		reqs[i], errs[i] = float64(s.Requests), float64(s.Errors)
	}
	return []chart{
		{Title: "Latency per request, each second", Unit: "ms", X: x, Faults: r.Faults, Start: r.Zero(), Lines: []line{
			{Name: "p50", Color: "#2563eb", Y: p50}, {Name: "p99", Color: "#9333ea", Y: p99, Dash: true}}},
		{Title: "Requests and errors, each second", Unit: "/s", X: x, Faults: r.Faults, Start: r.Zero(), Lines: []line{
			{Name: "requests", Color: "#059669", Y: reqs}, {Name: "errors", Color: "#dc2626", Y: errs}}},
	}
}
