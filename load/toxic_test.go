package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/load"
)

// TestThresholdsFailBehindALatencyToxic: the same thresholds pass against a
// fast target and fail once a Toxiproxy latency toxic slows it, with the
// measured value in the message (the negative control is the same run
// without the toxic).
func TestThresholdsFailBehindALatencyToxic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer target.Close()
	tp, err := chaos.Embedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	proxy, err := tp.Proxy(ctx, "target", strings.TrimPrefix(target.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// The margins are wide both ways: a loaded two-core machine has put
	// the control's p99 past 1.5 s, and the toxic is twice the bound.
	thresholds, err := load.ParseThresholds("p99 < 2s", "success >= 99%")
	if err != nil {
		t.Fatal(err)
	}
	attack := func() []load.Verdict {
		t.Helper()
		plan := load.Plan{
			Flow:       load.Flow{Name: "get", Steps: []load.Step{{Name: "get", URL: "http://" + proxy.Listen + "/"}}},
			Shape:      load.Constant(20),
			Duration:   time.Second,
			Thresholds: thresholds,
		}
		report, err := load.Run(ctx, plan)
		if err != nil {
			t.Fatal(err)
		}
		verdicts, _ := load.CheckAll(report, thresholds)
		return verdicts
	}
	for _, v := range attack() {
		if !v.Pass {
			t.Fatalf("without the toxic: %s", v.Message)
		}
	}
	toxic, err := chaos.ParseToxic("latency", map[string]string{"latency": "4s"})
	if err != nil {
		t.Fatal(err)
	}
	revert, err := tp.Apply(ctx, "target", toxic)
	if err != nil {
		t.Fatal(err)
	}
	defer revert(ctx)
	verdicts := attack()
	measured, err := time.ParseDuration(verdicts[0].Measured)
	if verdicts[0].Pass || err != nil || measured < 4*time.Second || !strings.Contains(verdicts[0].Message, "measured "+verdicts[0].Measured) {
		t.Errorf("behind 4 s of latency: %s", verdicts[0].Message)
	}
	if !verdicts[1].Pass {
		t.Errorf("latency is no failure: %s", verdicts[1].Message)
	}
}
