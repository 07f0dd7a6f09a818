package ci

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

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
	if !strings.Contains(md.String(), "| accounting | 305 | 2 | 1 | 1 | 0 | 0 | 301 | 298 |") {
		t.Errorf("summary.md's downstream totals:\n%s", md.String())
	}
}
