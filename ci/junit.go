package ci

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The JUnit XML shape CI servers read (Jenkins, GitLab, GitHub test reporters).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: one test suite for the
// scenario, one test case per gate, failures with their detail. A stopped
// run (interrupted, a set-up failure) adds one errored test case naming the
// cause, so that no CI server shows it green, and its gates never judged
// are skipped as "not run".
func WriteJUnit(w io.Writer, r Report) error {
	s := junitSuite{Name: r.Scenario, Time: seconds(r.duration())}
	if !r.Start.IsZero() {
		s.Timestamp = r.Start.UTC().Format("2006-01-02T15:04:05")
	}
	if r.Owner != "" {
		s.Properties = append(s.Properties, junitProperty{"owner", r.Owner})
	}
	for _, p := range []junitProperty{{"firedrill.version", r.Version}, {"scenario.file", r.ScenarioFile}, {"scenario.digest", r.ScenarioDigest}} {
		if p.Value != "" {
			s.Properties = append(s.Properties, p)
		}
	}
	for _, sys := range r.Systems {
		for _, c := range sys.Contracts {
			s.Properties = append(s.Properties, junitProperty{"contract." + sys.Name + "." + c.Path, c.Digest})
		}
	}
	for _, g := range r.Gates {
		c := junitCase{Name: g.Name, Classname: "firedrill." + g.Kind, Time: "0.000", SystemOut: "measured: " + g.Measured + "\n" + g.Reason}
		switch g.Status() {
		case "skip", "not run", "deferred":
			c.Skipped = &junitMessage{Message: g.Reason}
			s.Skipped++
		case "fail":
			c.Failure = &junitMessage{Message: g.Reason, Type: g.Kind, Text: "measured: " + g.Measured + "\n" + strings.Join(g.Detail, "\n")}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	if st := r.Stopped; st != nil {
		headline := r.Verdict().Headline()
		c := junitCase{Name: "firedrill run: " + strings.ToLower(headline), Classname: "firedrill.run", Time: s.Time,
			Error: &junitMessage{Message: headline + ": " + st.Cause, Type: st.Code.String(), Text: st.Cause}}
		s.Cases = append([]junitCase{c}, s.Cases...)
		s.Errors++
	}
	s.Tests = len(s.Cases)
	all := junitSuites{Name: "firedrill", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	return writeJUnit(w, all)
}

// writeJUnit writes the XML header and the suites, indented.
func writeJUnit(w io.Writer, all junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
