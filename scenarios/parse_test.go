package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGoodScenarioParsesAndValidates(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatalf("good scenario: %v", err)
	}
	if got, want := strings.Join(s.SystemNames(), ","), "shop,accounting,crm,sync"; got != want {
		t.Errorf("system order %q, want %q", got, want)
	}
	if s.Load.Peak.PerSecond() != 40 || s.Load.Duration.D().Seconds() != 60 {
		t.Errorf("load peak %v duration %v", s.Load.Peak, s.Load.Duration)
	}
	if got := s.Chaos[0].Params["latency"]; got != "800ms" {
		t.Errorf("chaos[0] latency param %q, want 800ms", got)
	}
	if s.Chaos[2].System != "crm" || s.Chaos[2].Params["status"] != "503" {
		t.Errorf("chaos[2] = %+v", s.Chaos[2])
	}
	acc := s.Systems["accounting"].Mock
	if acc.RateLimit.String() != "100/s" || acc.Idempotency.String() != "Idempotency-Key,window=24h" || acc.Idempotency.Options.Window.Hours() != 24 {
		t.Errorf("the mapping forms: rate limit %q, idempotency %q", acc.RateLimit, acc.Idempotency)
	}
	if f := s.Systems["crm"].Mock.Faults; len(f) != 1 || f[0].Fault != "status" || f[0].Params["rate"] != "0.01" {
		t.Errorf("the mock's faults: %+v", f)
	}
	body, ok := s.Load.Flow[0].Body.(map[string]any)
	if !ok || body["id"] != "order-${seq}" {
		t.Errorf("flow body %#v", s.Load.Flow[0].Body)
	}
	if s.Gates.Consistency.Checks[0].Fields["total"].Tolerance != 0.005 {
		t.Errorf("field tolerance lost: %+v", s.Gates.Consistency.Checks[0].Fields)
	}
	if s.Resolve("contracts/shop.openapi.yaml") != filepath.Join("testdata", "contracts", "shop.openapi.yaml") {
		t.Errorf("paths must resolve relative to the scenario file: %s", s.Resolve("contracts/shop.openapi.yaml"))
	}
}

// TestBrokenScenarios reads every file in testdata/bad: each names the
// problems it must produce in "# want: LINE:COL: text" comments (the
// location may be left out), and must produce no other.
func TestBrokenScenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("want at least 20 broken scenarios, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var wants []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					wants = append(wants, w)
				}
			}
			if len(wants) == 0 {
				t.Fatal("no # want: line")
			}
			_, err = ReadFile(file)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want a scenarios.Error, got %v", err)
			}
			got := make([]string, len(se.Problems))
			for i, p := range se.Problems {
				got[i] = p.String()
				if p.File != file && !containsAny(wants, p.File+":") {
					t.Errorf("problem names file %q, want %q (or a file a # want: line names)", p.File, file)
				}
			}
			for _, w := range wants {
				if !containsAny(got, file+":"+w) && !containsAny(got, w) {
					t.Errorf("missing problem %q\ngot:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) != len(wants) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(wants), strings.Join(got, "\n  "))
			}
		})
	}
}

func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
