package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ordersyncCRMDefects are the planted defects of the ordersync example's
// CRM drill (ORDERSYNC_DEFECT, examples/ordersync/service), each with the
// gate it must fail, a word of that gate's reason and the gates it may
// fail beside its own for a reason of theirs (the late order missed by the
// poll is an invoice missing and a count short by one).
//
// counts says which way each buyer's count in the CRM is off from the
// orders in the shop: "below" (lost updates), "above" (counted too much),
// "" (not read). The unfiltered search counts every order on the CRM's
// first customer, so the buyers it would have created are missing.
var ordersyncCRMDefects = []struct {
	defect, gate, reason, counts string
	also                         []string
}{
	{"search-unfiltered", "every buyer's orders counted", "missing in target", "", nil},
	{"blind-count", "every buyer's orders counted", "mismatched fields", "below", nil},
	{"count-items", "every buyer's orders counted", "mismatched fields", "above", nil},
	{"watermark-no-lookback", "every order invoiced exactly once", "1 missing in target", "", []string{"every buyer's orders counted"}},
}

// countDiff reads a grouped count's evidence: the orders in the shop (-)
// and the count in the CRM (+).
var countDiff = regexp.MustCompile(`-\s*"orders": (\d+),\s*\+\s*"orders": (\d+)`)

// ordersyncCRMGates are the gates the correct build must pass on the CRM
// drill (a gate missing from the report fails the test).
var ordersyncCRMGates = []string{"every order invoiced exactly once", "every buyer's orders counted",
	"requests conform to the contracts", "success >= 99%"}

// TestOrdersyncCRMDrill runs the ordersync example's CRM drill
// (crm-counts.yaml) when FIREDRILL_DRILLS is true (make drills): the
// service finds each buyer with the CRM's search argument, raises the
// buyer's order count with compare-and-set, and takes a late order no
// webhook brought through its reconciliation poll; the correct build
// passes five runs in a row, and each planted defect fails the gate it
// belongs to with that gate's reason.
func TestOrdersyncCRMDrill(t *testing.T) {
	if all, _ := strconv.ParseBool(os.Getenv(drillsEnv)); !all {
		t.Skipf("the CRM drill runs in make drills (%s=1)", drillsEnv)
	}
	t.Parallel()
	bin := buildFiredrill(t)
	svc := buildExample(t, "ordersync")
	slots := make(chan struct{}, ledgersyncAtOnce)
	slot := func(t *testing.T) {
		t.Parallel()
		slots <- struct{}{}
		t.Cleanup(func() { <-slots })
	}
	const file = "crm-counts.yaml"
	t.Run("correct", func(t *testing.T) {
		slot(t)
		scenario := exampleScenario(t, "ordersync", file, svc)
		for run := 1; run <= ledgersyncRunsInARow; run++ {
			rep := runExample(t, bin, scenario, "ORDERSYNC_DEFECT", "none")
			if rep.ExitCode != 0 || len(rep.failed()) > 0 {
				recap.fatalf(t, "%s, run %d of %d: exit %d, failed gates:\n%s", file, run, ledgersyncRunsInARow, rep.ExitCode, rep.describe(rep.failed()))
			}
			rep.mustPass(t, file, run, ordersyncCRMGates)
		}
	})
	for _, d := range ordersyncCRMDefects {
		t.Run(d.defect, func(t *testing.T) {
			slot(t)
			rep := runExample(t, bin, exampleScenario(t, "ordersync", file, svc), "ORDERSYNC_DEFECT", d.defect)
			g := rep.mustFailFor(t, d.defect, d.gate, d.reason, d.also)
			if d.counts != "" {
				n := 0
				for _, m := range countDiff.FindAllStringSubmatch(strings.Join(g.Detail, "\n"), -1) {
					orders, _ := strconv.Atoi(m[1])
					counted, _ := strconv.Atoi(m[2])
					if (d.counts == "below") != (counted < orders) || counted == orders {
						recap.errorf(t, "%s: a count of %d for %d orders, want every count %s its orders", d.defect, counted, orders, d.counts)
					}
					n++
				}
				if n == 0 {
					recap.errorf(t, "%s: no count in the evidence:\n%s", d.defect, strings.Join(g.Detail, "\n"))
				}
			}
		})
	}
}
