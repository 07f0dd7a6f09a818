package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts"
)

// TestOneRateGrammar: every door that takes a rate reads it with the one
// parser, so a bare number is refused everywhere with the same words, and
// a fractional rate is taken everywhere.
func TestOneRateGrammar(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	scenario := filepath.Join("..", "..", "examples", "ordersync", "scenarios", "flagship.yaml")
	doors := map[string][]string{
		"run --peak":   {"run", scenario, "--peak", "40"},
		"load --peak":  {"load", "--url", "http://127.0.0.1:1/", "--peak", "40", "--duration", "1s"},
		"load --peak2": {"load", "--url", "http://127.0.0.1:1/", "--peak", "12.5", "--duration", "1s"},
	}
	for name, args := range doors {
		code, _, stderr := runCLI(t, ctx, args...)
		if code != 2 || !strings.Contains(stderr, contracts.RateGrammar) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and the rate grammar", name, code, stderr)
		}
	}
}
