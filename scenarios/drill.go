package scenarios

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// Drill is the safety of a drill against staging (runtime: staging), the
// scenario's drill: section. A drill's systems are real endpoints (url:):
// nothing starts unless every one of them is on the allow-list, no fault
// hits more than MaxFaultRate of the traffic, and the safeguards are
// polled during the attack: one that breaks its bound stops the load and
// rolls every fault back at once.
//
//	runtime: staging
//	drill:
//	  allow: ["*.staging.example.com", "127.0.0.1"]
//	  max_fault_rate: 0.5
//	  toxiproxy: http://toxiproxy.staging.example.com:8474
//	  safeguards:
//	    - {name: errors stay low, error_ratio: 0.2}
//	    - {name: sync healthy, url: "${sync.url}/healthz", every: 2s}
type Drill struct {
	// Allow lists the host patterns a drill may touch (path.Match globs:
	// "*.staging.example.com", "10.0.*"): every url: of a system, the
	// Toxiproxy's and the safeguards' must match one, or the drill refuses
	// to start.
	Allow []string `yaml:"allow" json:"allow" jsonschema:"required"`
	// MaxFaultRate caps the share of traffic any one fault hits: a mock
	// fault's rate, a toxic's toxicity (default 0.5: half the traffic at
	// most; 1 allows every request).
	MaxFaultRate float64 `yaml:"max_fault_rate,omitempty" json:"max_fault_rate,omitempty" jsonschema:"minimum=0,maximum=1"`
	// Toxiproxy is the API URL of a Toxiproxy the team runs in staging;
	// the drill makes its proxies there. Without it, an embedded Toxiproxy
	// in this process stands in front of each endpoint.
	Toxiproxy string `yaml:"toxiproxy,omitempty" json:"toxiproxy,omitempty"`
	// Safeguards are polled during the attack.
	Safeguards []Safeguard `yaml:"safeguards,omitempty" json:"safeguards,omitempty"`
	// ReadRate paces the consistency checks' reads of the real systems
	// (default 5/s); they read with GET only, straight from each url:,
	// and wait as long as a 429 or 503 asks with Retry-After.
	ReadRate Rate `yaml:"read_rate,omitempty" json:"read_rate,omitempty"`
}

// DefaultMaxFaultRate is the share of traffic a drill's fault may hit
// when drill.max_fault_rate is not given.
const DefaultMaxFaultRate = 0.5

// DefaultSafeguardEvery is how often a safeguard is polled by default.
const DefaultSafeguardEvery = time.Second

// Safeguard is a bound the drill keeps during the attack: the load's
// error ratio or p99 latency since the last poll, or an endpoint that
// must answer (a health endpoint, a JSON expectation). A safeguard is one
// of error_ratio, p99 or url.
type Safeguard struct {
	Name string `yaml:"name" json:"name" jsonschema:"required"`
	// Every is the polling interval (default 1s; the load's numbers are
	// read about once a second).
	Every Duration `yaml:"every,omitempty" json:"every,omitempty"`
	// ErrorRatio is the highest share of failed requests (0 to 1) since
	// the last poll.
	ErrorRatio *float64 `yaml:"error_ratio,omitempty" json:"error_ratio,omitempty" jsonschema:"minimum=0,maximum=1"`
	// P99 is the highest p99 latency of the load over the last second.
	P99 Duration `yaml:"p99,omitempty" json:"p99,omitempty"`
	// URL is an endpoint asked with GET: it must answer Expect (any 2xx
	// when 0) and make JSON true, as a probe.
	URL    string `yaml:"url,omitempty" json:"url,omitempty"`
	Expect int    `yaml:"expect,omitempty" json:"expect,omitempty"`
	JSON   string `yaml:"json,omitempty" json:"json,omitempty"`
}

// maxFaultRate is the drill's cap on a fault's share of traffic.
func (d *Drill) maxFaultRate() float64 {
	if d == nil || d.MaxFaultRate == 0 {
		return DefaultMaxFaultRate
	}
	return d.MaxFaultRate
}

// every is a safeguard's polling interval.
func (g Safeguard) every() time.Duration {
	if g.Every.D() > 0 {
		return g.Every.D()
	}
	return DefaultSafeguardEvery
}

// kind names what a safeguard reads: error_ratio, p99 or url.
func (g Safeguard) kind() string {
	switch {
	case g.ErrorRatio != nil:
		return "error_ratio"
	case g.P99.D() > 0:
		return "p99"
	case g.URL != "":
		return "url"
	}
	return ""
}

// drill checks a staging scenario: every system a real endpoint on the
// allow-list, every fault named and within the cap, the safeguards whole.
func (v *validator) drill() {
	d := v.s.Drill
	if v.s.Runtime != "staging" {
		if d != nil {
			v.addf("drill", "add runtime: staging", "a drill: section belongs to a drill against staging (runtime: staging)")
		}
		return
	}
	if d == nil || len(d.Allow) == 0 {
		v.addf("drill.allow", `e.g. allow: ["*.staging.example.com"]`, "a drill against staging needs an allow-list of the hosts it may touch")
		d = &Drill{}
	}
	for i, p := range d.Allow {
		if _, err := path.Match(p, "x"); err != nil || strings.TrimSpace(p) == "" {
			v.addf(fmt.Sprintf("drill.allow[%d]", i), "a host or a glob: *.staging.example.com", "pattern %q is not a host pattern", p)
		}
	}
	if d.MaxFaultRate < 0 || d.MaxFaultRate > 1 {
		v.addf("drill.max_fault_rate", "", "max_fault_rate %v is not between 0 and 1", d.MaxFaultRate)
	}
	for _, name := range v.s.sortedSystems() {
		sys := v.s.Systems[name]
		switch {
		case sys == nil:
		case sys.URL == "":
			v.addf("systems."+name, "give it url: (the endpoint in staging)", "a drill starts nothing: system %q must be a real endpoint (url:), not a mock or a service", name)
		default:
			v.allowed(d, "systems."+name+".url", sys.URL)
		}
	}
	if d.Toxiproxy != "" {
		v.allowed(d, "drill.toxiproxy", d.Toxiproxy)
	}
	v.drillFaults(d)
	for i, g := range d.Safeguards {
		v.safeguard(d, fmt.Sprintf("drill.safeguards[%d]", i), g)
	}
}

// allowed checks that a literal URL's host matches the allow-list.
func (v *validator) allowed(d *Drill, field, raw string) {
	if strings.Contains(raw, "${") {
		if !strings.HasPrefix(raw, "${") || strings.Contains(raw, "${env:") {
			v.addf(field, "write the address itself", "a drill's addresses are literal, so the allow-list can judge them before anything starts: %q", raw)
		}
		return // ${system.url}: the drill's own proxy, in front of an allowed system
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		v.addf(field, "", "%q is not a URL with a host", raw)
		return
	}
	if !d.Allows(u.Hostname()) {
		v.addf(field, "add the host to drill.allow if the drill may touch it", "host %q is not on the drill's allow-list (%s): the drill refuses to start", u.Hostname(), strings.Join(d.Allow, ", "))
	}
}

// Allows reports whether host matches one of the allow-list's patterns.
func (d *Drill) Allows(host string) bool {
	if d == nil {
		return false
	}
	for _, p := range d.Allow {
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(host)); err == nil && ok {
			return true
		}
	}
	return false
}

// drillFaults refuses faults past the cap on faulted traffic, and data
// events (a drill writes nothing into a real system).
func (v *validator) drillFaults(d *Drill) {
	limit := d.maxFaultRate()
	for i, f := range v.s.Chaos {
		field := fmt.Sprintf("chaos[%d]", i)
		if f.data() {
			v.addf(field, "", "a drill writes nothing into real systems: data events (insert, update) are for mocks")
			continue
		}
		if rate := faultShare(f); rate > limit {
			v.addf(field, fmt.Sprintf("lower it, or raise drill.max_fault_rate (now %v)", limit), "the fault hits %v of the traffic, past the drill's cap of %v", rate, limit)
		}
	}
}

// faultShare is the share of traffic a fault hits: a mock fault's rate
// (1 when absent), a toxic's toxicity (1 when absent).
func faultShare(f Fault) float64 {
	if f.System != "" {
		if r, err := strconv.ParseFloat(strings.TrimSpace(f.Params["rate"]), 64); err == nil && r > 0 {
			return r
		}
		return 1
	}
	if f.Toxicity > 0 {
		return f.Toxicity
	}
	return 1
}

// safeguard checks one safeguard: one bound, a name, a URL on the list.
func (v *validator) safeguard(d *Drill, field string, g Safeguard) {
	if strings.TrimSpace(g.Name) == "" {
		v.addf(field+".name", "", "a safeguard needs a name")
	}
	n := 0
	for _, set := range []bool{g.ErrorRatio != nil, g.P99.D() > 0, g.URL != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.addf(field, "error_ratio: 0.2, p99: 2s, or url: ${sync.url}/healthz", "a safeguard is one of error_ratio, p99 or url (it has %d)", n)
	}
	if g.ErrorRatio != nil && (*g.ErrorRatio < 0 || *g.ErrorRatio > 1) {
		v.addf(field+".error_ratio", "", "error_ratio %v is not between 0 and 1", *g.ErrorRatio)
	}
	if (g.ErrorRatio != nil || g.P99.D() > 0) && v.s.Load == nil {
		v.addf(field, "", "the safeguard reads the load, and the scenario has none")
	}
	if g.URL != "" {
		v.url(field+".url", g.URL, nil)
		v.allowed(d, field+".url", g.URL)
		if g.JSON != "" {
			if err := ci.CompileProbe(g.JSON); err != nil {
				v.addf(field+".json", "", "%v", err)
			}
		}
	} else if g.JSON != "" || g.Expect != 0 {
		v.addf(field, "", "expect and json belong to a url safeguard")
	}
}
