package load

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// TestVegetaReportReadsResults runs the real `vegeta report` on a results
// file when the vegeta binary is on PATH (CI installs it:
// go install github.com/tsenart/vegeta/v12@v12.13.0).
func TestVegetaReportReadsResults(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("vegeta")
	if err != nil {
		corpustest.Missing(t, "vegeta not on PATH (go install github.com/tsenart/vegeta/v12@v12.13.0; .ci/run does); the lib decoder is checked by TestChainedFlowFindsEveryRecord and TestMergeShards")
	}
	_, srv := newFakeStore(t, 0)
	name := filepath.Join(t.TempDir(), "results.bin")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Plan{Flow: Flow{Steps: []Step{
		{Name: "create", Method: "POST", URL: srv.URL + "/orders", Body: `{"a":1}`, Capture: map[string]string{"id": "$.id"}},
		{Name: "get", URL: srv.URL + "/orders/${id}"},
	}}, Shape: Constant(50), Duration: time.Second}, WithResults(f))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "report", name).CombinedOutput()
	if err != nil {
		t.Fatalf("vegeta report: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Requests\s+\[total, rate, throughput\]\s+(\d+),`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("vegeta report output:\n%s", out)
	}
	if n, _ := strconv.ParseUint(string(m[1]), 10, 64); n != 2*rep.Sent {
		t.Fatalf("vegeta report counts %d requests, the run sent %d iterations of 2 steps\n%s", n, rep.Sent, out)
	}
	if out, err := exec.Command(bin, "plot", name).CombinedOutput(); err != nil || len(out) < 1000 {
		t.Fatalf("vegeta plot: %v\n%.300s", err, out)
	}
}
