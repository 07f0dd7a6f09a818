package contracts

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// TestLoadOpenAPICorpus loads every real vendor document and lints it:
// every one must load, and lint must finish without panicking with every
// problem located in a file.
func TestLoadOpenAPICorpus(t *testing.T) {
	t.Parallel()
	for _, f := range corpustest.Files(t, "openapi", "*") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c, err := LoadOpenAPI(context.Background(), f)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			loaded := time.Since(start)
			ps := Lint(context.Background(), c)
			rules := map[string]int{}
			for _, p := range ps {
				rules[string(p.Severity)+" "+p.Rule]++
				if p.File == "" || p.Message == "" {
					t.Errorf("problem without file or message: %+v", p)
				}
			}
			t.Logf("%s %s: %d operations, loaded in %v, linted in %v: %d problems %v",
				c.Version, c.Name(), len(c.operations()), loaded.Round(time.Millisecond),
				(time.Since(start) - loaded).Round(time.Millisecond), len(ps), rules)
		})
	}
}
