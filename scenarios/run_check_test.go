package scenarios

import (
	"reflect"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// A resilience entry's backoff options reach the gate: thresholds as
// written, the window counted from the attack's start, during_faults as
// the windows of the faults on that system only.
func TestBackoffOptions(t *testing.T) {
	t.Parallel()
	s, err := Parse("backoff.yaml", []byte(`name: backoff options
systems:
  accounting: {contract: testdata/contracts/accounting.openapi.yaml}
  shop: {contract: testdata/contracts/shop.openapi.yaml}
load:
  flow: [{name: list, url: "${accounting.url}/invoices"}]
  peak: 1/s
  duration: 60s
chaos:
  - {at: 10s, for: 20s, proxy: accounting, toxic: latency, latency: 1s}
gates:
  resilience:
    - {system: accounting, backoff: exponential, max_backoff: 4s, min_growth: 1.8, give_up_after: 30s,
       retry_after_grace: 2s, operation: GET /invoices, window: {from: 5s, to: 40s}}
    - {system: accounting, backoff: exponential, during_faults: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &run{s: s, attackStart: start, windows: []ci.FaultWindow{
		{Target: "accounting", Start: start.Add(10 * time.Second), End: start.Add(30 * time.Second)},
		{Target: "shop", Start: start, End: start.Add(time.Minute)},
	}}
	want := []ci.BackoffOptions{
		{System: "accounting", Operation: "GET /invoices", Cap: 4 * time.Second, MinGrowth: 1.8, GiveUp: 30 * time.Second,
			RetryAfterGrace: 2 * time.Second, Windows: []ci.Window{{From: start.Add(5 * time.Second), To: start.Add(40 * time.Second)}}},
		{System: "accounting", Windows: []ci.Window{{From: start.Add(10 * time.Second), To: start.Add(30 * time.Second)}}},
	}
	for i, rg := range s.Gates.Resilience {
		if got := r.backoffOptions(rg); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("resilience[%d]: %+v, want %+v", i, got, want[i])
		}
	}
}

// compare: instant reaches the check: the same instant in two zones agrees
// with it and disagrees without it.
func TestFieldCompareInstant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f     FieldCheck
		agree bool
	}{
		{FieldCheck{Source: "at", Target: "at", Compare: CompareInstant}, true},
		{FieldCheck{Source: "at", Target: "at", Compare: CompareInstant, Zone: "Europe/Berlin"}, true},
		{FieldCheck{Source: "at", Target: "at"}, false},
	} {
		c := ci.Check{Name: "at", Join: ci.Join{Source: "id", Target: "id"}, Fields: []ci.Field{tc.f.field("at")},
			Source: ci.Static([]map[string]any{{"id": 1, "at": "2026-01-02T03:04:05Z"}}),
			Target: ci.Static([]map[string]any{{"id": 1, "at": "2026-01-02T04:04:05+01:00"}})}
		k, err := c.Compile()
		if err != nil {
			t.Fatal(err)
		}
		res, err := k.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if agreed := res.Mismatched.Count == 0; agreed != tc.agree {
			t.Errorf("%+v: agreed %v, want %v", tc.f, agreed, tc.agree)
		}
	}
}
