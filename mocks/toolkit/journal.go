package toolkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultJournalSize is how many exchanges a journal keeps before it drops
// the oldest: memory stays bounded however long a mock runs.
const DefaultJournalSize = 10_000

// Entry is one exchange a mock took part in: a request it answered, or a
// webhook delivery it attempted. The ci package reads entries to judge the
// integration's resilience, so the fields are the facts a gate needs.
type Entry struct {
	Seq       uint64        `json:"seq"`              // order of arrival, from 1
	System    string        `json:"system"`           // the mock's name
	Time      time.Time     `json:"time"`             // when the request arrived
	Duration  time.Duration `json:"duration_ns"`      // until the answer was written
	Direction string        `json:"direction"`        // "inbound" (request to the mock) or "webhook" (delivery by it)
	Client    string        `json:"client,omitempty"` // remote address, or the credential that identified it

	Method    string      `json:"method"`
	Path      string      `json:"path"`                // as sent, without the query
	Query     string      `json:"query,omitempty"`     // raw query
	Operation string      `json:"operation,omitempty"` // operationId (or METHOD template); GraphQL: operation name or root field
	Template  string      `json:"template,omitempty"`  // the contract's path template
	Header    http.Header `json:"header,omitempty"`    // secrets masked
	Body      Body        `json:"body,omitempty"`      // truncated to MaxJournalBody

	Status         int         `json:"status"`
	ResponseHeader http.Header `json:"response_header,omitempty"`
	ResponseBody   Body        `json:"response_body,omitempty"`

	Violations []Violation `json:"violations,omitempty"` // why the request broke the contract
	Valid      bool        `json:"valid"`                // the request conformed to the contract

	// Vendor behaviours and faults that shaped the answer.
	Throttled      bool   `json:"throttled,omitempty"`       // refused by the rate limiter
	IdempotencyKey string `json:"idempotency_key,omitempty"` // the key sent, if any
	Replayed       bool   `json:"replayed,omitempty"`        // answered from the idempotency store
	Fault          string `json:"fault,omitempty"`           // the injected fault that shaped the answer
	Error          string `json:"error,omitempty"`           // transport error of a webhook attempt

	// Ignored names the query parameters the mock could not interpret and
	// answered without (a stateful list's filter it cannot read).
	Ignored []string `json:"ignored,omitempty"`
}

// OriginHeader is the header with which firedrill's load marks its own
// requests (OriginLoad): a mock journals them like any other, and the
// gates leave them out, since they judge the service's traffic.
const (
	OriginHeader = "X-Firedrill-Origin"
	OriginLoad   = "load"
)

// FromLoad reports whether the request was sent by firedrill's load rather
// than by the service under test.
func (e *Entry) FromLoad() bool {
	return e.Direction != "webhook" && e.Header.Get(OriginHeader) == OriginLoad
}

// Body is a body kept in the journal. In JSON it is the text itself when it
// is UTF-8, which is what a reader of /__firedrill/requests or of a run's
// journal-SYSTEM.jsonl wants to see, and {"base64": "..."} when it is not
// (an image, a gzip body, a body cut inside a character), so every byte
// comes back as it was sent.
type Body []byte

// MarshalJSON writes the body as a string, or base64 in an object.
func (b Body) MarshalJSON() ([]byte, error) {
	if utf8.Valid(b) {
		return json.Marshal(string(b))
	}
	return json.Marshal(binaryBody{Base64: b})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Body) UnmarshalJSON(data []byte) error {
	switch {
	case string(data) == "null":
		*b = nil
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("mocks: journal body: %w", err)
		}
		*b = Body(s)
		return nil
	}
	var v binaryBody
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("mocks: journal body: want a string or {\"base64\": ...}: %w", err)
	}
	*b = v.Base64
	return nil
}

type binaryBody struct {
	Base64 []byte `json:"base64"`
}

// MaxJournalBody bounds the bytes of one body kept in the journal.
const MaxJournalBody = 64 << 10

// Filter selects journal entries; zero fields match everything.
type Filter struct {
	Operation string
	Method    string
	Status    int
	Since     time.Time
	Until     time.Time
}

func (f Filter) match(e *Entry) bool {
	switch {
	case f.Operation != "" && e.Operation != f.Operation:
		return false
	case f.Method != "" && e.Method != f.Method:
		return false
	case f.Status != 0 && e.Status != f.Status:
		return false
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && e.Time.After(f.Until):
		return false
	}
	return true
}

// Journal is a bounded ring of entries, safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	entries []Entry
	next    int    // where the next entry goes
	full    bool   // the ring has wrapped
	seq     uint64 // entries ever recorded
}

// NewJournal returns a journal that keeps the last size entries
// (DefaultJournalSize when size <= 0).
func NewJournal(size int) *Journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &Journal{entries: make([]Entry, size)}
}

// Record appends e, stamping its sequence number, and returns that number.
func (j *Journal) Record(e Entry) uint64 {
	// Copies, not sub-slices: a truncated body must not keep the whole
	// original in memory for as long as the entry lives.
	if len(e.Body) > MaxJournalBody {
		e.Body = append([]byte(nil), e.Body[:MaxJournalBody]...)
	}
	if len(e.ResponseBody) > MaxJournalBody {
		e.ResponseBody = append([]byte(nil), e.ResponseBody[:MaxJournalBody]...)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.entries[j.next] = e
	j.next++
	if j.next == len(j.entries) {
		j.next, j.full = 0, true
	}
	return e.Seq
}

// Entries returns the kept entries that match f, oldest first.
func (j *Journal) Entries(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	visit := func(es []Entry) {
		for i := range es {
			if f.match(&es[i]) {
				out = append(out, es[i])
			}
		}
	}
	if j.full {
		visit(j.entries[j.next:])
	}
	visit(j.entries[:j.next])
	return out
}

// Total is how many entries were ever recorded, including those the ring dropped.
func (j *Journal) Total() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Reset empties the journal.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full, j.seq = 0, false, 0
}
