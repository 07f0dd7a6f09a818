package scenarios

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// TestStarterIsValid writes a starter for the example's contracts, saves it
// elsewhere (so relative paths matter) and checks it validates and names
// every contract.
func TestStarterIsValid(t *testing.T) {
	t.Parallel()
	contractsDir, err := filepath.Abs(filepath.Join("..", "examples", "ordersync", "contracts"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths := []string{
		filepath.Join(contractsDir, "shop.openapi.yaml"),
		filepath.Join(contractsDir, "accounting.openapi.yaml"),
		filepath.Join(contractsDir, "crm.graphql"),
	}
	out, err := Starter(context.Background(), dir, paths...)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFile(file)
	if err != nil {
		t.Fatalf("the starter does not validate: %v\n%s", err, out)
	}
	if got := strings.Join(s.SystemNames(), ","); got != "shop,accounting,crm" {
		t.Errorf("systems %q", got)
	}
	if len(s.Load.Flow) != 2 || !strings.Contains(s.Load.Flow[1].URL, "${id}") {
		t.Errorf("flow %+v", s.Load.Flow)
	}
	if !strings.Contains(string(out), "# yaml-language-server:") {
		t.Error("the starter lacks the editor schema line")
	}
}

func TestStarterRefusesABrokenContract(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(bad, []byte("openapi: 3.0.0\npaths: [\n"), 0o644)
	if _, err := Starter(context.Background(), ".", bad); err == nil || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("want an error naming the file, got %v", err)
	}
	if _, err := Starter(context.Background(), "."); err == nil {
		t.Error("init with no contract must fail")
	}
}

// TestStarterRuns runs the starter (shortened) against its own mocks: what
// init writes works before anyone edits it.
func TestStarterRuns(t *testing.T) {
	t.Parallel()
	contractsDir, _ := filepath.Abs(filepath.Join("..", "examples", "ordersync", "contracts"))
	dir := t.TempDir()
	out, err := Starter(context.Background(), dir, filepath.Join(contractsDir, "accounting.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "scenario.yaml")
	os.WriteFile(file, out, 0o644)
	s, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	outcome, err := Run(context.Background(), s, Options{Out: filepath.Join(dir, "run"), Duration: 2 * time.Second})
	if err != nil {
		t.Fatalf("the starter does not pass as written: %v\n%+v\n%s", err, outcome.Verdict, out)
	}
}

// TestStarterBodyIsMinimal: the starter's create step sends what the
// contract requires, not every optional property: for PayPal's order that
// is the intent and the purchase units, where a full sample runs to
// kilobytes of payment sources no real request combines.
func TestStarterBodyIsMinimal(t *testing.T) {
	t.Parallel()
	file := corpustest.File(t, "openapi", "paypal__checkout_orders_v2.json")
	out, err := Starter(context.Background(), t.TempDir(), file)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, line := range strings.Split(string(out), "\n") {
		if b, ok := strings.CutPrefix(strings.TrimSpace(line), "body: "); ok {
			body = b
			break
		}
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("create body %q: %v", body, err)
	}
	if len(v) != 2 || v["intent"] == nil || v["purchase_units"] == nil || len(body) > 400 {
		t.Errorf("create body has %d properties in %d bytes, want intent and purchase_units only:\n%s", len(v), len(body), body)
	}
}
