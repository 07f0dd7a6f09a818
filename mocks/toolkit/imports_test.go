package toolkit_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/firedrill/firedrill/"

// layering says which of the module's packages each mocks package may
// depend on, directly or not: the toolkit sits below both mock kinds, the
// kinds are siblings, and no import runs back up (DESIGN.md: mocks imports
// contracts only).
var layering = map[string][]string{
	"mocks/toolkit": {"contracts"},
	"mocks/graphql": {"contracts", "mocks/toolkit", "mocks/store"},
	"mocks/openapi": {"contracts", "mocks/toolkit", "mocks/store", "mocks/internal/"},
}

// TestImportGraph reads the dependencies of each mocks package with go list
// and reports every one its layer forbids.
func TestImportGraph(t *testing.T) {
	t.Parallel()
	var problems []string
	for pkg, allowed := range layering {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		problems = append(problems, forbidden(pkg, strings.Fields(string(out)), allowed)...)
	}
	if len(problems) > 0 {
		t.Fatalf("the mocks' layering is broken:\n%s", strings.Join(problems, "\n"))
	}
}

// forbidden lists the module's packages among deps that pkg may not depend
// on: every one but itself and those allowed (a prefix ending in "/"
// allows a subtree).
func forbidden(pkg string, deps, allowed []string) []string {
	var out []string
	for _, d := range deps {
		rel, ours := strings.CutPrefix(d, module)
		if !ours || rel == pkg {
			continue
		}
		ok := false
		for _, a := range allowed {
			if rel == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(rel, a)) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, fmt.Sprintf("%s depends on %s", pkg, rel))
		}
	}
	return out
}

// TestImportGraphCatchesBackEdges is the control: the check refuses the
// edges the layering exists to prevent.
func TestImportGraphCatchesBackEdges(t *testing.T) {
	t.Parallel()
	for pkg, dep := range map[string]string{
		"mocks/toolkit": "mocks/openapi",
		"mocks/graphql": "mocks/openapi",
		"mocks/openapi": "mocks/graphql",
	} {
		deps := []string{module + pkg, module + "contracts", module + dep}
		if got := forbidden(pkg, deps, layering[pkg]); len(got) != 1 || !strings.Contains(got[0], dep) {
			t.Errorf("%s importing %s: the check says %v", pkg, dep, got)
		}
	}
	if got := forbidden("mocks/toolkit", []string{module + "mocks", module + "scenarios"}, layering["mocks/toolkit"]); len(got) != 2 {
		t.Errorf("the toolkit importing the mocks above it: the check says %v", got)
	}
}
