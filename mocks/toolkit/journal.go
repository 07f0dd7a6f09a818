package toolkit

import (
	"crypto/sha256"
	"encoding/hex"
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
	// DefaultJournalBodyBytes is how many bytes of request and response
	// bodies a journal keeps (Journal.SetMaxBodyBytes): past it, the oldest
	// entries lose their bodies first and say so (Entry.Truncated), while
	// the rest of each entry stays. Bodies are most of what a journal holds.
	DefaultJournalBodyBytes = 4 << 20
	// MockMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
	// of a process that only serves mocks (firedrill mock), unless GOMEMLIMIT
	// says otherwise: a mock's memory is bounded by design (the journal's
	// entries and body budget, the stores' limits), about 20 MiB of live heap
	// once the default journal is full, so the limit has the collector hand
	// back what a burst (a journal read, a large seed) took, instead of
	// letting the heap double, while leaving room above the live heap.
	MockMemoryLimit = 48 << 20
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
	// BodyDigest is the SHA-256 (hex) of the body the journal dropped to
	// stay within its body budget: a reader can still tell two requests'
	// bodies apart (the bytes kept before the drop, so of the cut body
	// when the body was cut).
	BodyDigest string `json:"body_sha256,omitempty"`

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
	// values past MaxJournalValue, bodies past MaxJournalBody, and bodies
	// dropped whole, oldest first, to stay within the journal's body budget
	// (SetMaxBodyBytes): those are kept empty.
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
	// After keeps the entries recorded after the one of that sequence
	// number: the cursor of a paged read.
	After uint64
	// Limit is how many matching entries a read returns at most, the
	// oldest first (all when 0): a page.
	Limit int
}

func (f Filter) match(e *Entry) bool {
	switch {
	case e.Seq <= f.After:
		return false
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
// (SetMaxBytes), the newest bodies within a body budget (SetMaxBodyBytes),
// and counts what it dropped (Stats).
type Journal struct {
	mu       sync.Mutex
	entries  []Entry // a ring: n entries from start, of seq-n+1 to seq
	sizes    []int64 // entrySize of each slot
	start, n int
	bytes    int64 // the size of the entries kept
	maxBytes int64
	seq      uint64 // entries ever recorded
	changes  uint64 // of them, requests that may change data (Changes)
	dropped  uint64 // entries dropped to keep within the bounds
	dropB    int64  // and their bytes

	// The body budget: the first bare entries of the ring have lost their
	// bodies; the others hold bodyBytes of them.
	bare         int
	bodyBytes    int64
	maxBodyBytes int64
	bodiesDrop   uint64 // entries whose bodies were dropped
	bodiesDropB  int64  // and those bodies' bytes
}

// JournalStats is what a journal holds and what it dropped to stay within
// its bounds.
type JournalStats struct {
	Total        uint64 `json:"total"`         // entries ever recorded, Journal.Total
	Changes      uint64 `json:"changes"`       // of them, requests that may change data, Journal.Changes
	Kept         int    `json:"kept"`          // entries kept
	KeptBytes    int64  `json:"kept_bytes"`    // their size
	Dropped      uint64 `json:"dropped"`       // entries dropped, oldest first, to stay within the bounds
	DroppedBytes int64  `json:"dropped_bytes"` // their size
	MaxEntries   int    `json:"max_entries"`   // the count bound
	MaxBytes     int64  `json:"max_bytes"`     // the byte bound
	// The body budget: the bytes of bodies kept, the entries whose bodies
	// were dropped, oldest first, to stay within it, and their bytes.
	BodyBytes          int64  `json:"body_bytes"`
	BodiesDropped      uint64 `json:"bodies_dropped"`
	BodiesDroppedBytes int64  `json:"bodies_dropped_bytes"`
	MaxBodyBytes       int64  `json:"max_body_bytes"`
}

// NewJournal returns a journal that keeps the last size entries
// (DefaultJournalSize when size <= 0), within DefaultJournalBytes, their
// bodies within DefaultJournalBodyBytes.
func NewJournal(size int) *Journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &Journal{entries: make([]Entry, size), sizes: make([]int64, size), maxBytes: DefaultJournalBytes,
		maxBodyBytes: DefaultJournalBodyBytes}
}

// SetMaxBodyBytes sets the body budget (DefaultJournalBodyBytes when
// n <= 0), dropping the oldest bodies at once when they exceed it. The
// newest entry keeps its bodies, whatever their size (at most two
// MaxJournalBody).
func (j *Journal) SetMaxBodyBytes(n int64) {
	if n <= 0 {
		n = DefaultJournalBodyBytes
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.maxBodyBytes = n
	j.trimBodies()
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
	if mayChange(e.Method) {
		j.changes++
	}
	if j.n == len(j.entries) {
		j.dropOldest()
	}
	j.trim(size)
	i := (j.start + j.n) % len(j.entries)
	j.entries[i], j.sizes[i] = e, size
	j.n++
	j.bytes += size
	j.bodyBytes += int64(len(e.Body) + len(e.ResponseBody))
	j.trimBodies()
	return e.Seq
}

// trimBodies drops the bodies of the oldest entries that still have them
// until the bodies kept fit the budget, or only the newest entry's are left.
func (j *Journal) trimBodies() {
	for j.bodyBytes > j.maxBodyBytes && j.bare < j.n-1 {
		i := (j.start + j.bare) % len(j.entries)
		e := &j.entries[i]
		if b := int64(len(e.Body) + len(e.ResponseBody)); b > 0 {
			if len(e.Body) > 0 {
				sum := sha256.Sum256(e.Body)
				e.BodyDigest = hex.EncodeToString(sum[:])
				e.Body = nil
				if !slices.Contains(e.Truncated, "body") {
					e.Truncated = append(e.Truncated, "body")
				}
			}
			if len(e.ResponseBody) > 0 {
				e.ResponseBody = nil
				if !slices.Contains(e.Truncated, "response_body") {
					e.Truncated = append(e.Truncated, "response_body")
				}
			}
			j.bodyBytes -= b
			j.bodiesDrop++
			j.bodiesDropB += b
			size := entrySize(e)
			j.bytes += size - j.sizes[i]
			j.sizes[i] = size
		}
		j.bare++
	}
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
	e := &j.entries[j.start]
	j.bodyBytes -= int64(len(e.Body) + len(e.ResponseBody))
	if j.bare > 0 {
		j.bare--
	}
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
		len(e.Operation) + len(e.Template) + len(e.IdempotencyKey) + len(e.Fault) + len(e.Error) + len(e.BodyDigest) +
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

// Total is how many entries were ever recorded, including those the ring
// dropped (Stats says how many it dropped).
func (j *Journal) Total() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Changes is how many of the entries ever recorded were requests that may
// change data: any method but GET, HEAD and OPTIONS (a GraphQL query is a
// POST, and counts). A sync that polls a vendor keeps reading while it has
// nothing left to write; settling waits for the writes to stop.
func (j *Journal) Changes() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changes
}

func mayChange(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Stats says what the journal keeps and what it dropped.
func (j *Journal) Stats() JournalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return JournalStats{Total: j.seq, Changes: j.changes, Kept: j.n, KeptBytes: j.bytes, Dropped: j.dropped, DroppedBytes: j.dropB,
		MaxEntries: len(j.entries), MaxBytes: j.maxBytes,
		BodyBytes: j.bodyBytes, BodiesDropped: j.bodiesDrop, BodiesDroppedBytes: j.bodiesDropB, MaxBodyBytes: j.maxBodyBytes}
}

// Reset empties the journal and its counts; the bounds stay.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	clear(j.sizes)
	j.start, j.n, j.bytes, j.seq, j.changes, j.dropped, j.dropB = 0, 0, 0, 0, 0, 0, 0
	j.bare, j.bodyBytes, j.bodiesDrop, j.bodiesDropB = 0, 0, 0, 0
}
