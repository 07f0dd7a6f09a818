package ci

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Trace is the story of one record a consistency check found wrong, read
// from the journals: when its source was created, the faults on then, and
// the requests that carried its key, so a reviewer goes from a red gate to
// the cause without opening the journals by hand.
type Trace struct {
	// Created is when the request that created the source record was
	// answered; zero when no journal holds it (records a mock was seeded
	// with, or an entry the journal no longer keeps).
	Created   time.Time `json:"created,omitzero"`
	CreatedBy *Traced   `json:"created_by,omitempty"`
	// Faults were on at Created: "accounting down".
	Faults []string `json:"faults,omitempty"`
	// Requests carried the record's key, oldest first: the service's
	// requests to every mock and the mocks' webhook deliveries to it, at
	// most MaxTraced; More counts the rest.
	Requests []Traced `json:"requests,omitempty"`
	More     int      `json:"more,omitempty"`
	// Unsearched counts the entries whose bodies the journal no longer
	// kept (past its body budget): the key may be in one of them.
	Unsearched int       `json:"unsearched,omitempty"`
	zero       time.Time // the reports' time zero, for the evidence lines
}

// Traced is one journal entry a trace points at: the mock's journal file
// (journal-SYSTEM.jsonl in the run folder) and the entry's seq there.
type Traced struct {
	System    string    `json:"system"`
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Direction string    `json:"direction"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	Fault     string    `json:"fault,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// MaxTraced bounds the requests a trace lists.
const MaxTraced = 6

// TraceOptions say where a check's records come from.
type TraceOptions struct {
	Source string // the system holding the source collection
	Zero   time.Time
	Faults []FaultWindow
}

// TraceResult gives each example of r's missing, duplicated, mismatched
// and unexpected records its trace, from every mock's journal entries.
func TraceResult(r *Result, entries []toolkit.Entry, o TraceOptions) {
	for _, out := range []*Outcome{&r.Missing, &r.Duplicated, &r.Mismatched, &r.Unexpected} {
		for i := range out.Examples {
			out.Examples[i].Trace = traceKey(out.Examples[i].Key, entries, o)
		}
	}
}

// traceKey finds the entries that carry key: in the path, the query or
// the body of a request, or in the answer of the source's create.
func traceKey(key string, entries []toolkit.Entry, o TraceOptions) *Trace {
	if key == "" {
		return nil
	}
	t := &Trace{zero: o.Zero}
	for i := range entries {
		e := &entries[i]
		if slices.Contains(e.Truncated, "body") && len(e.Body) == 0 || slices.Contains(e.Truncated, "response_body") && len(e.ResponseBody) == 0 {
			t.Unsearched++
		}
		if e.FromLoad() && e.System != o.Source {
			continue
		}
		created := t.CreatedBy == nil && e.System == o.Source && e.Direction != "webhook" && creates(e) &&
			(carries(e.ResponseBody, key) || carries(e.Body, key) || inPath(e.Path, key))
		if created {
			by := traced(e)
			t.CreatedBy, t.Created = &by, e.Time.Add(e.Duration)
			for _, f := range o.Faults {
				if !t.Created.Before(f.Start) && t.Created.Before(f.End) {
					t.Faults = append(t.Faults, f.Target+" "+f.Kind)
				}
			}
			continue
		}
		if e.FromLoad() || !(inPath(e.Path, key) || inQuery(e.Query, key) || carries(e.Body, key)) {
			continue
		}
		if len(t.Requests) < MaxTraced {
			t.Requests = append(t.Requests, traced(e))
		} else {
			t.More++
		}
	}
	if t.CreatedBy == nil && len(t.Requests) == 0 {
		return &Trace{zero: o.Zero, Unsearched: t.Unsearched} // looked for, found nowhere: the report says so
	}
	return t
}

func traced(e *toolkit.Entry) Traced {
	return Traced{System: e.System, Seq: e.Seq, Time: e.Time, Direction: e.Direction, Method: e.Method, Path: e.Path,
		Status: e.Status, Fault: e.Fault, Error: e.Error}
}

// creates reports whether an entry could have created a record: a write
// the mock accepted.
func creates(e *toolkit.Entry) bool {
	return (e.Method == "POST" || e.Method == "PUT") && e.Status >= 200 && e.Status < 300
}

// carries reports whether a JSON body holds key as a value: a string
// ("ord-12") or, for a key of digits, a number (12).
func carries(body []byte, key string) bool {
	if len(body) == 0 {
		return false
	}
	if bytes.Contains(body, []byte(strconv.Quote(key))) {
		return true
	}
	if _, err := strconv.ParseUint(key, 10, 64); err != nil {
		return false
	}
	for rest := body; ; {
		i := bytes.Index(rest, []byte(key))
		if i < 0 {
			return false
		}
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = rest[i-1]
		}
		if j := i + len(key); j < len(rest) {
			after = rest[j]
		}
		if (before == ':' || before == ' ' || before == '[' || before == ',') && !isDigit(after) && after != '.' {
			return true
		}
		rest = rest[i+len(key):]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// inPath reports whether key is a whole segment of the path.
func inPath(path, key string) bool {
	for _, seg := range strings.Split(path, "/") {
		if s, err := url.PathUnescape(seg); err == nil && s == key {
			return true
		}
	}
	return false
}

// inQuery reports whether key is the value of a query parameter.
func inQuery(query, key string) bool {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	for _, vs := range vals {
		for _, v := range vs {
			if v == key {
				return true
			}
		}
	}
	return false
}

// lines writes the trace under its example in a gate's evidence, each
// entry named by its journal file and seq.
func (t *Trace) lines() (out []string) {
	if t == nil {
		return nil
	}
	zero := t.zero
	defer func() {
		if t.Unsearched > 0 {
			out = append(out, fmt.Sprintf("  (%d journal entries had lost their bodies to the journal's budget and were not searched)", t.Unsearched))
		}
	}()
	if t.CreatedBy == nil && len(t.Requests) == 0 {
		out = []string{"  no journal entry carries this key"}
		return out
	}
	if t.CreatedBy != nil {
		l := fmt.Sprintf("  created %s: %s", offset(zero, t.Created), t.CreatedBy.describe())
		if len(t.Faults) > 0 {
			l += ", during " + strings.Join(t.Faults, ", ")
		} else {
			l += ", no fault on"
		}
		out = append(out, l)
	} else {
		out = append(out, "  created: not in the journals (seeded, or no longer kept)")
	}
	if len(t.Requests) == 0 {
		out = append(out, "  no request a mock journaled carried it after (a proxy's refusals reach no journal)")
	}
	for _, r := range t.Requests {
		out = append(out, fmt.Sprintf("  %s %s", offset(zero, r.Time), r.describe()))
	}
	if t.More > 0 {
		out = append(out, fmt.Sprintf("  … %d more requests carried it", t.More))
	}
	return out
}

// describe names an entry, its answer and where it is kept.
func (r Traced) describe() string {
	what := r.System + " " + r.Method + " " + r.Path
	if r.Direction == "webhook" {
		what = r.System + " webhook " + r.Method + " " + r.Path
	}
	answer := strconv.Itoa(r.Status)
	switch {
	case r.Error != "":
		answer = "no answer (" + r.Error + ")"
	case r.Status == 0:
		answer = "no answer"
	}
	if r.Fault != "" {
		answer += " (fault " + r.Fault + ")"
	}
	return fmt.Sprintf("%s → %s [journal-%s.jsonl #%d]", what, answer, r.System, r.Seq)
}
