package scenarios

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
)

// TestMockDeclarationRoundTrips: a declaration with every behaviour written
// out as YAML or JSON (what a runtime hands to a firedrill mock process
// elsewhere) reads back through --config's reader as the same declaration.
func TestMockDeclarationRoundTrips(t *testing.T) {
	t.Parallel()
	rl, _ := mocks.ParseRateLimit("5000/h,burst=50,limit-header=X-Max,reset=epoch")
	idem, _ := mocks.ParseIdempotency("Idempotency-Key,window=1h,mismatch=409")
	contract, _ := filepath.Abs(filepath.Join("..", "examples", "ordersync", "contracts", "accounting.openapi.yaml"))
	full := mocks.Spec{
		Contract: contract, Stateful: true, References: true, Keys: map[string][]string{"invoices": {"id", "customer_id"}},
		Stamps: map[string]map[string]string{"invoices": {"updated_at": "time", "version": "counter"}}, Filters: map[string]map[string]string{"invoices": {"since": "version >"}},
		Seed: 9, RateLimit: rl, Idempotency: idem,
		APIKeys: []string{"k1"}, APIKeyHeader: "X-Shopify-Access-Token", BasicUsers: map[string]string{"ann": "pw"}, OAuthClients: map[string]string{"sync": "s3cret"},
		OAuthTokenTTL: contracts.Duration(time.Minute),
		Webhooks:      []mocks.Webhook{{On: []string{"create"}, URL: "http://127.0.0.1:9/hooks", Secret: "whsec_ZGVtbw==", Scheme: "standard"}},
		WebhookRetry:  &mocks.WebhookRetry{Attempts: 3, Backoff: contracts.Duration(time.Second), MaxBackoff: contracts.Duration(time.Minute)},
		Callbacks:     &mocks.CallbackSigning{Secret: "cb", Scheme: "github"},
		Faults:        []mocks.Fault{{Fault: "status", Params: map[string]string{"status": "503", "rate": "0.1", "operation": "createInvoice"}}},
		Records: map[string]mocks.Records{
			"invoices":  {Items: []map[string]any{{"id": "inv-1", "amount_cents": 1200.0, "lines": []any{"a", "b"}}}},
			"customers": {File: filepath.Join(filepath.Dir(contract), "customers.ndjson")},
		},
	}
	dir := t.TempDir()
	for name, marshal := range map[string]func(any) ([]byte, error){"yaml": yaml.Marshal, "json": json.Marshal} {
		data, err := marshal(full)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "mock."+name)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadMockFile(file, "")
		if err != nil {
			t.Fatalf("%s:\n%s\n%v", name, data, err)
		}
		want, _ := yaml.Marshal(full)
		back, _ := yaml.Marshal(got)
		if diff := cmp.Diff(string(want), string(back)); diff != "" {
			t.Errorf("%s does not read back as written (-want +got):\n%s", name, diff)
		}
	}
}
