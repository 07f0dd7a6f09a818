package toolkit

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The bounds of a journal: it drops its oldest entries past either, so its
// memory stays bounded however long a mock runs and whatever clients send.
const (
	// DefaultJournalSize is how many exchanges a journal keeps.
	DefaultJournalSize = 10_000
	// DefaultJournalBytes is how many bytes of entries a journal keeps
	// (Journal.SetMaxBytes): headers, query, bodies and the rest, as
	// entrySize counts them.
	DefaultJournalBytes = 64 << 20
	// MaxJournalValue bounds one header value, the query and the
	// idempotency key kept in an entry; longer ones are kept cut, and the
	// entry's Truncated says so.
	MaxJournalValue = 8 << 10
)

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

	// Truncated names what the journal kept cut ("header NAME", "query",
	// "idempotency_key", "body", "response_header NAME", "response_body"):
	// values past MaxJournalValue, bodies past MaxJournalBody.
	Truncated []string `json:"truncated,omitempty"`
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

// Journal is a bounded ring of entries, safe for concurrent use: it keeps
// the newest entries within a count (NewJournal) and a byte bound
// (SetMaxBytes), and counts what it dropped (Stats).
type Journal struct {
	mu       sync.Mutex
	entries  []Entry // a ring: n entries from start
	sizes    []int64 // entrySize of each slot
	start, n int
	bytes    int64 // the size of the entries kept
	maxBytes int64
	seq      uint64 // entries ever recorded
	dropped  uint64 // entries dropped to keep within the bounds
	dropB    int64  // and their bytes
}

// JournalStats is what a journal holds and what it dropped to stay within
// its bounds.
type JournalStats struct {
	Total        uint64 `json:"total"`         // entries ever recorded, Journal.Total
	Kept         int    `json:"kept"`          // entries kept
	KeptBytes    int64  `json:"kept_bytes"`    // their size
	Dropped      uint64 `json:"dropped"`       // entries dropped, oldest first, to stay within the bounds
	DroppedBytes int64  `json:"dropped_bytes"` // their size
	MaxEntries   int    `json:"max_entries"`   // the count bound
	MaxBytes     int64  `json:"max_bytes"`     // the byte bound
}

// NewJournal returns a journal that keeps the last size entries
// (DefaultJournalSize when size <= 0), within DefaultJournalBytes.
func NewJournal(size int) *Journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &Journal{entries: make([]Entry, size), sizes: make([]int64, size), maxBytes: DefaultJournalBytes}
}

// SetMaxBytes sets the byte bound (DefaultJournalBytes when n <= 0),
// dropping the oldest entries at once when they exceed it. The newest
// entry is always kept, whatever its size.
func (j *Journal) SetMaxBytes(n int64) {
	if n <= 0 {
		n = DefaultJournalBytes
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.maxBytes = n
	j.trim(0)
}

// Record appends e, stamping its sequence number, and returns that number.
// Long values are kept cut (MaxJournalValue, MaxJournalBody), as copies:
// a cut value must not keep the whole original in memory for as long as
// the entry lives.
func (j *Journal) Record(e Entry) uint64 {
	e.Truncated = nil
	e.Header = cutHeader(&e, "header ", e.Header)
	if len(e.Query) > MaxJournalValue {
		e.Query = strings.Clone(e.Query[:MaxJournalValue])
		e.Truncated = append(e.Truncated, "query")
	}
	if len(e.IdempotencyKey) > MaxJournalValue {
		e.IdempotencyKey = strings.Clone(e.IdempotencyKey[:MaxJournalValue])
		e.Truncated = append(e.Truncated, "idempotency_key")
	}
	if len(e.Body) > MaxJournalBody {
		e.Body = append([]byte(nil), e.Body[:MaxJournalBody]...)
		e.Truncated = append(e.Truncated, "body")
	}
	e.ResponseHeader = cutHeader(&e, "response_header ", e.ResponseHeader)
	if len(e.ResponseBody) > MaxJournalBody {
		e.ResponseBody = append([]byte(nil), e.ResponseBody[:MaxJournalBody]...)
		e.Truncated = append(e.Truncated, "response_body")
	}
	size := entrySize(&e)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if j.n == len(j.entries) {
		j.dropOldest()
	}
	j.trim(size)
	i := (j.start + j.n) % len(j.entries)
	j.entries[i], j.sizes[i] = e, size
	j.n++
	j.bytes += size
	return e.Seq
}

// trim drops the oldest entries until room more bytes fit, or none is left.
func (j *Journal) trim(room int64) {
	for j.n > 0 && j.bytes+room > j.maxBytes {
		j.dropOldest()
	}
}

func (j *Journal) dropOldest() {
	j.dropped++
	j.dropB += j.sizes[j.start]
	j.bytes -= j.sizes[j.start]
	j.entries[j.start], j.sizes[j.start] = Entry{}, 0
	j.start = (j.start + 1) % len(j.entries)
	j.n--
}

// cutHeader returns h with the values longer than MaxJournalValue cut, in
// a new map when any is (h is the request's own and stays whole), naming
// each cut header in e.Truncated.
func cutHeader(e *Entry, prefix string, h http.Header) http.Header {
	var out http.Header
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for i, v := range h[k] {
			if len(v) <= MaxJournalValue {
				continue
			}
			if out == nil {
				out = h.Clone()
			}
			out[k][i] = strings.Clone(v[:MaxJournalValue])
			if !slices.Contains(e.Truncated, prefix+k) {
				e.Truncated = append(e.Truncated, prefix+k)
			}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// entryOverhead is what an entry costs beside the bytes of its values: the
// struct, slice and map headers.
const entryOverhead = 512

// entrySize estimates the memory an entry holds.
func entrySize(e *Entry) int64 {
	n := entryOverhead + len(e.System) + len(e.Direction) + len(e.Client) + len(e.Method) + len(e.Path) + len(e.Query) +
		len(e.Operation) + len(e.Template) + len(e.IdempotencyKey) + len(e.Fault) + len(e.Error) +
		headerSize(e.Header) + headerSize(e.ResponseHeader) + len(e.Body) + len(e.ResponseBody)
	for _, v := range e.Violations {
		n += 64 + len(v.In) + len(v.Name) + len(v.Pointer) + len(v.Message)
	}
	for _, s := range e.Ignored {
		n += 16 + len(s)
	}
	for _, s := range e.Truncated {
		n += 16 + len(s)
	}
	return int64(n)
}

func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		n += 48 + len(k)
		for _, v := range vs {
			n += 16 + len(v)
		}
	}
	return n
}

// Entries returns the kept entries that match f, oldest first.
func (j *Journal) Entries(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	for k := range j.n {
		e := &j.entries[(j.start+k)%len(j.entries)]
		if f.match(e) {
			out = append(out, *e)
		}
	}
	return out
}

// Total is how many entries were ever recorded, including those the ring
// dropped (Stats says how many it dropped).
func (j *Journal) Total() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Stats says what the journal keeps and what it dropped.
func (j *Journal) Stats() JournalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return JournalStats{Total: j.seq, Kept: j.n, KeptBytes: j.bytes, Dropped: j.dropped, DroppedBytes: j.dropB,
		MaxEntries: len(j.entries), MaxBytes: j.maxBytes}
}

// Reset empties the journal and its counts; the bounds stay.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	clear(j.sizes)
	j.start, j.n, j.bytes, j.seq, j.dropped, j.dropB = 0, 0, 0, 0, 0, 0
}
