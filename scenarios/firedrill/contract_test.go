package firedrill

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks"
)

var multi = filepath.Join("..", "..", "contracts", "testdata", "openapi", "multi")

// TestContractFiles: the files a contract's $refs name go with it, those
// outside its folder or missing are refused, URLs left to the mock.
func TestContractFiles(t *testing.T) {
	t.Parallel()
	got, err := ContractFiles(filepath.Join(multi, "main.yaml"))
	if err != nil || !slices.Equal(got, []string{"main.yaml", "params.yaml", "schemas.yaml"}) {
		t.Errorf("ContractFiles(multi/main.yaml) = %v, %v", got, err)
	}
	if got, err := ContractFiles(crm); err != nil || len(got) != 1 {
		t.Errorf("a GraphQL schema: %v, %v", got, err)
	}
	if _, err := ContractFiles(filepath.Join(multi, "broken.yaml")); err == nil || !strings.Contains(err.Error(), "nowhere.yaml") {
		t.Errorf("a $ref to a missing file: %v", err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "api", "parts"), 0o755)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	write("shared.yaml", "X: {type: string}\n")
	write("api/parts/a.json", `{"A": {"$ref": "b.json#/B"}}`)
	write("api/parts/b.json", `{"B": {"type": "string"}}`)
	nested := write("api/main.yaml", "openapi: 3.0.3\nx: {$ref: 'parts/a.json#/A'}\ny: {$ref: 'https://example.com/s.yaml#/S'}\nz: {$ref: '#/x'}\n")
	if got, err := ContractFiles(nested); err != nil || !slices.Equal(got, []string{"main.yaml", filepath.Join("parts", "a.json"), filepath.Join("parts", "b.json")}) {
		t.Errorf("nested refs: %v, %v", got, err)
	}
	outside := write("api/out.yaml", "openapi: 3.0.3\nx: {$ref: '../shared.yaml#/X'}\n")
	if _, err := ContractFiles(outside); err == nil || !strings.Contains(err.Error(), "contract's folder") {
		t.Errorf("a $ref outside the folder: %v", err)
	}
	if _, err := Run(t.Context(), "firedrill:none", WithMock("out", mocks.Spec{Contract: outside})); err == nil || !strings.Contains(err.Error(), "contract's folder") {
		t.Errorf("Run with a contract whose $ref leaves its folder: %v", err)
	}
}

// TestRunSplitContract: a contract split over several files serves in a
// container.
func TestRunSplitContract(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 2*time.Minute)
	c, err := Run(ctx, img, WithMock("customers", mocks.Spec{Contract: filepath.Join(multi, "main.yaml")}), WithRunID("split-test"), testMemory)
	terminate(t, c)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := c.MockURL(ctx, "customers")
	if code, body := get(t, ctx, http.MethodGet, u+"/customers/7", ""); code != http.StatusOK {
		t.Errorf("GET /customers/7 from a split contract: %d %s", code, body)
	}
}
