package ci

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the verification for a person: a heading, one line per
// operation (outcome, operation, request and status, or why it was not
// judged), each drift indented under its operation, and a count.
func (v *Verification) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := "read-only: GET, HEAD and OPTIONS"
	if v.Writes {
		mode = "writes allowed"
	}
	fmt.Fprintf(&b, "verify %s against %s (%s; %s; seed %d)\n", v.Contract, v.BaseURL, mode, v.Rate, v.Seed)
	for _, n := range v.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	width := 0
	for _, o := range v.Operations {
		width = max(width, len(o.Operation))
	}
	for _, o := range v.Operations {
		fmt.Fprintf(&b, "%-7s  %-*s  %s\n", o.Outcome, width, o.Operation, o.line())
		for _, d := range o.Drifts {
			fmt.Fprintf(&b, "         - %s\n", d)
		}
	}
	fmt.Fprintf(&b, "%s\n", v.summary())
	_, err := io.WriteString(w, b.String())
	return err
}

// line says what was sent and what came back, or why nothing was judged.
func (o OperationCheck) line() string {
	s := o.Request
	if s == "" {
		s = o.Method + " " + o.Template
	}
	if o.Status != 0 {
		s += fmt.Sprintf(" → %d", o.Status)
	}
	if o.Attempts > 1 {
		s += fmt.Sprintf(" (%d attempts)", o.Attempts)
	}
	if o.Reason != "" {
		s += ": " + o.Reason
	}
	return s
}

func (v *Verification) summary() string {
	return fmt.Sprintf("%s: %d pass, %d drift, %d skipped, %d not judged", count(len(v.Operations), "operation"), v.Passed, v.Drifted, v.Skipped, v.Errors)
}

// WriteJSON writes the verification as indented JSON.
func (v *Verification) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteJUnit writes the verification as JUnit XML: one test suite for the
// contract, one test case per operation; a drift is a failure listing
// every drift, a write not sent is skipped, an operation not judged (no
// answer, throttled) is an error.
func (v *Verification) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "firedrill contract verify: " + v.Contract, Time: seconds(v.Duration),
		Properties: []junitProperty{{"base_url", v.BaseURL}, {"rate", v.Rate}, {"seed", fmt.Sprint(v.Seed)}}}
	if !v.Start.IsZero() {
		s.Timestamp = v.Start.UTC().Format("2006-01-02T15:04:05")
	}
	for _, o := range v.Operations {
		c := junitCase{Name: o.Operation, Classname: "firedrill.verify", Time: seconds(o.Duration), SystemOut: o.line()}
		switch o.Outcome {
		case OutcomeSkipped:
			c.Skipped = &junitMessage{Message: o.Reason}
			s.Skipped++
		case OutcomeError:
			c.Error = &junitMessage{Message: o.Reason, Type: "not judged", Text: o.line()}
			s.Errors++
		case OutcomeDrift:
			lines := make([]string, len(o.Drifts))
			for i, d := range o.Drifts {
				lines[i] = d.String()
			}
			c.Failure = &junitMessage{Message: count(len(o.Drifts), "drift") + " from the contract", Type: "drift",
				Text: o.line() + "\n" + strings.Join(lines, "\n")}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	all := junitSuites{Name: "firedrill", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	return writeJUnit(w, all)
}

// count writes n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
