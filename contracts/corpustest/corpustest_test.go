package corpustest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a fatal error and stops
// the goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs fn with a recorder and returns what fn returned, if it did.
func call[T any](fn func(testing.TB) T) (got T, r *recorder) {
	r = &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(r)
	}()
	<-done
	return got, r
}

// corpus makes a corpus folder with the given files and points Env at it.
func corpus(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(Env, dir)
	return dir
}

func TestDirFromEnv(t *testing.T) {
	dir := corpus(t)
	if got := Dir(t); got != dir {
		t.Errorf("Dir = %q; want $%s, %q", got, Env, dir)
	}
}

func TestDirInRepository(t *testing.T) {
	t.Setenv(Env, "")
	want, err := filepath.Abs(filepath.Join("..", "testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Dir(t); got != want {
		t.Errorf("Dir = %q; want %q (%s below the folder holding go.mod)", got, want, Path)
	}
	// The corpus ships with the repository: both kinds are there.
	for _, kind := range []string{"openapi", "graphql"} {
		if files, _ := filepath.Glob(filepath.Join(want, kind, "*")); len(files) == 0 {
			t.Errorf("no %s corpus in %s", kind, want)
		}
	}
	// Negative control: outside any module there is no root to find it under.
	t.Chdir(t.TempDir())
	if got, r := call(Dir); r.failed == "" || !strings.Contains(r.failed, "go.mod") {
		t.Errorf("outside a module: Dir = %q, failure %q; want a failure naming go.mod", got, r.failed)
	}
}

// TestMissing: what is missing skips a test on a developer's machine and
// fails it under CI=true, through Missing itself and through Files and File.
func TestMissing(t *testing.T) {
	corpus(t, "openapi/a.json")
	uses := map[string]func(testing.TB){
		"Missing": func(tb testing.TB) { Missing(tb, "no %s on PATH", "vegeta") },
		"Files":   func(tb testing.TB) { Files(tb, "graphql", "*") },
		"File":    func(tb testing.TB) { File(tb, "openapi", "b.json") },
	}
	for _, tt := range []struct {
		ci   string
		fail bool
	}{
		{"", false},
		{"false", false},
		{"0", false},
		{"yes", false}, // not a boolean: not CI
		{"true", true},
		{"TRUE", true},
		{"1", true},
	} {
		t.Setenv(CIEnv, tt.ci)
		for name, use := range uses {
			_, r := call(func(tb testing.TB) struct{} { use(tb); return struct{}{} })
			switch {
			case tt.fail && (r.failed == "" || r.skipped != ""):
				t.Errorf("CI=%q: %s skipped %q, failed %q; want a failure", tt.ci, name, r.skipped, r.failed)
			case tt.fail && !strings.Contains(r.failed, "CI=true"):
				t.Errorf("CI=%q: %s failure %q does not say CI=true made it one", tt.ci, name, r.failed)
			case !tt.fail && (r.skipped == "" || r.failed != ""):
				t.Errorf("CI=%q: %s skipped %q, failed %q; want a skip", tt.ci, name, r.skipped, r.failed)
			}
			if msg := r.skipped + r.failed; name == "Missing" && !strings.Contains(msg, "no vegeta on PATH") {
				t.Errorf("CI=%q: message %q lacks the caller's", tt.ci, msg)
			}
		}
	}
	// Negative control: what is present neither skips nor fails, even in CI.
	t.Setenv(CIEnv, "true")
	if _, r := call(func(tb testing.TB) string { return File(tb, "openapi", "a.json") }); r.skipped != "" || r.failed != "" {
		t.Errorf("a present file under CI=true: skipped %q, failed %q", r.skipped, r.failed)
	}
}

func TestFiles(t *testing.T) {
	t.Setenv(CIEnv, "")
	dir := corpus(t, "openapi/b.yaml", "openapi/a.json", "graphql/s.graphql", "graphql/notes.txt")
	got := Files(t, "openapi", "*")
	want := []string{filepath.Join(dir, "openapi", "a.json"), filepath.Join(dir, "openapi", "b.yaml")}
	if !slices.Equal(got, want) {
		t.Errorf("Files(openapi, *) = %q; want %q", got, want)
	}
	if got := Files(t, "graphql", "*.graphql"); !slices.Equal(got, []string{filepath.Join(dir, "graphql", "s.graphql")}) {
		t.Errorf("Files(graphql, *.graphql) = %q; want only s.graphql", got)
	}
	for _, tt := range []struct{ kind, pattern string }{
		{"graphql", "*.json"}, // nothing matches
		{"asyncapi", "*"},     // no such folder
	} {
		if got, r := call(func(tb testing.TB) []string { return Files(tb, tt.kind, tt.pattern) }); r.skipped == "" || got != nil {
			t.Errorf("Files(%s, %s) = %q, skipped %q; want a skip", tt.kind, tt.pattern, got, r.skipped)
		} else if !strings.Contains(r.skipped, Env) {
			t.Errorf("skip message %q does not say to set %s", r.skipped, Env)
		}
	}
	if _, r := call(func(tb testing.TB) []string { return Files(tb, "openapi", "[") }); r.failed == "" {
		t.Error("a malformed pattern did not fail the test")
	}
}

func TestFile(t *testing.T) {
	t.Setenv(CIEnv, "")
	dir := corpus(t, "openapi/a.json")
	if got := File(t, "openapi", "a.json"); got != filepath.Join(dir, "openapi", "a.json") {
		t.Errorf("File = %q", got)
	}
	if got, r := call(func(tb testing.TB) string { return File(tb, "openapi", "b.json") }); r.skipped == "" || got != "" {
		t.Errorf("absent file: File = %q, skipped %q; want a skip", got, r.skipped)
	}
}
