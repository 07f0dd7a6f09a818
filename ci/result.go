package ci

import (
	"fmt"
	"strings"
	"time"
)

// Example is one record behind an outcome, kept for a bounded number of
// records per outcome.
type Example struct {
	Key    string         `json:"key"`
	Count  int            `json:"count,omitempty"`  // duplicated: how many target records share the key
	Fields []string       `json:"fields,omitempty"` // mismatched: the fields that disagree
	Diff   string         `json:"diff,omitempty"`   // mismatched: go-cmp diff, source (-) to target (+)
	Record map[string]any `json:"record,omitempty"` // the canonical record (missing: source; unexpected: target)
	Error  string         `json:"error,omitempty"`  // errors: what failed to evaluate
	Trace  *Trace         `json:"trace,omitempty"`  // what the journals say of the record (TraceResult)
	// SourceRows and TargetRows count the records behind the key's group
	// on a side its check aggregates.
	SourceRows int `json:"source_rows,omitempty"`
	TargetRows int `json:"target_rows,omitempty"`
	ord        int // position in its collection, to keep examples deterministic
}

// Outcome counts the records in one outcome, exactly, and keeps examples.
type Outcome struct {
	Count    int       `json:"count"`
	Examples []Example `json:"examples,omitempty"`
}

// Result is what a consistency check found.
type Result struct {
	Check  string `json:"check"`
	Expect Expect `json:"expect"`
	Source int    `json:"source_records"`
	Target int    `json:"target_records"`
	// SourceRows and TargetRows count the records read on a side the
	// check aggregates; Source and Target then count its groups.
	SourceRows int `json:"source_rows,omitempty"`
	TargetRows int `json:"target_rows,omitempty"`
	// Matched counts the source records with a target record that agrees on every field.
	Matched    int     `json:"matched"`
	Missing    Outcome `json:"missing"`    // source records without a target
	Unexpected Outcome `json:"unexpected"` // target records without a source
	Duplicated Outcome `json:"duplicated"` // source records with more than one target
	Mismatched Outcome `json:"mismatched"` // target records whose fields disagree with their source
	// FieldMismatches counts, exactly, the mismatches of each field.
	FieldMismatches map[string]int `json:"field_mismatches,omitempty"`
	// SourceDuplicates counts source records whose key an earlier source
	// record already had: the join is ambiguous for them.
	SourceDuplicates Outcome `json:"source_duplicates"`
	Errors           Outcome `json:"errors"` // records an expression failed on

	Passed  bool          `json:"passed"`
	Reason  string        `json:"reason"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Attempts and Converged are set by Settle: how many runs it took and
	// how long after the first the check passed.
	Attempts  int           `json:"attempts,omitempty"`
	Converged time.Duration `json:"converged_ns,omitempty"`
}

// judge sets Passed and Reason from the counts and the expectation.
func (r *Result) judge() {
	var bad []string
	add := func(n int, what string) {
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.Missing.Count, "missing in target")
	if r.Expect != Subset {
		add(r.Unexpected.Count, "unexpected in target")
	}
	if r.Expect != AtLeastOnce {
		add(r.Duplicated.Count, "duplicated (exactly-once breach)")
	}
	add(r.Mismatched.Count, "with mismatched fields")
	add(r.SourceDuplicates.Count, "duplicate keys in source")
	add(r.Errors.Count, "expression errors")
	r.Passed = len(bad) == 0
	if r.Passed {
		what := "records"
		if r.SourceRows > 0 {
			what = fmt.Sprintf("groups (of %d records)", r.SourceRows)
		}
		r.Reason = fmt.Sprintf("%d of %d source %s matched %s", r.Matched, r.Source, what, r.Expect)
		return
	}
	r.Reason = fmt.Sprintf("%s: %s", r.Expect, strings.Join(bad, ", "))
}

// Measured is the one-line figure a gate shows.
func (r Result) Measured() string {
	s := fmt.Sprintf("%d/%d matched; missing %d, unexpected %d, duplicated %d, mismatched %d",
		r.Matched, r.Source, r.Missing.Count, r.Unexpected.Count, r.Duplicated.Count, r.Mismatched.Count)
	if r.Attempts > 1 || r.Converged > 0 {
		s += fmt.Sprintf("; %d attempts", r.Attempts)
		if r.Passed {
			s += fmt.Sprintf(", converged after %s", r.Converged.Round(time.Millisecond))
		}
	}
	return s
}

// Gate turns the result into a consistency gate.
func (r Result) Gate() Gate {
	g := Gate{Name: r.Check, Kind: KindConsistency, Passed: r.Passed, Measured: r.Measured(), Reason: r.Reason}
	for _, o := range []struct {
		name string
		out  Outcome
	}{{"missing", r.Missing}, {"unexpected", r.Unexpected}, {"duplicated", r.Duplicated},
		{"mismatched", r.Mismatched}, {"source duplicate", r.SourceDuplicates}, {"error", r.Errors}} {
		for _, e := range o.out.Examples {
			line := fmt.Sprintf("%s %s", o.name, e.Key)
			if rows := e.GroupRows(); rows != "" {
				line += " (" + rows + ")"
			}
			switch {
			case e.Count > 0:
				line += fmt.Sprintf(": %d target records", e.Count)
			case e.Error != "":
				line += ": " + e.Error
			case len(e.Fields) > 0:
				line += ": " + strings.Join(e.Fields, ", ") + "\n" + e.Diff
			}
			if tl := e.Trace.lines(); len(tl) > 0 {
				line = strings.TrimRight(line, "\n") + "\n" + strings.Join(tl, "\n")
			}
			g.Detail = append(g.Detail, line)
		}
		if more := o.out.Count - len(o.out.Examples); more > 0 && len(o.out.Examples) > 0 {
			g.Detail = append(g.Detail, fmt.Sprintf("… and %d more %s (%d in all; summary.json keeps %d examples)", more, o.name, o.out.Count, len(o.out.Examples)))
		}
	}
	return g
}

// GroupRows says how many records stand behind an example's groups on
// the sides its check aggregates ("4 source records"); "" for a check
// that groups neither.
func (e Example) GroupRows() string {
	var parts []string
	for _, r := range []struct {
		n    int
		side string
	}{{e.SourceRows, "source"}, {e.TargetRows, "target"}} {
		switch {
		case r.n == 1:
			parts = append(parts, "1 "+r.side+" record")
		case r.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s records", r.n, r.side))
		}
	}
	return strings.Join(parts, ", ")
}
