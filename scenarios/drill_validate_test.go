package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestDrillRefusesBeforeAnythingStarts: each scenario is a drill the
// validation refuses, naming the field; the control, a drill within its
// bounds, is accepted.
func TestDrillRefusesBeforeAnythingStarts(t *testing.T) {
	t.Parallel()
	const ok = `name: d
runtime: staging
drill:
  allow: ["*.staging.example.com", "127.0.0.1"]
  safeguards: [{name: errors, error_ratio: 0.2}, {name: up, url: "${crm.url}/health"}]
systems:
  crm: {url: "https://crm.staging.example.com/api"}
load:
  flow: [{name: ask, url: "${crm.url}/things"}]
  peak: 1/s
  duration: 10s
chaos:
  - {at: 1s, for: 2s, system: crm, fault: status, status: 503, rate: 0.5}
  - {at: 1s, for: 2s, proxy: crm, toxic: latency, latency: 100ms, toxicity: 0.3}
`
	cases := []struct {
		name, old, new, field, says string
	}{
		{"control", "", "", "", ""},
		{"host off the allow-list", "crm.staging.example.com", "crm.example.com", "systems.crm.url", `host "crm.example.com" is not on the drill's allow-list`},
		{"no allow-list", `allow: ["*.staging.example.com", "127.0.0.1"]`, "allow: []", "drill.allow", "needs an allow-list"},
		{"toxiproxy off the list", "drill:\n", "drill:\n  toxiproxy: http://toxi.prod.example.com:8474\n", "drill.toxiproxy", "not on the drill's allow-list"},
		{"safeguard url off the list", `"${crm.url}/health"`, `"http://10.0.0.1/health"`, "drill.safeguards[1].url", "not on the drill's allow-list"},
		{"fault without target", "system: crm, fault: status", "fault: status", "chaos[0]", "needs a target"},
		{"fault past the cap", "rate: 0.5}", "rate: 0.9}", "chaos[0]", "past the drill's cap of 0.5"},
		{"toxic past the cap", "toxicity: 0.3", "toxicity: 1", "chaos[1]", "past the drill's cap"},
		{"a mock in a drill", `crm: {url: "https://crm.staging.example.com/api"}`, `crm: {url: "https://crm.staging.example.com/api"}
  shop: {contract: ../nothing.yaml}`, "systems.shop", "must be a real endpoint"},
		{"a data event", "chaos:\n", "chaos:\n  - {at: 1s, system: crm, insert: {collection: c, records: [{id: a}]}}\n", "chaos[0]", "writes nothing into real systems"},
		{"an address from the environment", `"https://crm.staging.example.com/api"`, `"${env:CRM_URL}"`, "systems.crm.url", "literal"},
		{"a safeguard with two bounds", "{name: errors, error_ratio: 0.2}", "{name: errors, error_ratio: 0.2, p99: 1s}", "drill.safeguards[0]", "one of error_ratio, p99 or url"},
		{"drill section outside staging", "runtime: staging\n", "", "drill", "belongs to a drill"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := ok
			if c.old != "" || c.new != "" {
				if !strings.Contains(src, c.old) {
					t.Fatalf("%q is not in the scenario", c.old)
				}
				src = strings.Replace(src, c.old, c.new, 1)
			}
			s, err := Parse(t.TempDir()+"/d.yaml", []byte(src))
			if err == nil {
				err = s.Validate()
			}
			if c.field == "" {
				if err != nil {
					t.Fatalf("the control is refused: %v", err)
				}
				return
			}
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("accepted, or not a validation error: %v", err)
			}
			for _, p := range verr.Problems {
				if p.Path == c.field && strings.Contains(p.Message, c.says) {
					return
				}
			}
			t.Errorf("no problem at %s saying %q in:\n%v", c.field, c.says, err)
		})
	}
}

// TestDrillPlanSaysWhatWouldHappen: the dry run's plan names each fault's
// target, time, share of traffic, the load and the safeguards.
func TestDrillPlanSaysWhatWouldHappen(t *testing.T) {
	t.Parallel()
	srv, hits := stagingEndpoint(t)
	s := drillScenario(t, srv.URL, 0.25, "2s", `[{name: errors, error_ratio: 0.3}]`)
	plan := DrillPlan(s)
	for _, want := range []string{
		"allow-list: 127.0.0.1",
		"vendor       " + srv.URL,
		"at 500ms  for 1s     vendor       status (HTTP fault in the fault proxy in front of it), 0.25 of the traffic (rate=0.25, status=503)",
		"at 0s     for 1s     vendor       latency (toxic on its proxy), 0.5 of the traffic",
		"load: 20/s (peak 20/s × 1) for 2s",
		"ask: GET ${vendor.url}/things",
		"errors                   every 1s: error ratio <= 0.3",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("planning sent %d requests to the endpoint", hits.Load())
	}
}

// TestHTTPFaultsOnARealEndpoint: a url: system takes HTTP faults through
// the fault proxy, embedded and in a drill; the docker runtime, which has
// none, refuses them at the field.
func TestHTTPFaultsOnARealEndpoint(t *testing.T) {
	t.Parallel()
	src := `name: d
runtime: RUNTIME
systems:
  crm: {url: "https://crm.staging.example.com/api"}
load:
  flow: [{name: ask, url: "${crm.url}/things"}]
  peak: 1/s
  duration: 10s
chaos:
  - {at: 1s, for: 2s, system: crm, fault: status, status: 503, rate: 0.5}
`
	for _, c := range []struct{ runtime, refused string }{
		{"embedded", ""},
		{"docker", "the docker runtime has no fault proxy in front of a real endpoint"},
	} {
		s, err := Parse(t.TempDir()+"/d.yaml", []byte(strings.Replace(src, "RUNTIME", c.runtime, 1)))
		if err == nil {
			err = s.Validate()
		}
		if (err == nil) != (c.refused == "") || (err != nil && !strings.Contains(err.Error(), "chaos[0].system: "+c.refused)) {
			t.Errorf("%s: %v", c.runtime, err)
		}
	}
}
