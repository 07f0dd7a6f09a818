package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden rewrites golden files: go test ./cmd/firedrill -run Contract -update.
// The flag is looked up first so that another test file may declare it too.
var updateGolden = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if b, ok := g.Get().(bool); ok {
				v := b
				return &v
			}
		}
	}
	return flag.Bool("update", false, "rewrite golden files")
}()

func contractFixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "contracts", "testdata"}, parts...)...)
}

func TestContractLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string // compared with stdout when set
	}{
		{"clean", []string{contractFixture("openapi", "petstore30.yaml"), contractFixture("openapi", "petstore31.json")}, 0, "clean.golden"},
		{"warnings only", []string{contractFixture("openapi", "multi", "main.yaml")}, 0, "warnings.golden"},
		{"errors", []string{contractFixture("lint", "examples.yaml"), contractFixture("lint", "ambiguous.yaml")}, 1, "errors.golden"},
		{"json", []string{contractFixture("lint", "ambiguous.yaml"), "--format", "json"}, 1, "ambiguous.json.golden"},
		{"unparseable", []string{contractFixture("openapi", "syntax.yaml")}, 1, "syntax.golden"},
		{"broken refs", []string{contractFixture("openapi", "multi", "broken.yaml")}, 1, "broken.golden"},
		{"graphql", []string{contractFixture("graphql", "syntax.graphql")}, 1, ""},
		{"graphql warnings", []string{contractFixture("graphql", "tolerant.graphql")}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, context.Background(), append([]string{"contract", "lint"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr %q, want nothing: lint reports on stdout", errOut)
			}
			if tt.golden != "" {
				assertGolden(t, filepath.Join("testdata", "contract-lint", tt.golden), out)
			}
		})
	}
}

func TestContractLintJSONShape(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, context.Background(), "contract", "lint", "--format", "json", contractFixture("lint", "examples.yaml"))
	var report struct {
		Problems []struct {
			Severity, Rule, File, Pointer, Message string
			Line                                   int
		}
		Errors, Warnings int
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if report.Errors != 4 || report.Warnings != 2 || len(report.Problems) != 6 {
		t.Errorf("%d errors, %d warnings, %d problems; want 4, 2, 6", report.Errors, report.Warnings, len(report.Problems))
	}
	for _, p := range report.Problems {
		if p.Line == 0 || p.Pointer == "" || p.Rule == "" {
			t.Errorf("problem without line, pointer or rule: %+v", p)
		}
	}
}

func TestContractLintUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"contract", "lint"}, "requires at least 1 arg"},
		{[]string{"contract", "lint", contractFixture("absent.yaml")}, "absent.yaml"},
		{[]string{"contract", "lint", contractFixture("openapi", "petstore30.yaml"), contractFixture("absent.yaml")}, "no such file"},
		{[]string{"contract", "lint", "--format", "xml", contractFixture("openapi", "petstore30.yaml")}, `--format "xml"`},
		{[]string{"contract", "nope"}, "firedrill:"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, context.Background(), tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestContractGroupHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, context.Background(), "contract")
	if code != 0 || !strings.Contains(out, "lint") || !strings.Contains(out, "firedrill contract lint") {
		t.Errorf("exit %d, help %q: want 0 and the lint subcommand with an example", code, out)
	}
}

func TestContractLintInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, _ := runCLI(t, ctx, "contract", "lint", contractFixture("openapi", "petstore30.yaml"))
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
}

// assertGolden compares got with the golden file, or rewrites it with -update.
func assertGolden(t testing.TB, path, got string) {
	t.Helper()
	got = filepath.ToSlash(got)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
