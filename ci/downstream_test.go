package ci

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestDownstreamCountsEachRequestOnce buckets a known journal: each
// request in one outcome, retries and Retry-After waits across them, the
// load's own requests and other systems' left out, quiet seconds kept.
func TestDownstreamCountsEachRequestOnce(t *testing.T) {
	t.Parallel()
	b := &journalBuilder{}
	b.add(200*time.Millisecond, "k-1", 1, 201, ms10, "")
	b.add(1100*time.Millisecond, "k-2", 2, 429, ms10, "2") // asks for 2 s: waiting in seconds 1 to 3
	b.add(3200*time.Millisecond, "k-2", 2, 201, ms10, "")  // a retry, honouring it
	b.add(3300*time.Millisecond, "k-3", 3, 400, ms10, "")
	b.add(3400*time.Millisecond, "k-4", 4, 503, ms10, "").Fault = "status"
	b.add(3500*time.Millisecond, "k-4", 4, 500, ms10, "") // a retry of a fault's answer
	b.add(3600*time.Millisecond, "k-5", 5, 0, ms10, "")   // no answer written
	load := b.add(3700*time.Millisecond, "k-6", 6, 201, ms10, "")
	load.Header = http.Header{toolkit.OriginHeader: {toolkit.OriginLoad}}
	other := b.add(3800*time.Millisecond, "k-7", 7, 201, ms10, "")
	other.System = "crm"
	d := DownstreamOf(b.es, "accounting", t0, t0.Add(5500*time.Millisecond))
	want := []DownstreamSecond{
		{Requests: 1, OK: 1},
		{Requests: 1, Throttled: 1, Waiting: 1},
		{Waiting: 1},
		{Requests: 5, OK: 1, ClientErrors: 1, Faults: 1, ServerErrors: 1, Failed: 1, Retries: 2, Waiting: 1},
		{},
		{},
	}
	if len(d.Seconds) != len(want) {
		t.Fatalf("%d seconds, want %d: %+v", len(d.Seconds), len(want), d.Seconds)
	}
	for i, w := range want {
		w.At = t0.Add(time.Duration(i) * time.Second)
		if d.Seconds[i] != w {
			t.Errorf("second %d: %+v, want %+v", i, d.Seconds[i], w)
		}
	}
}

// TestDownstreamShowsAMissingBackoff is the chart's control both ways: the
// naive service's retries fill the outage's seconds, the resilient one's
// are a handful, and the chart draws both under the fault band.
func TestDownstreamShowsAMissingBackoff(t *testing.T) {
	t.Parallel()
	end := t0.Add(45 * time.Second)
	inOutage := func(d Downstream) (requests, retries int) {
		for _, s := range d.Seconds {
			if !s.At.Before(outage[0].Start) && s.At.Before(outage[0].End) {
				requests += s.Requests
				retries += s.Retries
			}
		}
		return requests, retries
	}
	naiveReq, naiveRetries := inOutage(DownstreamOf(naiveJournal(), "accounting", t0, end))
	goodReq, goodRetries := inOutage(DownstreamOf(resilientJournal(), "accounting", t0, end))
	if naiveRetries < 250 || goodRetries > 5 || naiveReq < 10*goodReq {
		t.Fatalf("in the outage: naive %d requests, %d retries; resilient %d requests, %d retries", naiveReq, naiveRetries, goodReq, goodRetries)
	}
	r := sampleReport(t)
	r.Downstream = []Downstream{DownstreamOf(naiveJournal(), "accounting", t0, end)}
	var page, md bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, want := range []string{"<h2>Downstream traffic</h2>", `aria-label="→ accounting"`, `data-series="retries"`, `data-series="fault"`, `<g class="fault">`} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
	if !strings.Contains(md.String(), "| accounting | 305 | 2 | 1 | 1 | 0 | 0 | 301 | 298 | 0 |") {
		t.Errorf("summary.md's downstream totals:\n%s", md.String())
	}
}

// TestDownstreamChartsRefusedConnections puts a down proxy's counts, per
// whole second, in the seconds of a chart that starts between two: each
// in the bucket of the part of its second the proxy was down in, so none
// lands before the band; those outside the chart are left out; and every
// report shows them under the fault band. A system the proxy refused
// throughout, with no request reaching its mock, is charted, not listed
// as quiet.
func TestDownstreamChartsRefusedConnections(t *testing.T) {
	t.Parallel()
	zero, end := t0.Add(800*time.Millisecond), t0.Add(30*time.Second)
	down := []FaultWindow{
		{Target: "accounting", Start: zero.Add(10 * time.Second), End: zero.Add(20 * time.Second), Kind: chaos.Down},
		{Target: "crm", Start: t0.Add(1900 * time.Millisecond), End: t0.Add(3 * time.Second), Kind: chaos.Down},
	}
	refused := []chaos.Refused{
		{At: t0.Add(-2 * time.Second), Count: 4},  // before the chart
		{At: t0.Add(1 * time.Second), Count: 1},   // no down window of accounting: its middle, bucket 0
		{At: t0.Add(10 * time.Second), Count: 30}, // down from .8 on: bucket 10, the band's first
		{At: t0.Add(11 * time.Second), Count: 25},
		{At: t0.Add(20 * time.Second), Count: 2},  // up at .8: bucket 19, the band's last
		{At: t0.Add(100 * time.Second), Count: 9}, // after the chart
	}
	d := DownstreamOf(nil, "accounting", zero, end)
	d.AddRefused(refused, down)
	got := map[int]int{}
	for i, s := range d.Seconds {
		if s.Refused != 0 {
			got[i] = s.Refused
		}
		if s.Requests != 0 {
			t.Errorf("second %d: %d requests from refused connections", i, s.Requests)
		}
	}
	want := map[int]int{0: 1, 10: 55, 19: 2}
	if len(got) != len(want) {
		t.Fatalf("refused per bucket %v, want %v", got, want)
	}
	for i, n := range want {
		if got[i] != n {
			t.Errorf("bucket %d: %d refused, want %d (all: %v)", i, got[i], n, got)
		}
	}

	r := sampleReport(t)
	r.Faults = down
	r.Downstream = []Downstream{d}
	var page, md, js bytes.Buffer
	for _, w := range []func() error{
		func() error { return WriteHTML(&page, r) },
		func() error { return WriteMarkdown(&md, r) },
		func() error { return WriteJSON(&js, r) },
	} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	html := page.String()
	if strings.Contains(html, `id="quiet"`) || !strings.Contains(html, `aria-label="→ accounting"`) || !strings.Contains(html, `<g class="fault">`) {
		t.Errorf("report.html does not chart accounting's refused connections under the fault band")
	}
	line := regexp.MustCompile(`data-series="refused"[^>]* points="([^"]*)"`).FindStringSubmatch(html)
	if line == nil {
		t.Fatal("report.html has no refused series")
	}
	// The highest point of the line is the 55 of bucket 10, the only
	// one at the top of the plot.
	pts := strings.Fields(line[1])
	if len(pts) != len(d.Seconds) {
		t.Fatalf("the refused series has %d points, want %d", len(pts), len(d.Seconds))
	}
	top := strings.Split(pts[10], ",")[1]
	for i, p := range pts {
		if y := strings.Split(p, ",")[1]; (y == top) != (i == 10) {
			t.Errorf("point %d at y=%s, the top being %s at point 10", i, y, top)
		}
	}
	if !strings.Contains(md.String(), "| accounting | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 58 |") {
		t.Errorf("summary.md's downstream totals:\n%s", md.String())
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Downstream) != 1 || back.Downstream[0].Seconds[10].Refused != 55 || back.Downstream[0].total() != 58 {
		t.Errorf("summary.json's downstream: %+v", back.Downstream)
	}
}
