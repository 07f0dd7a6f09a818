// Package corpustest finds the corpus of real vendor contracts that
// firedrill's tests run against: the folder named by $FIREDRILL_CORPUS,
// else ../shared/corpus beside the module root. It holds one folder per
// kind of contract ("openapi", "graphql"). A test that needs the corpus
// skips where it is absent, as in a user's clone.
package corpustest

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names the environment variable that points at the corpus folder.
const Env = "FIREDRILL_CORPUS"

// Dir returns the corpus folder: $FIREDRILL_CORPUS, else ../shared/corpus
// beside the module root (the nearest folder above the working directory
// that holds go.mod). It does not check that the folder exists.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(Env); d != "" {
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		tb.Fatalf("corpustest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "corpus")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("corpustest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Files returns the corpus files of one kind ("openapi", "graphql") whose
// names match pattern (filepath.Match syntax), in lexical order. It skips
// the test when there are none.
func Files(tb testing.TB, kind, pattern string) []string {
	tb.Helper()
	dir := filepath.Join(Dir(tb), kind)
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		tb.Fatalf("corpustest: %v", err)
	}
	if len(files) == 0 {
		tb.Skipf("no %s corpus in %s (set %s to the real-contracts folder)", kind, dir, Env)
	}
	return files
}

// File returns the path of one corpus file of a kind. It skips the test
// when the file is absent.
func File(tb testing.TB, kind, name string) string {
	tb.Helper()
	path := filepath.Join(Dir(tb), kind, name)
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("no corpus file %s (set %s to the real-contracts folder): %v", path, Env, err)
	}
	return path
}
