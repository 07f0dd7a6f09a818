package contracts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openapiCorpus lists the real vendor OpenAPI documents: under
// $FIREDRILL_CORPUS/openapi, else ../../shared/corpus/openapi from this
// package (../shared/corpus from the repository root). It skips when the
// folder is absent, as in a user's clone.
func openapiCorpus(tb testing.TB) []string {
	tb.Helper()
	dir := os.Getenv("FIREDRILL_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "openapi", "*"))
	if len(files) == 0 {
		tb.Skipf("no OpenAPI corpus under %s/openapi (set FIREDRILL_CORPUS to the real-contracts folder)", dir)
	}
	return files
}

// TestLoadOpenAPICorpus loads every real vendor document and lints it:
// every one must load, and lint must finish without panicking with every
// problem located in a file.
func TestLoadOpenAPICorpus(t *testing.T) {
	t.Parallel()
	for _, f := range openapiCorpus(t) {
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
