package toolkit

import (
	"crypto/sha256"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// statusFault answers an error status instead of the operation.
type statusFault struct {
	id         string
	status     int
	retryAfter time.Duration
	label      string
}

func newStatusFault(p *faultParams) injector {
	f := &statusFault{id: p.f.ID}
	f.status = p.integer("status")
	f.retryAfter = p.duration("retry_after")
	f.label = "status " + strconv.Itoa(f.status)
	return f
}

func (f *statusFault) shape(w http.ResponseWriter, x *Exchange, _ HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ceilSeconds(f.retryAfter)))
	}
	WriteProblem(w, f.status, Problem{Title: http.StatusText(f.status), Detail: "injected by fault " + f.id, Operation: x.Operation})
	return f.label
}

func ceilSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// Defaults of the rate_limited fault: the headers GitHub, Twitter and many
// others send.
const (
	DefaultRateLimitLimitHeader     = "X-RateLimit-Limit"
	DefaultRateLimitRemainingHeader = "X-RateLimit-Remaining"
	DefaultRateLimitResetHeader     = "X-RateLimit-Reset"
)

// rateLimitedFault answers 429 as a vendor's limiter does.
type rateLimitedFault struct {
	id                               string
	retryAfter                       time.Duration
	limit, remaining                 int
	reset                            string // "delta" seconds or "epoch" seconds
	limitHdr, remainingHdr, resetHdr string
	now                              func() time.Time
	label                            string
}

func newRateLimitedFault(p *faultParams) injector {
	f := &rateLimitedFault{id: p.f.ID, now: time.Now}
	f.retryAfter = p.duration("retry_after")
	f.limit = p.integer("limit")
	f.remaining = p.integer("remaining")
	f.reset = p.str("reset")
	f.limitHdr = p.str("limit_header")
	f.remainingHdr = p.str("remaining_header")
	f.resetHdr = p.str("reset_header")
	for name, h := range map[string]string{"limit_header": f.limitHdr, "remaining_header": f.remainingHdr, "reset_header": f.resetHdr} {
		if h != "" && !validHeaderName(h) {
			p.problem(name, "%q is not a header name", h)
		}
	}
	f.label = "rate_limited 429 retry_after=" + strconv.Itoa(ceilSeconds(f.retryAfter)) + "s"
	return f
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return s != ""
}

func (f *rateLimitedFault) shape(w http.ResponseWriter, x *Exchange, _ HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	secs := ceilSeconds(f.retryAfter)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	if f.limitHdr != "" {
		h.Set(f.limitHdr, strconv.Itoa(f.limit))
	}
	if f.remainingHdr != "" {
		h.Set(f.remainingHdr, strconv.Itoa(f.remaining))
	}
	if f.resetHdr != "" {
		reset := int64(secs)
		if f.reset == "epoch" {
			reset = f.now().Add(f.retryAfter).Unix()
		}
		h.Set(f.resetHdr, strconv.FormatInt(reset, 10))
	}
	x.Entry.Throttled = true
	WriteProblem(w, http.StatusTooManyRequests, Problem{Title: "Too Many Requests", Detail: "rate limited by fault " + f.id + "; retry after " + strconv.Itoa(secs) + "s", Operation: x.Operation})
	return f.label
}

// DefaultMaxCredentials bounds the credentials an expired_credentials fault
// remembers; beyond it, the oldest are forgotten.
const DefaultMaxCredentials = 100_000

// expiredCredentialsFault makes credentials expire: a request whose
// credential the rate picks gets 401 with WWW-Authenticate, and so does
// every later request with that credential. Authenticating again means
// sending a credential the fault has not seen while some expired one is
// still unrenewed: that new credential counts as the renewal (one per
// expired credential) and is never expired by this fault. Any other
// credential, new or known, is subject to the rate. Requests without a
// credential are left to the mock's own validation.
type expiredCredentialsFault struct {
	id        string
	challenge string
	max       int

	mu      sync.Mutex
	state   map[[sha256.Size]byte]credState
	order   [][sha256.Size]byte // for forgetting the oldest
	pending int                 // expired credentials not yet renewed
}

type credState uint8

const (
	credSeen credState = iota + 1
	credExpired
	credRenewed
)

func newExpiredCredentialsFault(p *faultParams) injector {
	f := &expiredCredentialsFault{id: p.f.ID, state: map[[sha256.Size]byte]credState{}}
	f.challenge = p.str("challenge")
	f.max = p.integer("max_credentials")
	return f
}

func (f *expiredCredentialsFault) shape(w http.ResponseWriter, x *Exchange, _ HandlerFunc, d draw) string {
	cred, ok := requestCredential(x)
	if !ok {
		return ""
	}
	if !f.expires(cred, d.hit) {
		return ""
	}
	challenge := f.challenge
	switch {
	case challenge != "":
	case x.Contract != nil:
		challenge = x.Contract.Challenge()
	default:
		challenge = `Bearer realm="firedrill"`
	}
	w.Header().Set("WWW-Authenticate", challenge+`, error="invalid_token", error_description="The access token expired"`)
	WriteProblem(w, http.StatusUnauthorized, Problem{Title: "Credentials expired", Detail: "expired by fault " + f.id + "; authenticate again", Operation: x.Operation})
	return "expired_credentials"
}

// expires records the request's credential and says whether it is refused.
func (f *expiredCredentialsFault) expires(cred [sha256.Size]byte, hit bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, known := f.state[cred]
	switch {
	case st == credExpired:
		return true
	case st == credRenewed:
		return false
	case !known && f.pending > 0:
		f.pending--
		f.remember(cred, credRenewed)
		return false
	case hit:
		f.pending++
		f.remember(cred, credExpired)
		return true
	case !known:
		f.remember(cred, credSeen)
	}
	return false
}

func (f *expiredCredentialsFault) remember(cred [sha256.Size]byte, st credState) {
	if _, ok := f.state[cred]; !ok {
		f.order = append(f.order, cred)
		for len(f.order) > f.max {
			delete(f.state, f.order[0])
			f.order = f.order[1:]
		}
	}
	f.state[cred] = st
}

// requestCredential digests what identifies the client: the Authorization
// header and the values of the contract's API-key parameters.
func requestCredential(x *Exchange) ([sha256.Size]byte, bool) {
	r := x.Request
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"\x00"+v)
		}
	}
	add("authorization", r.Header.Get("Authorization"))
	var schemes map[string]*openapi3.SecurityScheme
	if x.Contract != nil {
		_, schemes = x.Contract.Security()
	}
	for _, s := range schemes {
		if s.Type != "apiKey" {
			continue
		}
		switch s.In {
		case "header":
			add("header:"+s.Name, r.Header.Get(s.Name))
		case "query":
			add("query:"+s.Name, r.URL.Query().Get(s.Name))
		case "cookie":
			if c, err := r.Cookie(s.Name); err == nil {
				add("cookie:"+s.Name, c.Value)
			}
		}
	}
	if len(parts) == 0 {
		return [sha256.Size]byte{}, false
	}
	sort.Strings(parts)
	return sha256.Sum256([]byte(strings.Join(parts, "\x00\x00"))), true
}
