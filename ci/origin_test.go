package ci

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The load marks its requests with the header the journal reads.
func TestOriginHeaderAgrees(t *testing.T) {
	t.Parallel()
	if load.OriginHeader != toolkit.OriginHeader || load.OriginLoad != toolkit.OriginLoad {
		t.Fatalf("load marks %s: %s, the journal reads %s: %s", load.OriginHeader, load.OriginLoad, toolkit.OriginHeader, toolkit.OriginLoad)
	}
}

// fromLoad marks entries as the load's own requests.
func fromLoad(es []toolkit.Entry) []toolkit.Entry {
	for i := range es {
		es[i].Header = http.Header{toolkit.OriginHeader: {toolkit.OriginLoad}}
	}
	return es
}

// The gates judge the service's requests: the load's own requests to a
// mock, however invalid or however fast through an outage, are told
// apart, and a service that sent nothing is no pass.
func TestGatesTellTheLoadFromTheService(t *testing.T) {
	t.Parallel()
	bad := toolkit.Entry{System: "accounting", Time: t0, Direction: "inbound", Method: http.MethodPost, Path: "/invoices",
		Status: 400, Valid: false, Violations: []toolkit.Violation{{In: "body", Message: "amount_cents is missing"}}}
	service := resilientJournal()
	withLoad := append(append([]toolkit.Entry(nil), service...), fromLoad([]toolkit.Entry{bad, bad})...)

	g := Conformance(withLoad, ConformanceOptions{})
	if !g.Passed || !strings.Contains(g.Measured, "the load's own requests, not judged: 2 invalid of 2") {
		t.Errorf("invalid load requests beside a correct service: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
	// The control: the same invalid request from the service fails.
	g = Conformance(append(append([]toolkit.Entry(nil), service...), bad), ConformanceOptions{})
	if g.Passed || !strings.Contains(g.Reason, "1 requests broke their contract") {
		t.Errorf("an invalid request from the service: %s: %s", g.Status(), g.Reason)
	}
	// Only load traffic: the service sent the mocks nothing, which is
	// not a pass; with no service at all, the load is the client judged.
	g = Conformance(fromLoad([]toolkit.Entry{bad}), ConformanceOptions{})
	if g.Passed || !g.Skipped || !strings.Contains(g.Measured, "no requests from the service") {
		t.Errorf("load traffic only: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
	g = Conformance(fromLoad([]toolkit.Entry{bad}), ConformanceOptions{LoadIsTheClient: true})
	if g.Passed || g.Skipped || !strings.Contains(g.Measured, "1 invalid of 1 requests from the load") {
		t.Errorf("no service, an invalid load request: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}

	// A load that keeps calling a failing mock is not a missing breaker.
	b := &journalBuilder{}
	for i := range 200 {
		b.add(10*time.Second+time.Duration(i)*50*time.Millisecond, "", i, 503, ms10, "")
	}
	hammer := fromLoad(append([]toolkit.Entry(nil), b.es...))
	o := BreakerOptions{System: "accounting", MaxRate: 1, Within: 2 * time.Second}
	if g := Breaker(append(append([]toolkit.Entry(nil), service...), hammer...), outage, o); !g.Passed {
		t.Errorf("the load hammering the failing mock: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
	if g := Breaker(append(append([]toolkit.Entry(nil), service...), b.es...), outage, o); g.Passed {
		t.Errorf("the same requests from the service: %s: %s", g.Status(), g.Reason)
	}
}
