package scenarios

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteDatasheet writes the integration's datasheet in Markdown, from what
// its scenario declares: the systems and the direction data flows between
// them, the mapped fields with their transformations (from the consistency
// checks), triggers and rates (from the load), error handling (from the
// faults and the gates), the owner and the service levels (the thresholds).
func WriteDatasheet(w io.Writer, s *Scenario) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# %s\n\n", s.Name)
	if s.Description != "" {
		fmt.Fprintf(b, "%s\n\n", strings.TrimSpace(s.Description))
	}
	owner := s.Owner
	if owner == "" {
		owner = "not declared (set `owner:` in the scenario)"
	}
	fmt.Fprintf(b, "- **Owner:** %s\n- **Scenario:** `%s`\n\n", owner, s.file)
	sheetSystems(b, s)
	sheetFlow(b, s)
	sheetFields(b, s)
	sheetTriggers(b, s)
	sheetErrors(b, s)
	sheetSLAs(b, s)
	_, err := io.WriteString(w, b.String())
	return err
}

func sheetSystems(b *strings.Builder, s *Scenario) {
	b.WriteString("## Systems\n\n| system | role | contract | notes |\n| --- | --- | --- | --- |\n")
	for _, name := range s.sortedSystems() {
		sys := s.Systems[name]
		if sys == nil {
			continue
		}
		role, contract, notes := "vendor", strings.Join(append([]string{sys.Contract}, sys.Contracts...), " "), ""
		switch {
		case sys.Service != nil:
			role = "integration under test"
			notes = "health " + orDash(sys.Service.Health)
		case sys.URL != "":
			role = "vendor (real endpoint)"
			notes = sys.URL
		case sys.Mock != nil:
			var opts []string
			if sys.Mock.Stateful {
				opts = append(opts, "stateful")
			}
			if sys.Mock.RateLimit != nil {
				opts = append(opts, "rate limit "+sys.Mock.RateLimit.String())
			}
			if sys.Mock.Idempotency != nil {
				opts = append(opts, "idempotency key "+sys.Mock.Idempotency.Options.Header)
			}
			for _, f := range sys.Mock.Faults {
				opts = append(opts, "fault "+f.Fault+" throughout"+paramText(f.Params))
			}
			notes = "mocked " + strings.Join(opts, ", ")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, role, orDash(strings.TrimSpace(contract)), notes)
	}
	b.WriteString("\n")
}

// sheetFlow derives the direction of data flow: a service calls the systems
// its environment refers to; a mock's webhooks call their subscriber; a
// consistency check says data goes from its source to its target.
func sheetFlow(b *strings.Builder, s *Scenario) {
	edges := map[string]bool{}
	for _, name := range s.sortedSystems() {
		sys := s.Systems[name]
		if sys == nil {
			continue
		}
		if sys.Service != nil {
			for _, k := range sortedKeys(sys.Service.Env) {
				refs, _ := ParseRefs(sys.Service.Env[k])
				for _, r := range refs {
					if r.Kind == RefSystem && r.System != name {
						edges[fmt.Sprintf("%s → %s (calls, `%s`)", name, r.System, k)] = true
					}
				}
			}
		}
		if sys.Mock != nil {
			for _, wh := range sys.Mock.Webhooks {
				refs, _ := ParseRefs(wh.URL)
				for _, r := range refs {
					if r.Kind == RefSystem {
						edges[fmt.Sprintf("%s → %s (webhook on %s)", name, r.System, orAll(wh.On))] = true
					}
				}
			}
		}
	}
	if c := s.Gates.Consistency; c != nil {
		for _, chk := range c.Checks {
			edges[fmt.Sprintf("%s.%s ⇒ %s.%s (%s)", chk.Source.System, orDash(chk.Source.Collection), chk.Target.System, orDash(chk.Target.Collection), expectOrDefault(chk.Expect))] = true
		}
	}
	b.WriteString("## Data flow\n\n")
	if len(edges) == 0 {
		b.WriteString("No flow declared.\n\n")
		return
	}
	lines := make([]string, 0, len(edges))
	for e := range edges {
		lines = append(lines, e)
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", l)
	}
	b.WriteString("\n")
}

func sheetFields(b *strings.Builder, s *Scenario) {
	c := s.Gates.Consistency
	if c == nil || len(c.Checks) == 0 {
		return
	}
	b.WriteString("## Mapped fields\n\n")
	for _, chk := range c.Checks {
		fmt.Fprintf(b, "### %s\n\n%s.%s → %s.%s, joined on `%s` = `%s`, %s.\n\n",
			chk.Name, chk.Source.System, orDash(chk.Source.Collection), chk.Target.System, orDash(chk.Target.Collection),
			chk.Join.Source, chk.Join.Target, expectOrDefault(chk.Expect))
		for _, side := range []struct {
			name string
			c    Collection
		}{{"Source", chk.Source}, {"Target", chk.Target}} {
			if side.c.GroupBy == "" {
				continue
			}
			var aggs []string
			for _, name := range sortedKeys(side.c.Aggregate) {
				aggs = append(aggs, fmt.Sprintf("%s = `%s`", name, side.c.Aggregate[name]))
			}
			fmt.Fprintf(b, "%s grouped by `%s`: %s.\n\n", side.name, side.c.GroupBy, strings.Join(aggs, ", "))
		}
		if len(chk.Fields) == 0 {
			continue
		}
		b.WriteString("| field | source | target | compared |\n| --- | --- | --- | --- |\n")
		for _, name := range sortedKeys(chk.Fields) {
			f := chk.Fields[name]
			var how []string
			switch {
			case f.Ignore:
				how = append(how, "not compared")
			case f.Tolerance > 0:
				how = append(how, fmt.Sprintf("within ±%g", f.Tolerance))
			case f.TimeTolerance.D() > 0:
				how = append(how, "times within "+f.TimeTolerance.String())
			default:
				how = append(how, "equal")
			}
			if f.EmptyEqualsNull {
				how = append(how, "empty = null")
			}
			fmt.Fprintf(b, "| %s | `%s` | `%s` | %s |\n", name, f.Source, f.Target, strings.Join(how, ", "))
		}
		b.WriteString("\n")
	}
}

func sheetTriggers(b *strings.Builder, s *Scenario) {
	l := s.Load
	if l == nil {
		return
	}
	mult := l.Multiplier
	if mult == 0 {
		mult = DefaultMultiplier
	}
	fmt.Fprintf(b, "## Triggers and rates\n\nExpected peak %s; tested at %g× (%.4g/s) for %s.\n\n", l.Peak, mult, l.Peak.PerSecond()*mult, l.Duration)
	for i, st := range l.Flow {
		method := st.Method
		if method == "" {
			method = "GET"
		}
		fmt.Fprintf(b, "%d. %s: `%s %s`\n", i+1, st.Name, method, st.URL)
	}
	b.WriteString("\n")
}

func sheetErrors(b *strings.Builder, s *Scenario) {
	if len(s.Chaos) == 0 && len(s.Gates.Resilience) == 0 {
		return
	}
	b.WriteString("## Error handling\n\n")
	for _, f := range s.Chaos {
		if f.data() {
			e := plannedEvent(f)
			fmt.Fprintf(b, "- at %s, data enters %s outside the integration: %s %s\n", f.At, e.Target, e.Kind, e.What)
			continue
		}
		target, kind := f.Proxy, f.Toxic
		if f.System != "" {
			target, kind = f.System, f.Fault
		}
		fmt.Fprintf(b, "- survives %s on %s for %s%s\n", kind, target, f.For, paramText(f.Params))
	}
	for _, r := range s.Gates.Resilience {
		var props []string
		if r.HonorsRetryAfter {
			props = append(props, "honours Retry-After")
		}
		if r.Backoff != "" {
			props = append(props, r.Backoff+" backoff")
		}
		if !r.MaxRateDuringOutage.IsZero() {
			props = append(props, "a breaker that holds calls under "+r.MaxRateDuringOutage.String()+" during an outage")
		}
		if r.IdempotencyKeys {
			props = append(props, "idempotency keys on every write")
		}
		if r.MaxCallDuration.D() > 0 {
			props = append(props, "calls time out within "+r.MaxCallDuration.String())
		}
		if r.RecoveryWithin.D() > 0 {
			props = append(props, "recovers within "+r.RecoveryWithin.String())
		}
		fmt.Fprintf(b, "- towards %s: %s\n", r.System, strings.Join(props, "; "))
	}
	b.WriteString("\n")
}

func sheetSLAs(b *strings.Builder, s *Scenario) {
	if len(s.Gates.Load) == 0 && s.Gates.Contract == nil {
		return
	}
	b.WriteString("## Service levels\n\n")
	for _, t := range s.Gates.Load {
		fmt.Fprintf(b, "- `%s`\n", t)
	}
	if c := s.Gates.Contract; c != nil {
		fmt.Fprintf(b, "- at most %d requests that break a vendor's contract\n", c.InvalidRequests)
	}
	b.WriteString("\n")
}

func paramText(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	parts := make([]string, 0, len(p))
	for _, k := range sortedKeys(p) {
		parts = append(parts, k+" "+p[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func orAll(on []string) string {
	if len(on) == 0 {
		return "every change"
	}
	return strings.Join(on, ", ")
}

func expectOrDefault(e string) string {
	if e == "" {
		return "exactly-once"
	}
	return e
}
