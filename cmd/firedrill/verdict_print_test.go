package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios"
)

// TestPrintVerdictCountsRecordsNotLines checks the terminal's verdict: a
// gate's evidence past the first pieces is counted as pieces left in the
// reports, the evidence's own count of the records it leaves out is shown
// as it is (the terminal once said "6 more" for 1,193 more records), and
// a piece of several lines keeps its indentation.
func TestPrintVerdictCountsRecordsNotLines(t *testing.T) {
	t.Parallel()
	detail := []string{}
	for i := range 10 {
		detail = append(detail, fmt.Sprintf("missing ord-%d\n  created +10.0%ds: shop POST /orders → 201 [journal-shop.jsonl #%d]", i, i, i+1))
	}
	detail = append(detail, "… and 1193 more missing (1203 in all; summary.json keeps 10 examples)")
	g := ci.Gate{Name: "every order invoiced", Kind: ci.KindConsistency, Measured: "missing 1203", Reason: "1203 missing in target", Detail: detail}
	var out strings.Builder
	printVerdict(&state{stdout: &out}, &scenarios.Outcome{Dir: "runs/x", Verdict: ci.Judge(g)})
	text := out.String()
	for _, want := range []string{
		"        missing ord-0\n          created +10.00s: shop POST /orders",
		"        … 6 more pieces of evidence in runs/x/summary.md\n",
		"        … and 1193 more missing (1203 in all; summary.json keeps 10 examples)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "ord-5") {
		t.Errorf("the verdict shows more than %d pieces of evidence:\n%s", maxTerminalEvidence, text)
	}
}
