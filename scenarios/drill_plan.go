package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// DrillPlan says what a drill would do, and changes nothing: the systems
// it would touch, each fault (what, on which target, when, for how long,
// at what share of traffic), the load and the safeguards. It is what
// `firedrill drill --dry-run` prints and what the confirmation shows.
func DrillPlan(s *Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "drill %q against staging\n", s.Name)
	if s.Drill != nil {
		fmt.Fprintf(&b, "allow-list: %s; a fault hits at most %v of the traffic\n", strings.Join(s.Drill.Allow, ", "), s.Drill.maxFaultRate())
		if s.Drill.Toxiproxy != "" {
			fmt.Fprintf(&b, "toxics through the Toxiproxy at %s (its drill proxies are deleted at the end)\n", s.Drill.Toxiproxy)
		} else {
			b.WriteString("toxics through an embedded Toxiproxy in front of each endpoint\n")
		}
	}
	b.WriteString("systems:\n")
	for _, name := range s.sortedSystems() {
		if sys := s.Systems[name]; sys != nil {
			fmt.Fprintf(&b, "  %-12s %s\n", name, sys.URL)
		}
	}
	b.WriteString("faults:\n")
	if len(s.Chaos) == 0 {
		b.WriteString("  none\n")
	}
	faults := append([]Fault(nil), s.Chaos...)
	sort.SliceStable(faults, func(i, j int) bool { return faults[i].At.D() < faults[j].At.D() })
	for _, f := range faults {
		target, kind, via := f.Proxy, f.Toxic, "toxic on its proxy"
		if f.System != "" {
			target, kind, via = f.System, f.Fault, "HTTP fault in the fault proxy in front of it"
		}
		fmt.Fprintf(&b, "  at %-6s for %-6s %-12s %s (%s), %v of the traffic%s\n", f.At, f.For, target, kind, via, faultShare(f), params(f.Params))
	}
	if l := s.Load; l != nil {
		mult := l.Multiplier
		if mult == 0 {
			mult = DefaultMultiplier
		}
		fmt.Fprintf(&b, "load: %.4g/s (peak %s × %v) for %s\n", l.Peak.PerSecond()*mult, l.Peak, mult, l.Duration)
		for _, st := range l.Flow {
			method := st.Method
			if method == "" {
				method = "GET"
				if st.Body != nil {
					method = "POST"
				}
			}
			fmt.Fprintf(&b, "  %s: %s %s\n", st.Name, method, st.URL)
		}
	} else {
		b.WriteString("load: none\n")
	}
	b.WriteString("safeguards (on a break: the load stops, every fault is rolled back):\n")
	if s.Drill == nil || len(s.Drill.Safeguards) == 0 {
		b.WriteString("  none\n")
	} else {
		for _, g := range s.Drill.Safeguards {
			fmt.Fprintf(&b, "  %-24s every %s: %s\n", g.Name, g.every(), g.describe())
		}
	}
	return b.String()
}

// describe says a safeguard's bound.
func (g Safeguard) describe() string {
	switch g.kind() {
	case "error_ratio":
		return fmt.Sprintf("error ratio <= %v", *g.ErrorRatio)
	case "p99":
		return "p99 <= " + g.P99.D().String()
	}
	d := "GET " + g.URL
	if g.Expect != 0 {
		d += fmt.Sprintf(" answers %d", g.Expect)
	}
	if g.JSON != "" {
		d += " and " + g.JSON
	}
	return d
}

// params lists a fault's parameters, sorted, for the plan.
func params(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k+"="+p[k])
	}
	sort.Strings(keys)
	return " (" + strings.Join(keys, ", ") + ")"
}
