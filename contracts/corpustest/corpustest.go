// Package corpustest finds the corpus of real vendor contracts that
// firedrill's tests run against, and decides what a test does when
// something it needs is missing.
//
// The corpus ships with the repository in contracts/testdata/corpus, one
// folder per kind of contract ("openapi", "graphql"), with MANIFEST.tsv and
// NOTICE giving each file's origin and licence; $FIREDRILL_CORPUS points the
// tests at another folder.
//
// A test that cannot run because a file or an outside tool (vegeta,
// Chromium) is absent calls [Missing]: on a developer's machine it skips,
// saying what is missing; under CI=true it fails, because CI installs every
// tool and checks out the corpus, and a skip there would hide a broken set-up.
package corpustest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Env names the environment variable that points at another corpus folder.
const Env = "FIREDRILL_CORPUS"

// Path is where the corpus sits in the repository, relative to the module
// root, in slash form.
const Path = "contracts/testdata/corpus"

// CIEnv names the environment variable that CI services set to true; under
// it [Missing] fails instead of skipping.
const CIEnv = "CI"

// Dir returns the corpus folder: $FIREDRILL_CORPUS, else [Path] below the
// module root (the nearest folder above the working directory that holds
// go.mod). It does not check that the folder exists.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(Env); d != "" {
		return d
	}
	return filepath.Join(root(tb), filepath.FromSlash(Path))
}

// root returns the module root: the nearest folder above the working
// directory that holds go.mod. It fails the test when there is none.
func root(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		tb.Fatalf("corpustest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("corpustest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Files returns the corpus files of one kind ("openapi", "graphql") whose
// names match pattern (filepath.Match syntax), in lexical order. When there
// are none the corpus is missing: see [Missing].
func Files(tb testing.TB, kind, pattern string) []string {
	tb.Helper()
	dir := filepath.Join(Dir(tb), kind)
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		tb.Fatalf("corpustest: %v", err)
	}
	if len(files) == 0 {
		Missing(tb, "no %s corpus matching %q in %s (it ships in %s; $%s points elsewhere)", kind, pattern, dir, Path, Env)
	}
	return files
}

// File returns the path of one corpus file of a kind. When the file is
// absent the corpus is missing: see [Missing].
func File(tb testing.TB, kind, name string) string {
	tb.Helper()
	path := filepath.Join(Dir(tb), kind, name)
	if _, err := os.Stat(path); err != nil {
		Missing(tb, "no corpus file %s (it ships in %s; $%s points elsewhere): %v", path, Path, Env, err)
	}
	return path
}

// Missing stops a test that cannot run because something it needs (a
// corpus file, a tool such as vegeta or Chromium) is absent; the message
// says what, and how to get it. The test skips, unless $CI is true (as CI
// services set it): then it fails, since CI provides everything the tests
// need and a skip would pass unseen. Missing does not return.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("missing under %s=true, where it must be present: "+format, append([]any{CIEnv}, args...)...)
	}
	tb.Skipf(format, args...)
}

// InCI reports whether $CI holds a true value ("true", "1", as
// strconv.ParseBool reads it).
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv(CIEnv))
	return ci
}
