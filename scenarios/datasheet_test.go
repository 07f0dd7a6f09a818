package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatasheetGolden(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteDatasheet(&b, s); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "good.datasheet.md")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("datasheet differs from %s (run with -update to accept):\n%s", golden, b.String())
	}
	for _, must := range []string{
		"integrations@example.com",
		"sync → accounting (calls, `ACCOUNTING_URL`)",
		"shop → sync (webhook on create)",
		"shop.orders ⇒ accounting.invoices (exactly-once)",
		"| total | `double(total_price)` | `amount_cents / 100.0` | within ±0.005 |",
		"tested at 3× (120/s) for 1m0s",
		"survives status on accounting for 10s (status 503)",
		"towards accounting: honours Retry-After; exponential backoff",
		"`p99 < 1.5s`",
	} {
		if !strings.Contains(b.String(), must) {
			t.Errorf("datasheet lacks %q", must)
		}
	}
}

func TestDatasheetShowsGroupedSides(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "check", "invoiced-per-customer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteDatasheet(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Source grouped by `customer.email.lowerAscii()`: cents = `sum(math.greatest(0, int(double(total_price) * 100.0)))`, orders = `count()`.",
		"Target grouped by `customer_email`: cents = `sum(amount_cents)`, invoices = `count()`, largest = `max(amount_cents)`.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the datasheet lacks %q:\n%s", want, b.String())
		}
	}
}

// TestDatasheetShowsDataEvents: a data event of the timeline is listed as
// data that enters a mock at its second, not as a fault that lasts.
func TestDatasheetShowsDataEvents(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "timeline-data.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteDatasheet(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- at 1s, data enters helpdesk outside the integration: insert tickets, 1 record, no webhooks\n",
		"- at 2s, data enters helpdesk outside the integration: update tickets t-1\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the datasheet lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "survives") {
		t.Errorf("the datasheet calls a data event a fault:\n%s", b.String())
	}
}
