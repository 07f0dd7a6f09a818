package ci

import (
	"errors"
	"fmt"
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
