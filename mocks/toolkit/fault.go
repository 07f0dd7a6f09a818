package toolkit

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The kinds of HTTP fault a mock applies (see HTTPFault).
const (
	FaultStatus             = "status"              // an error status, body problem+json
	FaultRateLimited        = "rate_limited"        // 429 with Retry-After and X-RateLimit-*
	FaultSlow               = "slow"                // headers delayed, body trickled
	FaultTruncated          = "truncated"           // a valid answer cut mid-body
	FaultMalformed          = "malformed"           // a body that is not JSON
	FaultBadData            = "bad_data"            // JSON that breaks the response schema
	FaultExpiredCredentials = "expired_credentials" // 401 until the client authenticates again
)

// faultBlock is how many requests share one draw of a fault's hits: over
// every block the count of hits is its rate to the request (carried over
// from block to block), spread at seeded random places inside the block.
const faultBlock = 100

// Errors of a FaultSet.
var (
	// ErrFaultInvalid wraps every problem with a fault's kind, rate or
	// parameters.
	ErrFaultInvalid = errors.New("invalid fault")
	// ErrFaultExists is returned when adding a fault whose id is taken.
	ErrFaultExists = errors.New("fault id already in use")
)

// HTTPFault is a fault a mock applies to the answers of its operations,
// one Kind among FaultStatus, FaultRateLimited, FaultSlow, FaultTruncated,
// FaultMalformed, FaultBadData and FaultExpiredCredentials; FaultCatalogue
// describes each kind and its parameters.
//
// Which requests it hits is a pure function of the set's seed, the fault's
// ID and the request's number among those the fault saw: the same run with
// the same seed hits the same requests. Over every 100 requests the count
// of hits is exactly Rate times 100 (fractions carry over), placed at random
// within those 100.
type HTTPFault struct {
	// ID names the fault in the set; empty gets "<kind>-<n>" on Add.
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind"`
	// Rate is the share of requests hit, in (0, 1]; 0 means 1 (every
	// request).
	Rate float64 `json:"rate,omitempty"`
	// Operation restricts the fault to one operation; empty means every
	// operation. On an OpenAPI mock it is an operationId or "METHOD
	// /template". On a GraphQL mock it is a root field of the schema's
	// Query, Mutation or Subscription type (inventorySetQuantities): the
	// fault hits every request that selects that field at its root, under
	// an alias or not, and any request whose operation name is that name;
	// a request to another path than the mock's runs no operation and is
	// not hit. A mock checks the name against its contract
	// (CheckOperations), so a misspelled one is refused, not made into a
	// fault that hits nothing.
	Operation string `json:"operation,omitempty"`
	// Params are the kind's parameters, as text (durations like "2s").
	Params map[string]string `json:"params,omitempty"`
}

// NewHTTPFault builds a fault from a kind and flat parameters, as a
// scenario file or a chaos timeline event carries them: the common
// parameters (FaultCommonParams: "rate", "operation" and "id") fill the
// fields of that name, the rest are the kind's parameters (FaultCatalogue).
// The fault is checked as Add checks it.
func NewHTTPFault(kind string, params map[string]string) (HTTPFault, error) {
	f := HTTPFault{Kind: kind}
	for k, v := range params {
		switch k {
		case FaultParamRate:
			r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(r > 0 && r <= 1) {
				return HTTPFault{}, fmt.Errorf("mocks: fault %s: rate %q is not a number in (0, 1]: %w", kind, v, ErrFaultInvalid)
			}
			f.Rate = r
		case FaultParamOperation:
			f.Operation = v
		case FaultParamID:
			f.ID = v
		default:
			if f.Params == nil {
				f.Params = map[string]string{}
			}
			f.Params[k] = v
		}
	}
	if _, err := compileFault(0, f); err != nil {
		return HTTPFault{}, err
	}
	return f, nil
}

// Hits reports whether f, in a set seeded with seed, hits the request
// numbered n (from 0) among those it sees: a pure function of the seed,
// f.ID, f.Rate (0 is 1) and n, so a run's faults can be predicted and
// replayed request for request.
func (f HTTPFault) Hits(seed int64, n uint64) bool {
	rate := f.Rate
	if rate == 0 {
		rate = 1
	}
	return faultHit(faultKey(seed, f.ID), rate, n)
}

// ActiveFault is a fault in a set, with what it did so far.
type ActiveFault struct {
	HTTPFault
	Requests uint64 `json:"requests"` // requests the fault saw
	Hits     uint64 `json:"hits"`     // answers it shaped
}

// FaultSet holds the HTTP faults of one or more mocks: a mock with stages
// runs its Stage (the OpenAPI mock's WithFaults), any other handler goes
// behind its Handler, and its AdminHandler switches faults on and off at
// run time. It is safe to change while requests are served: each request
// sees the faults active when it reached the set.
type FaultSet struct {
	seed   int64
	mu     sync.Mutex // serialises writers
	faults atomic.Pointer[[]*activeFault]
	nextID map[string]int
	check  func(operation string) error // CheckOperations'; guarded by mu
}

// CheckOperations makes Add refuse a fault whose Operation check refuses:
// a mock passes its contract's check, so that a misspelled operation,
// however the fault arrives (a declaration, the timeline, the admin API),
// is refused with the reason check gives rather than made into a fault
// that hits nothing. nil checks nothing (the default).
func (fs *FaultSet) CheckOperations(check func(operation string) error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.check = check
}

// NewFaultSet returns an empty set whose rates are drawn from seed.
func NewFaultSet(seed int64) *FaultSet {
	fs := &FaultSet{seed: seed, nextID: map[string]int{}}
	fs.faults.Store(&[]*activeFault{})
	return fs
}

// Seed is the seed the set's rates are drawn from.
func (fs *FaultSet) Seed() int64 { return fs.seed }

// Add checks f and switches it on, returning its id (f.ID, or one made
// up). A problem with f wraps ErrFaultInvalid and names the field or
// parameter; an id in use gives ErrFaultExists.
func (fs *FaultSet) Add(f HTTPFault) (string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.ID == "" {
		for {
			fs.nextID[f.Kind]++
			f.ID = f.Kind + "-" + strconv.Itoa(fs.nextID[f.Kind])
			if fs.find(f.ID) == nil {
				break
			}
		}
	}
	af, err := compileFault(fs.seed, f)
	if err != nil {
		return "", err
	}
	if fs.check != nil && f.Operation != "" {
		if err := fs.check(f.Operation); err != nil {
			return "", fmt.Errorf("mocks: fault %s: %v: %w", faultName(f), err, ErrFaultInvalid)
		}
	}
	if fs.find(f.ID) != nil {
		return "", fmt.Errorf("mocks: fault %q: %w", f.ID, ErrFaultExists)
	}
	old := *fs.faults.Load()
	next := make([]*activeFault, len(old), len(old)+1)
	copy(next, old)
	next = append(next, af)
	fs.faults.Store(&next)
	return f.ID, nil
}

// Remove switches off the fault with id, reporting whether it was there.
func (fs *FaultSet) Remove(id string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	old := *fs.faults.Load()
	next := make([]*activeFault, 0, len(old))
	for _, f := range old {
		if f.spec.ID != id {
			next = append(next, f)
		}
	}
	fs.faults.Store(&next)
	return len(next) != len(old)
}

// Clear switches every fault off.
func (fs *FaultSet) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults.Store(&[]*activeFault{})
}

// List returns the active faults in the order they were added.
func (fs *FaultSet) List() []ActiveFault {
	faults := *fs.faults.Load()
	out := make([]ActiveFault, len(faults))
	for i, f := range faults {
		out[i] = ActiveFault{HTTPFault: f.spec, Requests: f.n.Load(), Hits: f.hits.Load()}
	}
	return out
}

// Activate switches f on and returns how to switch it off: the shape of a
// fault on a chaos timeline. The revert is idempotent (a fault already gone
// counts as removed). Adapt it with chaos.FaultFunc:
//
//	chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
//		revert, err := fs.Activate(ctx, f)
//		return chaos.Revert(revert), err
//	})
func (fs *FaultSet) Activate(ctx context.Context, f HTTPFault) (func(context.Context) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mocks: fault %s: %w", f.Kind, err)
	}
	id, err := fs.Add(f)
	if err != nil {
		return nil, err
	}
	return func(context.Context) error { fs.Remove(id); return nil }, nil
}

func (fs *FaultSet) find(id string) *activeFault {
	for _, f := range *fs.faults.Load() {
		if f.spec.ID == id {
			return f
		}
	}
	return nil
}

// activeFault is a checked fault with its counters.
type activeFault struct {
	spec HTTPFault
	key  uint64 // of the seed and the id
	inj  injector
	n    atomic.Uint64 // requests seen
	hits atomic.Uint64

	mu    sync.Mutex // guards the cached draw of one block
	block uint64
	drawn bool
	hit   [faultBlock]bool
}

// injector shapes the answer to x when the fault applies to it: it returns
// the label for the journal, or "" when it left the request alone (next not
// called then). hit says whether the fault's rate picked this request.
type injector interface {
	shape(w http.ResponseWriter, x *Exchange, next HandlerFunc, d draw) string
}

// draw is the decision of a fault for one request.
type draw struct {
	hit bool
	n   uint64 // the request's number among those the fault saw, from 0
	key uint64 // the fault's key, to seed choices made for the request
}

func compileFault(seed int64, f HTTPFault) (*activeFault, error) {
	spec, ok := faultKinds[f.Kind]
	if !ok {
		return nil, fmt.Errorf("mocks: fault %s: kind %q is not one of %v: %w", faultName(f), f.Kind, FaultKinds(), ErrFaultInvalid)
	}
	switch {
	case math.IsNaN(f.Rate) || f.Rate < 0 || f.Rate > 1:
		return nil, fmt.Errorf("mocks: fault %s: rate %v is not in (0, 1]: %w", faultName(f), f.Rate, ErrFaultInvalid)
	case f.Rate == 0:
		f.Rate = 1
	}
	p := newFaultParams(f, spec)
	inj := spec.build(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	f.Params = cloneParams(f.Params)
	return &activeFault{spec: f, key: faultKey(seed, f.ID), inj: inj}, nil
}

func cloneParams(p map[string]string) map[string]string {
	if p == nil {
		return nil
	}
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// Stage applies the set's faults to the exchanges of next: every fault
// that covers the operation counts the request; the first (in the order
// added) that takes it shapes the answer. Put it outside the vendor
// behaviours (idempotency keys...) so that a faulted answer is what the
// client sees, not what the vendor stored: a retry with the same key then
// gets the real answer, as from a vendor whose answer was lost on the way.
func (fs *FaultSet) Stage(next HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, x *Exchange) {
		fs.serve(w, x, next)
	}
}

// serve answers x through the first fault that takes it, else through next.
// A fault that answers without the operation (a 503, a 429, a 401) leaves
// the request to be judged against the contract by the mock after the
// stages, so the journal still says whether it conformed.
func (fs *FaultSet) serve(w http.ResponseWriter, x *Exchange, next HandlerFunc) {
	done := false
	for _, f := range *fs.faults.Load() {
		if f.spec.Operation != "" && !x.Is(f.spec.Operation) {
			continue
		}
		d := f.decide()
		if done {
			continue
		}
		if label := f.inj.shape(w, x, next, d); label != "" {
			f.hits.Add(1)
			x.Entry.Fault = label
			done = true
		}
	}
	if !done {
		next(w, x)
	}
}

// decide counts a request and says whether the fault's rate picks it.
func (f *activeFault) decide() draw {
	n := f.n.Add(1) - 1
	d := draw{n: n, key: f.key}
	if f.spec.Rate >= 1 {
		d.hit = true
		return d
	}
	b := n / faultBlock
	f.mu.Lock()
	if !f.drawn || f.block != b {
		f.hit = drawBlock(f.key, f.spec.Rate, b)
		f.block, f.drawn = b, true
	}
	d.hit = f.hit[n%faultBlock]
	f.mu.Unlock()
	return d
}

// faultHit says whether request n of the fault with key and rate is hit: a
// pure function, which decide caches per block.
func faultHit(key uint64, rate float64, n uint64) bool {
	if rate >= 1 {
		return true
	}
	return drawBlock(key, rate, n/faultBlock)[n%faultBlock]
}

// drawBlock places the hits of block b: the count is the share of the
// cumulative rate that falls in the block (so any run of whole blocks has
// exactly rate × requests hits, to one), the places a seeded shuffle.
func drawBlock(key uint64, rate float64, b uint64) [faultBlock]bool {
	phase := unitFloat(mix64(key ^ 0x5bd1e9955bd1e995))
	per := float64(faultBlock) * rate
	count := int(math.Floor(float64(b+1)*per+phase) - math.Floor(float64(b)*per+phase))
	count = max(0, min(faultBlock, count))
	var order [faultBlock]int
	for i := range order {
		order[i] = i
	}
	s := mix64(key ^ (b+1)*0x9e3779b97f4a7c15)
	for i := faultBlock - 1; i > 0; i-- {
		s = mix64(s)
		j := int(s % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	var hit [faultBlock]bool
	for _, p := range order[:count] {
		hit[p] = true
	}
	return hit
}

// faultKey mixes the set's seed and a fault's id.
func faultKey(seed int64, id string) uint64 { return mix64(uint64(seed) ^ mix64(hash64(id))) }

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix64 is SplitMix64's finaliser: a bijective, well-spread hash.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unitFloat maps z to [0, 1).
func unitFloat(z uint64) float64 { return float64(z>>11) / (1 << 53) }
