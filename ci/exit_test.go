package ci

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCodeOf(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want ExitCode
	}{
		{"nil", nil, ExitPass},
		{"plain error fails", base, ExitFail},
		{"usage", WithExit(ExitUsage, base), ExitUsage},
		{"wrapped setup", fmt.Errorf("up: %w", WithExit(ExitSetup, base)), ExitSetup},
		{"interrupted", WithExit(ExitInterrupted, base), ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CodeOf(tt.err); got != tt.want {
				t.Fatalf("CodeOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if WithExit(ExitFail, nil) != nil {
		t.Fatal("WithExit(nil) must stay nil")
	}
	if !errors.Is(WithExit(ExitUsage, base), base) {
		t.Fatal("ExitError must unwrap to its cause")
	}
}

// A shard's load gates are deferred to the merge: alone they make a
// DEFERRED verdict that exits 0 and says so in every report, never a
// pass; beside a failed gate the verdict fails, beside a passed one it
// passes; summary.json reads back to the same verdict.
func TestDeferredGates(t *testing.T) {
	deferred := Gate{Name: "p99 < 1s", Kind: KindLoad, Deferred: true, Measured: "shard 0/2 alone: 12ms", Reason: "judged on the whole run by firedrill merge"}
	v := Judge(deferred)
	if v.Passed || !v.Deferred || v.Code != ExitPass || v.Err() != nil || v.Headline() != "DEFERRED" {
		t.Fatalf("only deferred: %+v err %v headline %s", v, v.Err(), v.Headline())
	}
	if v := Judge(deferred, Gate{Name: "c", Kind: KindConsistency}); v.Passed || v.Deferred || v.Code != ExitFail {
		t.Fatalf("deferred and failed: %+v", v)
	}
	if v := Judge(deferred, Gate{Name: "c", Kind: KindConsistency, Passed: true}); !v.Passed || v.Deferred || v.Code != ExitPass {
		t.Fatalf("deferred and passed: %+v", v)
	}
	if v := Judge(); v.Deferred || v.Code != ExitFail {
		t.Fatalf("no gate: %+v", v)
	}
	rep := Report{Scenario: "s", Gates: []Gate{deferred}}
	var js, md, junit bytes.Buffer
	if err := errors.Join(WriteJSON(&js, rep), WriteMarkdown(&md, rep), WriteJUnit(&junit, rep)); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil || !back.Verdict().Deferred || back.Gates[0].Status() != "deferred" {
		t.Fatalf("summary.json read back: %+v %v", back.Verdict(), err)
	}
	if !strings.Contains(md.String(), "deferred") || !strings.Contains(junit.String(), "<skipped") {
		t.Fatalf("summary.md or junit.xml do not say deferred:\n%s\n%s", md.String(), junit.String())
	}
}
