package contracts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	accountingV1 = "../examples/ordersync/contracts/accounting.openapi.yaml"
	accountingV2 = "testdata/diff/accounting-v2.yaml"
)

// TestDiffOpenAPIFindsBreakingChanges: each change made to the revision is
// found, judged and located in the file that holds it.
func TestDiffOpenAPIFindsBreakingChanges(t *testing.T) {
	t.Parallel()
	changes, err := DiffOpenAPI(context.Background(), accountingV1, accountingV2)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		severity  Severity
		operation string
		line      int // in the revision; 0: located in the base only
	}
	for rule, w := range map[string]want{
		"api-removed-without-deprecation":       {SeverityError, "GET /invoices", 0},
		"request-parameter-became-required":     {SeverityError, "POST /invoices", 22},
		"new-required-request-property":         {SeverityError, "POST /invoices", 72},
		"request-property-max-length-decreased": {SeverityError, "POST /invoices", 71},
		"response-property-enum-value-added":    {SeverityWarning, "POST /invoices", 81},
		"endpoint-added":                        {SeverityInfo, "DELETE /invoices/{invoice_id}", 56},
	} {
		var found *Change
		for i := range changes {
			if changes[i].Rule == rule && changes[i].Operation() == w.operation {
				found = &changes[i]
				break
			}
		}
		if found == nil {
			t.Errorf("%s on %s not found in %v", rule, w.operation, changes)
			continue
		}
		if found.Severity != w.severity {
			t.Errorf("%s: severity %s, want %s", rule, found.Severity, w.severity)
		}
		switch {
		case w.line == 0 && (found.Base == nil || found.Base.File != accountingV1 || found.Base.Line == 0):
			t.Errorf("%s: located at %v in the base, want a line of %s", rule, found.Base, accountingV1)
		case w.line != 0 && (found.Revision == nil || found.Revision.File != accountingV2 || found.Revision.Line != w.line):
			t.Errorf("%s: located at %v, want %s:%d", rule, found.Revision, accountingV2, w.line)
		}
	}
	for i := 1; i < len(changes); i++ {
		if changes[i-1].Breaking() == false && changes[i].Breaking() {
			t.Fatalf("a breaking change follows one that is not: %v", changes)
		}
	}
	if s := changes[0].String(); !strings.Contains(s, ": error: ") || !strings.HasSuffix(s, "]") {
		t.Errorf("String() = %q", s)
	}
}

// TestDiffOpenAPISameIsQuiet: a contract compared with itself, or with a
// copy that only reflows and reorders it, has no change.
func TestDiffOpenAPISameIsQuiet(t *testing.T) {
	t.Parallel()
	for _, p := range []string{accountingV1, "../examples/ordersync/contracts/shop.openapi.yaml", "../examples/petstore/petstore.yaml"} {
		changes, err := DiffOpenAPI(context.Background(), p, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) > 0 {
			t.Errorf("%s against itself: %v", p, changes)
		}
	}
}

// TestAffecting keeps what touches the operations an integration calls,
// whatever it names their path parameters.
func TestAffecting(t *testing.T) {
	t.Parallel()
	changes, err := DiffOpenAPI(context.Background(), accountingV1, accountingV2)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{OperationKey("post", "/invoices"): true, OperationKey("GET", "/invoices/{id}"): true}
	got := Affecting(changes, used)
	if len(got) == 0 || len(got) == len(changes) {
		t.Fatalf("kept %d of %d changes", len(got), len(changes))
	}
	for _, c := range got {
		if c.Operation() != "POST /invoices" && c.Operation() != "GET /invoices/{invoice_id}" {
			t.Errorf("kept a change of an operation not called: %v", c)
		}
	}
	if Affecting(changes, map[string]bool{OperationKey("PUT", "/elsewhere"): true}) != nil {
		t.Error("kept changes for an integration that calls none of the operations")
	}
}

// TestDiffOpenAPIBadInput: a missing or broken revision is an error that
// names the file (and the line, for a broken one).
func TestDiffOpenAPIBadInput(t *testing.T) {
	t.Parallel()
	if _, err := DiffOpenAPI(context.Background(), accountingV1, "testdata/diff/none.yaml"); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DiffOpenAPI(context.Background(), broken, accountingV1); err == nil || !strings.Contains(err.Error(), "broken.yaml:") {
		t.Errorf("broken file: %v", err)
	}
}
