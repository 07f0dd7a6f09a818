package ci

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// traceJournal is an order created by the load during an accounting
// outage, delivered to the service by the shop's webhook, and the
// service's one attempt to invoice it, cut by the fault; and another
// order, 123, whose key holds the first one's (12) as a prefix.
func traceJournal() []toolkit.Entry {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	load := http.Header{toolkit.OriginHeader: {toolkit.OriginLoad}}
	return []toolkit.Entry{
		{Seq: 1, System: "shop", Time: at(10400 * time.Millisecond), Duration: ms10, Direction: "inbound", Method: "POST", Path: "/orders",
			Header: load, Body: []byte(`{"total":"9.50"}`), Status: 201, ResponseBody: []byte(`{"id":12,"total":"9.50"}`)},
		{Seq: 2, System: "shop", Time: at(10420 * time.Millisecond), Direction: "webhook", Method: "POST", Path: "/webhooks/orders",
			Body: []byte(`{"id":12,"topic":"orders/create"}`), Status: 200},
		{Seq: 7, System: "accounting", Time: at(10450 * time.Millisecond), Direction: "inbound", Method: "POST", Path: "/invoices",
			Body: []byte(`{"reference":12,"amount":950}`), Status: 503, Fault: "status"},
		{Seq: 3, System: "shop", Time: at(25 * time.Second), Duration: ms10, Direction: "inbound", Method: "POST", Path: "/orders",
			Header: load, Status: 201, ResponseBody: []byte(`{"id":123}`)},
		{Seq: 8, System: "accounting", Time: at(25100 * time.Millisecond), Direction: "inbound", Method: "GET", Path: "/invoices",
			Query: "reference=123", Status: 200},
		// The load's own read of the order: not the service's request.
		{Seq: 4, System: "shop", Time: at(26 * time.Second), Direction: "inbound", Method: "GET", Path: "/orders/12", Header: load, Status: 200},
	}
}

// TestTraceTellsARecordsStory checks the evidence of a missing record: when
// its source was created and by what, the fault on then, and the requests
// that carried its key, each named by its journal file and seq; a key that
// only prefixes another's is not confused with it, and a key no journal
// holds says so.
func TestTraceTellsARecordsStory(t *testing.T) {
	t.Parallel()
	faults := []FaultWindow{{Target: "accounting", Kind: "status", Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second)}}
	r := Result{Check: "every order invoiced", Expect: ExactlyOnce,
		Missing: Outcome{Count: 3, Examples: []Example{{Key: "12"}, {Key: "123"}, {Key: "99"}}}}
	r.judge()
	TraceResult(&r, traceJournal(), TraceOptions{Source: "shop", Zero: t0, Faults: faults})
	tr := r.Missing.Examples[0].Trace
	if tr == nil || tr.CreatedBy == nil || tr.CreatedBy.Seq != 1 || !tr.Created.Equal(t0.Add(10410*time.Millisecond)) {
		t.Fatalf("order 12's trace: %+v", tr)
	}
	if len(tr.Faults) != 1 || tr.Faults[0] != "accounting status" {
		t.Errorf("faults on when order 12 was created: %v", tr.Faults)
	}
	if len(tr.Requests) != 2 || tr.Requests[0].Seq != 2 || tr.Requests[1].Seq != 7 {
		t.Errorf("requests that carried order 12: %+v", tr.Requests)
	}
	detail := strings.Join(r.Gate().Detail, "\n")
	for _, want := range []string{
		"missing 12\n  created +10.41s: shop POST /orders → 201 [journal-shop.jsonl #1], during accounting status",
		"  +10.42s shop webhook POST /webhooks/orders → 200 [journal-shop.jsonl #2]",
		"  +10.45s accounting POST /invoices → 503 (fault status) [journal-accounting.jsonl #7]",
		"missing 123\n  created +25.01s: shop POST /orders → 201 [journal-shop.jsonl #3], no fault on\n  +25.1s accounting GET /invoices → 200 [journal-accounting.jsonl #8]\n",
		"missing 99\n  no journal entry carries this key",
	} {
		if !strings.Contains(detail+"\n", want) {
			t.Errorf("the evidence lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "#4]") {
		t.Errorf("the load's own read is in the evidence:\n%s", detail)
	}
	var page strings.Builder
	rep := sampleReport(t)
	rep.Gates = []Gate{r.Gate()}
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `[<a href="journal-accounting.jsonl">journal-accounting.jsonl</a> #7]`) {
		t.Error("report.html does not link the evidence to the journal")
	}
}

// TestEvidenceCountsWhatItLeavesOut checks that the evidence, which keeps
// a few examples, says exactly how many more records there are.
func TestEvidenceCountsWhatItLeavesOut(t *testing.T) {
	t.Parallel()
	r := Result{Check: "c", Expect: ExactlyOnce, Missing: Outcome{Count: 1203}}
	for i := range 10 {
		r.Missing.Examples = append(r.Missing.Examples, Example{Key: fmt.Sprint(i)})
	}
	r.judge()
	d := r.Gate().Detail
	if last := d[len(d)-1]; last != "… and 1193 more missing (1203 in all; summary.json keeps 10 examples)" {
		t.Fatalf("the evidence ends with %q", last)
	}
	r.Missing.Count = 10
	if d := r.Gate().Detail; strings.Contains(d[len(d)-1], "more") {
		t.Fatalf("every missing record is shown, yet the evidence ends with %q", d[len(d)-1])
	}
}

// TestTraceSaysWhatItCouldNotSearch: entries whose bodies the journal's
// budget dropped cannot be searched for a key, and the evidence says how
// many there were rather than let "no journal entry" pass for the truth.
func TestTraceSaysWhatItCouldNotSearch(t *testing.T) {
	t.Parallel()
	es := traceJournal()
	es[2].Body, es[2].BodyDigest, es[2].Truncated = nil, "ab12", []string{"body"}
	r := Result{Check: "c", Expect: ExactlyOnce, Missing: Outcome{Count: 1, Examples: []Example{{Key: "99"}}}}
	r.judge()
	TraceResult(&r, es, TraceOptions{Source: "shop", Zero: t0})
	d := strings.Join(r.Gate().Detail, "\n")
	if !strings.Contains(d, "no journal entry carries this key\n  (1 journal entries had lost their bodies to the journal's budget and were not searched)") {
		t.Fatalf("the evidence:\n%s", d)
	}
}
