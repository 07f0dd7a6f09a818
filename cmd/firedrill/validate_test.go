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

// TestValidateForARuntime: --runtime checks a file for the runtime it will
// run in, as run --runtime does before anything starts: a service with only
// a command is fine embedded and refused in docker, naming the field.
func TestValidateForARuntime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := "../../scenarios/testdata/e2e/webhooks.yaml"
	if code, out, _ := runCLI(t, ctx, "validate", file); code != 0 {
		t.Fatalf("embedded: exit %d\n%s", code, out)
	}
	code, out, _ := runCLI(t, ctx, "validate", "--runtime", "docker", file)
	if code != 2 || !strings.Contains(out, "systems.sync.service.image: the docker runtime runs the service from an image, or builds one") {
		t.Errorf("docker: exit %d, want 2 naming systems.sync.service.image:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, ctx, "validate", "--runtime", "docker", "../../examples/ordersync/scenarios/flagship.yaml"); code != 0 {
		t.Errorf("the flagship in docker: exit %d\n%s", code, out)
	}
	// A drill starts nothing: in staging every system is a real endpoint.
	if code, out, _ := runCLI(t, ctx, "validate", "--runtime", "staging", file); code != 2 || !strings.Contains(out, `systems.shop: a drill starts nothing: system "shop" must be a real endpoint (url:)`) {
		t.Errorf("staging: exit %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, ctx, "run", "--runtime", "docker", file)
	if code != 2 {
		t.Errorf("run --runtime docker of a command-only service: exit %d, want 2 before anything starts\n%s", code, errOut)
	}
}
