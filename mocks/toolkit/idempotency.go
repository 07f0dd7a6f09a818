package toolkit

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Idempotency defaults, as Stripe documents its keys.
const (
	DefaultIdempotencyHeader = "Idempotency-Key"
	DefaultIdempotencyWindow = 24 * time.Hour
	// DefaultIdempotencyKeys bounds the keys kept; the oldest go first.
	DefaultIdempotencyKeys = 100_000
	// DefaultIdempotencyBytes bounds the bytes the keys and their stored
	// answers hold; the oldest go first.
	DefaultIdempotencyBytes = 64 << 20
	// MaxIdempotencyKey is the longest key accepted, in characters, as
	// Stripe documents it; a longer one is refused with 400.
	MaxIdempotencyKey = 255
	// ReplayedHeader marks an answer served from the idempotency store.
	ReplayedHeader = "Idempotent-Replayed"
)

// IdempotencyOptions configure the idempotency-key behaviour.
type IdempotencyOptions struct {
	Header string        // the request header (DefaultIdempotencyHeader)
	Window time.Duration // how long a key is remembered (DefaultIdempotencyWindow)
	// MismatchStatus answers a key reused with another request (422, as Stripe).
	MismatchStatus int
	MaxKeys        int   // DefaultIdempotencyKeys when 0
	MaxBytes       int64 // DefaultIdempotencyBytes when 0
	Now            func() time.Time
	// KeyHeader is the header a vendor reads API keys from, when not
	// X-API-Key (X-Shopify-Access-Token): keys are scoped by the
	// credential, and that header is one.
	KeyHeader string
}

// ParseIdempotency reads idempotency options written as on the command
// line: the header, then optional settings, "Idempotency-Key",
// "Idempotency-Key,window=1h,mismatch=400". window is how long a key is
// remembered (24h by default), mismatch the 4xx a key reused with another
// request gets (422 by default, as Stripe).
func ParseIdempotency(s string) (IdempotencyOptions, error) {
	bad := func(format string, a ...any) (IdempotencyOptions, error) {
		return IdempotencyOptions{}, fmt.Errorf("mocks: idempotency %q: %s (want HEADER[,window=24h][,mismatch=422])", s, fmt.Sprintf(format, a...))
	}
	parts := strings.Split(s, ",")
	o := IdempotencyOptions{Header: strings.TrimSpace(parts[0])}
	if !validHeaderName(o.Header) {
		return bad("%q is not a header name", o.Header)
	}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "window":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return bad("window %q is not a positive duration", v)
			}
			o.Window = d
		case "mismatch":
			n, err := strconv.Atoi(v)
			if err != nil || n < 400 || n > 499 {
				return bad("mismatch %q is not a 4xx status", v)
			}
			o.MismatchStatus = n
		default:
			return bad("unknown setting %q (known: window, mismatch)", k)
		}
	}
	return o, nil
}

// Idempotency honours idempotency keys the way Stripe documents them: the
// first unsafe request with a key is processed and its answer stored; a
// repeat with the same key and the same request gets the stored answer
// byte for byte with Idempotent-Replayed: true and changes nothing; the
// same key with a different request is refused; while the first is still
// in flight a repeat is refused too. Keys are scoped to the credential that
// sent them and expire after the window; the oldest go first past MaxKeys
// or MaxBytes. A key longer than MaxIdempotencyKey characters is refused
// (400) and never stored.
// Answers that ask for a retry (429 and 5xx) are not stored: the retry runs
// anew.
//
// Those rules serve both mock kinds from one store. The OpenAPI mock runs
// Stage, which keys a request by its header and answers refusals as
// problems (422 or the MismatchStatus, 409 in flight). The GraphQL mock
// keys a mutation by Shopify's @idempotent directive or by the header, and
// answers refusals as GraphQL errors: it calls Claim, then Finish, Replay
// or its own refusal as the claim's Standing says. Build one with
// NewIdempotency; it is safe for concurrent use.
type Idempotency struct {
	o     IdempotencyOptions
	mu    sync.Mutex
	keys  map[string]*list.Element // of *idemEntry, oldest first
	order *list.List
	bytes int64 // what the entries hold, idemEntry.size
}

type idemEntry struct {
	key      string
	request  [sha256.Size]byte // what the key was first used for
	stored   time.Time
	complete bool
	status   int
	header   http.Header
	body     []byte
}

// size estimates the memory an entry holds.
func (e *idemEntry) size() int64 {
	return int64(256 + 2*len(e.key) + headerSize(e.header) + len(e.body))
}

// NewIdempotency checks o and returns the behaviour it describes.
func NewIdempotency(o IdempotencyOptions) (*Idempotency, error) {
	if o.Header == "" {
		o.Header = DefaultIdempotencyHeader
	}
	if o.Window == 0 {
		o.Window = DefaultIdempotencyWindow
	}
	if o.MismatchStatus == 0 {
		o.MismatchStatus = http.StatusUnprocessableEntity
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultIdempotencyKeys
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultIdempotencyBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.Window < 0:
		return nil, errors.New("mocks: idempotency window must be positive")
	case o.MismatchStatus < 400 || o.MismatchStatus > 499:
		return nil, errors.New("mocks: idempotency mismatch status must be a 4xx")
	case o.MaxKeys < 0:
		return nil, errors.New("mocks: idempotency MaxKeys must be positive")
	case o.MaxBytes < 0:
		return nil, errors.New("mocks: idempotency MaxBytes must be positive")
	}
	return &Idempotency{o: o, keys: map[string]*list.Element{}, order: list.New()}, nil
}

// Header is the request header that carries a key.
func (s *Idempotency) Header() string { return s.o.Header }

// Bytes is how many bytes the keys and their stored answers hold.
func (s *Idempotency) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// Stage applies the keys to the exchanges of next: the key in the header,
// on unsafe methods, for the operation and its body.
func (s *Idempotency) Stage(next HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, x *Exchange) {
		key := x.Request.Header.Get(s.o.Header)
		if key == "" || safeMethod(x.Request.Method) {
			next(w, x)
			return
		}
		x.Entry.IdempotencyKey = key
		c := s.Claim(x.Request, key, []byte(x.Operation+"\x00"), x.Body)
		switch c.Standing {
		case KeyFirst:
			defer c.Forget()
			rec := NewCaptureWriter(w)
			next(rec, x)
			c.Finish(rec.Answer())
		case KeyInFlight:
			x.Entry.Fault = "idempotency: in flight"
			WriteProblem(w, http.StatusConflict, Problem{Title: "Request in progress", Detail: "a request with this idempotency key is still being processed; retry later"})
		case KeyReused:
			x.Entry.Fault = "idempotency: key reused"
			WriteProblem(w, s.o.MismatchStatus, Problem{Title: "Idempotency key reused", Detail: "this key was used with a different request; use a new key for a new request"})
		case KeyTooLong:
			x.Entry.Fault = "idempotency: key too long"
			vs := []Violation{{In: "header", Name: s.o.Header, Message: fmt.Sprintf("the idempotency key is longer than %d characters", MaxIdempotencyKey)}}
			x.Entry.Violations, x.Entry.Valid = vs, false
			WriteProblem(w, http.StatusBadRequest, Problem{Title: "Idempotency key too long", Operation: x.Operation, Violations: vs})
		default:
			x.Entry.Replayed = true
			c.Replay(w)
		}
	}
}

// KeyStanding is where a keyed request stands against the store.
type KeyStanding int

// The standings of a claimed key.
const (
	// KeyFirst: the first request with the key (or the first since it
	// expired or its answer asked for a retry). Run it, then Finish the
	// claim with its answer.
	KeyFirst KeyStanding = iota
	// KeyRepeat: the key's request, done before. Replay its answer.
	KeyRepeat
	// KeyInFlight: the first request with the key is still running.
	KeyInFlight
	// KeyReused: the key was used with another request.
	KeyReused
	// KeyTooLong: the key is longer than MaxIdempotencyKey characters;
	// refuse the request (400). Nothing is stored.
	KeyTooLong
)

// KeyClaim is one keyed request's claim on its key: its Standing, and for a
// first request the right to store the answer, for a repeat the answer to
// replay.
type KeyClaim struct {
	Standing KeyStanding
	Key      string // the key as sent
	s        *Idempotency
	scoped   string
	entry    idemEntry
	done     bool
}

// Claim looks up key, sent by r's credential (its Authorization header,
// else its X-API-Key header, else the client's address), for a request
// that parts describe: what must be the same for a repeat to be one (the
// OpenAPI mock's operation and body, the GraphQL mock's mutation fields and
// their arguments).
func (s *Idempotency) Claim(r *http.Request, key string, parts ...[]byte) *KeyClaim {
	if len(key) > MaxIdempotencyKey && utf8.RuneCountInString(key) > MaxIdempotencyKey {
		return &KeyClaim{Standing: KeyTooLong, Key: key, s: s}
	}
	sum := sha256.New()
	for _, p := range parts {
		sum.Write(p)
	}
	var request [sha256.Size]byte
	copy(request[:], sum.Sum(nil))
	c := &KeyClaim{Key: key, s: s, scoped: credentialOf(r, s.o.KeyHeader) + "\x00" + key}
	e, fresh := s.claim(c.scoped, request)
	c.entry = e
	switch {
	case fresh:
		c.Standing = KeyFirst
	case !e.complete:
		c.Standing = KeyInFlight
	case e.request != request:
		c.Standing = KeyReused
	default:
		c.Standing = KeyRepeat
	}
	return c
}

// Finish stores the answer of a first request (status 0 is 200), or
// forgets the key when the answer asks for a retry (429, 5xx). It does
// nothing for other standings, nor a second time.
func (c *KeyClaim) Finish(status int, header http.Header, body []byte) {
	if c == nil || c.Standing != KeyFirst || c.done {
		return
	}
	c.done = true
	c.s.finish(c.scoped, c.entry, status, header, body)
}

// Forget drops the key of a first request that was never finished (its
// handler panicked), so a retry runs anew instead of waiting out the
// window. It does nothing after Finish.
func (c *KeyClaim) Forget() {
	if c == nil || c.Standing != KeyFirst || c.done {
		return
	}
	c.done = true
	c.s.finish(c.scoped, c.entry, http.StatusInternalServerError, nil, nil)
}

// Replay writes the stored answer of a repeat to w, byte for byte, with
// Idempotent-Replayed: true, and returns the body written.
func (c *KeyClaim) Replay(w http.ResponseWriter) []byte {
	e := c.entry
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body)
	return e.body
}

// Status is the status of the answer a repeat replays.
func (c *KeyClaim) Status() int { return c.entry.status }

// claim returns the entry of key, creating it (fresh) when there is none
// or the one there has expired.
func (s *Idempotency) claim(key string, request [sha256.Size]byte) (idemEntry, bool) {
	now := s.o.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.keys[key]; ok {
		e := el.Value.(*idemEntry)
		if now.Sub(e.stored) < s.o.Window {
			return *e, false
		}
		s.remove(el)
	}
	e := &idemEntry{key: key, request: request, stored: now}
	s.keys[key] = s.order.PushBack(e)
	s.bytes += e.size()
	s.trim()
	return *e, true
}

// trim drops the oldest entries past MaxKeys or MaxBytes; the newest stays.
func (s *Idempotency) trim() {
	for s.order.Len() > s.o.MaxKeys || (s.bytes > s.o.MaxBytes && s.order.Len() > 1) {
		s.remove(s.order.Front())
	}
}

func (s *Idempotency) remove(el *list.Element) {
	e := el.Value.(*idemEntry)
	s.order.Remove(el)
	delete(s.keys, e.key)
	s.bytes -= e.size()
}

// finish stores the answer of the first request, or forgets the key when
// the answer asks for a retry.
func (s *Idempotency) finish(key string, claimed idemEntry, status int, header http.Header, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.keys[key]
	if !ok {
		return
	}
	e := el.Value.(*idemEntry)
	if e.stored != claimed.stored {
		return // expired and claimed again meanwhile
	}
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		s.remove(el)
		return
	}
	s.bytes -= e.size()
	e.complete, e.status, e.header, e.body = true, status, header.Clone(), bytes.Clone(body)
	s.bytes += e.size()
	if s.bytes > s.o.MaxBytes {
		// The newest answer stays; the oldest make room for it.
		s.order.MoveToBack(el)
		s.trim()
	}
}

// credentialOf names who sent a request, so keys of different clients
// never collide: the Authorization header, else the APIKeyHeader, else the
// client's address.
func credentialOf(r *http.Request, keyHeader string) string {
	for _, h := range []string{"Authorization", APIKeyHeader, keyHeader} {
		if h == "" {
			continue
		}
		if a := r.Header.Get(h); a != "" {
			sum := sha256.Sum256([]byte(h + "\x00" + a))
			return string(sum[:])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host
}
