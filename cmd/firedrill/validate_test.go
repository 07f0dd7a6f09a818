package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	code, out, _ := runCLI(t, ctx, "validate", "../../scenarios/testdata/good.yaml")
	if code != 0 || !strings.Contains(out, "good.yaml: valid") {
		t.Errorf("good scenario: exit %d, out %q", code, out)
	}
	code, out, errOut := runCLI(t, ctx, "validate", "../../scenarios/testdata/bad/several.yaml", "../../scenarios/testdata/good.yaml")
	if code != 2 {
		t.Errorf("bad scenario: exit %d, want 2", code)
	}
	for _, want := range []string{
		"several.yaml:7:5: systems.shop.mocks: unknown field \"mocks\" (did you mean \"mock\"?)",
		"several.yaml:11:13: load.duration:",
		"good.yaml: valid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "1 of 2 scenario files are invalid") {
		t.Errorf("stderr %q", errOut)
	}
	if code, _, _ := runCLI(t, ctx, "validate"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if code, out, _ := runCLI(t, ctx, "validate", "no/such/file.yaml"); code != 2 || !strings.Contains(out, "no such file") {
		t.Errorf("missing file: exit %d, out %q", code, out)
	}
	code, out, _ = runCLI(t, ctx, "validate", "--schema")
	var schema map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &schema) != nil || schema["$id"] == nil {
		t.Errorf("--schema: exit %d, not a JSON Schema: %.80q", code, out)
	}
}
