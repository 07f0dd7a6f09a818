package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

var (
	diffBase = filepath.Join("..", "..", "examples", "ordersync", "contracts", "accounting.openapi.yaml")
	diffRev  = filepath.Join("..", "..", "contracts", "testdata", "diff", "accounting-v2.yaml")
)

// journal writes a journal as firedrill run keeps it, with one call to
// each operation given as "METHOD template".
func journal(t *testing.T, ops ...string) string {
	t.Helper()
	var b strings.Builder
	for i, op := range ops {
		method, tmpl, _ := strings.Cut(op, " ")
		line, _ := json.Marshal(map[string]any{"seq": i + 1, "system": "accounting", "direction": "inbound", "method": method, "path": tmpl, "template": tmpl, "status": 200})
		b.Write(append(line, '\n'))
	}
	// A webhook the mock delivered is not a call the integration made.
	b.WriteString(`{"seq":99,"direction":"webhook","method":"POST","path":"/hooks","template":"/invoices","status":204}` + "\n")
	p := filepath.Join(t.TempDir(), "journal-accounting.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestContractDiff: breaking changes fail the command, located in the
// revision; the same contract passes; --fail-on sets the bar.
func TestContractDiff(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (breaking changes): %s %s", code, out, stderr)
	}
	for _, want := range []string{
		"accounting-v2.yaml:22:11: error: POST /invoices: the `header` request parameter `Idempotency-Key` became required [request-parameter-became-required]",
		"accounting.openapi.yaml:14:5: error: GET /invoices: api removed without deprecation",
		"4 breaking, 2 warnings, 5 compatible (listed with --all)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "endpoint added") {
		t.Errorf("compatible changes listed without --all:\n%s", out)
	}
	if code, out, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev, "--all", "--fail-on", "none"); code != 0 || !strings.Contains(out, "DELETE /invoices/{invoice_id}: endpoint added") {
		t.Errorf("--all --fail-on none: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffBase); code != 0 || !strings.Contains(out, "0 breaking, 0 warnings, 0 compatible") {
		t.Errorf("a contract against itself: exit %d:\n%s", code, out)
	}
}

// TestContractDiffUsedBy: only the changes to operations the integration
// called count; a change elsewhere does not fail it.
func TestContractDiffUsedBy(t *testing.T) {
	t.Parallel()
	reader := journal(t, "GET /invoices/{id}")
	code, out, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev, "--used-by", reader)
	if code != 0 || !strings.Contains(out, "0 breaking, 1 warning,") || !strings.Contains(out, "the 1 operation the integration used") {
		t.Errorf("an integration that only reads invoices: exit %d:\n%s", code, out)
	}
	if code, _, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev, "--used-by", reader, "--fail-on", "warning"); code != 1 {
		t.Errorf("--fail-on warning with a warning on a used operation: exit %d, want 1", code)
	}
	writer := journal(t, "POST /invoices", "GET /invoices/{invoice_id}")
	code, out, _ = runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev, "--used-by", writer, "--format", "json")
	var r diffReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != 1 || r.Breaking != 3 || r.Used != 2 || r.Total != 11 {
		t.Errorf("an integration that creates invoices: exit %d, %+v", code, r)
	}
	for _, c := range r.Changes {
		if op := c.Operation(); op != "POST /invoices" && op != "GET /invoices/{invoice_id}" {
			t.Errorf("a change of an operation not called: %v", c)
		}
	}
}

func TestContractDiffMarkdown(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev, "--format", "markdown")
	if !strings.Contains(out, "| severity | operation | change | where |") || !strings.Contains(out, "| error | `POST /invoices` | the `header` request parameter `Idempotency-Key` became required | ") {
		t.Errorf("markdown:\n%s", out)
	}
}

// TestContractDiffAnnotates: under GitHub Actions, breaking changes and
// warnings become annotations on the revision's lines.
func TestContractDiffAnnotates(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	_, out, _ := runCLI(t, context.Background(), "contract", "diff", diffBase, diffRev)
	if !strings.Contains(out, "::error file="+diffRev+",line=22,title=request-parameter-became-required::POST /invoices: the `header` request parameter") {
		t.Errorf("no annotation for the required header:\n%s", out)
	}
	if strings.Contains(out, "::error file="+diffBase) {
		t.Errorf("an annotation on the base file, which a pull request does not show:\n%s", out)
	}
}

func TestContractDiffBadInputExit2(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"none.yaml":   {diffBase, "none.yaml"},
		"--format":    {diffBase, diffRev, "--format", "html"},
		"--fail-on":   {diffBase, diffRev, "--fail-on", "breaking"},
		"crm.graphql": {diffBase, filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql")},
		"empty.jsonl": {diffBase, diffRev, "--used-by", empty},
		"REVISION":    {diffBase},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"contract", "diff"}, args...)...)
		if code != 2 || !strings.Contains(stderr, name) {
			t.Errorf("%v: exit %d, stderr %q: want 2 naming %s", args, code, stderr, name)
		}
	}
}

// TestContractDiffGraphQL: a GraphQL schema's breaking changes fail the
// command; narrowed to what the journaled queries use, only those count.
func TestContractDiffGraphQL(t *testing.T) {
	t.Parallel()
	base := filepath.Join("..", "..", "contracts", "testdata", "diff", "crm-v1.graphql")
	rev := filepath.Join("..", "..", "contracts", "testdata", "diff", "crm-v2.graphql")
	code, out, stderr := runCLI(t, context.Background(), "contract", "diff", base, rev)
	if code != 1 || !strings.Contains(out, "error: CustomerInput.consent: required input field CustomerInput.consent added [required-input-field-added]") || !strings.Contains(out, "6 breaking, 1 warning, 3 compatible") {
		t.Errorf("exit %d:\n%s%s", code, out, stderr)
	}
	body, _ := json.Marshal(map[string]any{"operationName": "Upsert", "query": "mutation Upsert($input: CustomerInput!) { upsertCustomer(input: $input) { customer { id email } created } }"})
	entry, _ := json.Marshal(toolkit.Entry{System: "crm", Direction: "inbound", Method: "POST", Path: "/graphql", Body: body, Status: 200})
	j := filepath.Join(t.TempDir(), "journal-crm.jsonl")
	if err := os.WriteFile(j, append(entry, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, context.Background(), "contract", "diff", base, rev, "--used-by", j)
	if code != 1 || !strings.Contains(out, "2 breaking, 0 warnings, 0 compatible; 2 of 10 changes touch the 5 fields the integration used") || strings.Contains(out, "Customer.source") {
		t.Errorf("narrowed to the upsert: exit %d:\n%s", code, out)
	}
	read, _ := json.Marshal(map[string]any{"query": "{ customer(id: \"1\") { id firstName } }"})
	entry, _ = json.Marshal(toolkit.Entry{Direction: "inbound", Method: "POST", Path: "/graphql", Body: read, Status: 200})
	if err := os.WriteFile(j, append(entry, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, context.Background(), "contract", "diff", base, rev, "--used-by", j); code != 0 {
		t.Errorf("an integration that only reads a customer's name: exit %d:\n%s", code, out)
	}
}
