package ci

import (
	"fmt"
	"io"
	"strings"
)

// Change says how a gate moved from one run to the next.
type Change string

// The changes a side-by-side names.
const (
	ChangeSame     Change = ""
	ChangeFixed    Change = "fixed"          // failed in A, passes in B
	ChangeBroken   Change = "newly failing"  // passed in A, fails in B
	ChangeStatus   Change = "status changed" // any other move (skipped, not run)
	ChangeMeasured Change = "measure changed"
	ChangeOnlyA    Change = "only in A"
	ChangeOnlyB    Change = "only in B"
)

// GatePair is one gate of two runs, matched by kind and name.
type GatePair struct {
	Name, Kind string
	A, B       *Gate
	Change     Change
}

// PairGates matches the gates of two runs by kind and name, in A's order
// then B's new ones, and says how each moved.
func PairGates(a, b Report) []GatePair {
	key := func(g Gate) string { return g.Kind + "\x00" + g.Name }
	inB := map[string]int{}
	for i, g := range b.Gates {
		inB[key(g)] = i
	}
	var out []GatePair
	seen := map[string]bool{}
	for i := range a.Gates {
		ga := &a.Gates[i]
		p := GatePair{Name: ga.Name, Kind: ga.Kind, A: ga, Change: ChangeOnlyA}
		if j, ok := inB[key(*ga)]; ok {
			p.B = &b.Gates[j]
			p.Change = change(*ga, *p.B)
		}
		seen[key(*ga)] = true
		out = append(out, p)
	}
	for i := range b.Gates {
		if gb := &b.Gates[i]; !seen[key(*gb)] {
			out = append(out, GatePair{Name: gb.Name, Kind: gb.Kind, B: gb, Change: ChangeOnlyB})
		}
	}
	return out
}

func change(a, b Gate) Change {
	sa, sb := a.Status(), b.Status()
	switch {
	case sa == sb && a.Measured == b.Measured:
		return ChangeSame
	case sa == sb:
		return ChangeMeasured
	case sa == "fail" && sb == "pass":
		return ChangeFixed
	case sa == "pass" && sb == "fail":
		return ChangeBroken
	}
	return ChangeStatus
}

// WriteSideBySide writes two runs' reports side by side in Markdown, as a
// release reviewer reads them: what ran (version, scenario and contract
// digests, each marked where it differs), the verdicts, then every gate
// with its status and measure in each run and how it moved.
func WriteSideBySide(w io.Writer, a, b Report) error {
	var s strings.Builder
	va, vb := a.Verdict(), b.Verdict()
	fmt.Fprintf(&s, "## firedrill: %s, two runs side by side\n\n", mdCell(a.Scenario))
	if a.Scenario != b.Scenario {
		fmt.Fprintf(&s, "⚠️ The runs are of two scenarios: A %q, B %q.\n\n", a.Scenario, b.Scenario)
	}
	s.WriteString("| | A | B | |\n|---|---|---|---|\n")
	row := func(what, x, y string) {
		mark := ""
		if x != y {
			mark = "differs"
		}
		fmt.Fprintf(&s, "| %s | %s | %s | %s |\n", what, mdCell(x), mdCell(y), mark)
	}
	started := func(r Report) string {
		if r.Start.IsZero() {
			return ""
		}
		return r.Start.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(&s, "| started | %s | %s | |\n", started(a), started(b))
	fmt.Fprintf(&s, "| verdict | %s | %s | %s |\n", verdictWord(va), verdictWord(vb), map[bool]string{true: "", false: "differs"}[va.Code == vb.Code])
	row("firedrill", a.Version, b.Version)
	row("scenario", shortDigest(a.ScenarioDigest), shortDigest(b.ScenarioDigest))
	for _, name := range contractSystems(a, b) {
		row("contract of "+name, contractDigests(a, name), contractDigests(b, name))
	}
	s.WriteString("\n| Gate | Kind | A | B | Change |\n|---|---|---|---|---|\n")
	cell := func(g *Gate) string {
		if g == nil {
			return "—"
		}
		return statusIcon[g.Status()] + " " + g.Status() + ": " + g.Measured
	}
	counts := map[Change]int{}
	for _, p := range PairGates(a, b) {
		counts[p.Change]++
		fmt.Fprintf(&s, "| %s | %s | %s | %s | %s |\n", mdCell(p.Name), p.Kind, mdCell(cell(p.A)), mdCell(cell(p.B)), p.Change)
	}
	var moved []string
	for _, c := range []Change{ChangeBroken, ChangeFixed, ChangeStatus, ChangeMeasured, ChangeOnlyA, ChangeOnlyB} {
		if counts[c] > 0 {
			moved = append(moved, fmt.Sprintf("%d %s", counts[c], c))
		}
	}
	if len(moved) == 0 {
		moved = []string{"no gate moved"}
	}
	fmt.Fprintf(&s, "\n%s.\n", strings.Join(moved, ", "))
	_, err := io.WriteString(w, s.String())
	return err
}

func verdictWord(v Verdict) string {
	switch {
	case v.Stopped != nil:
		return v.Headline()
	case v.Passed:
		return "✅ passed"
	}
	return fmt.Sprintf("❌ failed (%d of %d gates)", v.Failed, len(v.Gates))
}

// contractSystems lists the systems either run read a contract for.
func contractSystems(a, b Report) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range []Report{a, b} {
		for _, s := range r.Systems {
			if len(s.Contracts) > 0 && !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	return names
}

func contractDigests(r Report, system string) string {
	for _, s := range r.Systems {
		if s.Name == system {
			var ds []string
			for _, c := range s.Contracts {
				ds = append(ds, shortDigest(c.Digest))
			}
			return strings.Join(ds, ", ")
		}
	}
	return ""
}
