package load

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Flow is a business flow: one request or a chain of requests run in order
// once per iteration. The first step is paced by the schedule (open model);
// each later step starts when the one before it answered as expected.
type Flow struct {
	Name  string
	Steps []Step
}

// Step is one request of a flow. URL, header values and string bodies are
// templates: ${seq} (the iteration number, from 1), ${uuid} (a random UUID),
// ${rand} (a seeded random integer), ${rand.N} (a seeded integer from 0
// to N-1, the same for every use within an iteration: buyer-${rand.8}
// spreads the orders over eight buyers) and ${name} for a value captured
// by an earlier step. Write $${ for a literal "${".
type Step struct {
	// Name labels the step's results (vegeta's Attack field); unique per flow.
	Name   string
	Method string // GET when empty
	URL    string
	Header map[string]string
	// Body is sent as is when it is a string or []byte (after expansion), and
	// as JSON otherwise, with ${...} expanded inside every string.
	Body any
	// BodyFunc, when set, makes the JSON body of iteration seq (from a
	// contract example or schema, see ContractBody) and replaces Body.
	BodyFunc func(seq uint64) any
	// Unique lists JSON paths of the body ("id", "customer.email") set to a
	// value unique to the iteration: strings get a UUID, numbers the
	// iteration number.
	Unique []string
	// Expect is the status that counts as success; any 2xx or 3xx when 0.
	Expect int
	// Capture names values of the answer for later steps: {"id": "$.id",
	// "loc": "header:Location"}.
	Capture map[string]string
	// Sign, when set, is called with the rendered header and body of every
	// request of the step, to add a signature as a webhook sender does.
	Sign func(header http.Header, body []byte) error
}

// Built-in iteration variables.
const (
	VarSeq  = "seq"
	VarUUID = "uuid"
	VarRand = "rand"
)

// compiledStep is a Step ready to render targets.
type compiledStep struct {
	Step
	method   string
	url      template
	header   []headerTmpl
	bodyText *template // string body
	bodyJSON any       // structured body with strings already compiled lazily
	unique   [][]pathEl
	captures []capture
	needBody bool
}

type headerTmpl struct {
	key string
	val template
}

// compile validates f and returns its steps ready to run. The error lists
// every problem, each naming the step and field.
func (f Flow) compile() ([]*compiledStep, error) {
	var errs []error
	if len(f.Steps) == 0 {
		return nil, errors.New("load: flow has no steps")
	}
	known := map[string]bool{VarSeq: true, VarUUID: true, VarRand: true}
	names := map[string]bool{}
	out := make([]*compiledStep, 0, len(f.Steps))
	for i, s := range f.Steps {
		at := fmt.Sprintf("load: flow %q step %d (%s)", f.Name, i+1, s.Name)
		bad := func(field string, err error) { errs = append(errs, fmt.Errorf("%s: %s: %w", at, field, err)) }
		if s.Name == "" {
			bad("name", errors.New("missing"))
		} else if names[s.Name] {
			bad("name", fmt.Errorf("%q used twice", s.Name))
		}
		names[s.Name] = true
		cs := &compiledStep{Step: s, method: strings.ToUpper(s.Method)}
		if cs.method == "" {
			cs.method = http.MethodGet
		}
		check := func(field, text string) template {
			t, err := parseTemplate(text)
			if err != nil {
				bad(field, err)
				return t
			}
			for _, r := range t.refs() {
				if _, ranged, err := randRange(r); ranged && err != nil {
					bad(field, err)
				} else if !known[r] && !ranged {
					bad(field, fmt.Errorf("${%s} is neither built in (seq, uuid, rand, rand.N) nor captured by an earlier step", r))
				}
			}
			return t
		}
		if s.URL == "" {
			bad("url", errors.New("missing"))
		}
		cs.url = check("url", s.URL)
		keys := make([]string, 0, len(s.Header))
		for k := range s.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cs.header = append(cs.header, headerTmpl{key: k, val: check("header "+k, s.Header[k])})
		}
		switch b := s.Body.(type) {
		case nil:
		case string:
			t := check("body", b)
			cs.bodyText = &t
		case []byte:
			t := check("body", string(b))
			cs.bodyText = &t
		default:
			walkStrings(b, func(v string) { check("body", v) })
			cs.bodyJSON = b
		}
		for _, u := range s.Unique {
			p, err := parseJSONPath(u)
			if err != nil {
				bad("unique "+u, err)
			}
			cs.unique = append(cs.unique, p)
		}
		if s.Expect != 0 && (s.Expect < 100 || s.Expect > 599) {
			bad("expect", fmt.Errorf("%d is not an HTTP status", s.Expect))
		}
		capNames := make([]string, 0, len(s.Capture))
		for n := range s.Capture {
			capNames = append(capNames, n)
		}
		sort.Strings(capNames)
		for _, n := range capNames {
			if !validVarName(n) || slices.Contains([]string{VarSeq, VarUUID, VarRand}, n) {
				bad("capture "+n, errors.New("bad or reserved name"))
				continue
			}
			c, err := parseCapture(n, s.Capture[n])
			if err != nil {
				bad("capture "+n, fmt.Errorf("%q: %w", s.Capture[n], err))
				continue
			}
			cs.captures = append(cs.captures, c)
			cs.needBody = cs.needBody || c.needsBody()
		}
		for _, c := range cs.captures {
			known[c.name] = true
		}
		out = append(out, cs)
	}
	return out, errors.Join(errs...)
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

// iteration holds the variables of one run of the flow. The built-ins are
// made on first use: most flows read few of them, and the generator's cost
// per hit is what bounds the rate it can hold.
type iteration struct {
	seq, seed uint64
	uuid, rnd string
	vars      map[string]string // captured values
}

func newIteration(seed, seq uint64) *iteration { return &iteration{seq: seq, seed: seed} }

func (it *iteration) builtins() {
	r := rand.New(rand.NewPCG(it.seed, it.seq))
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	it.uuid = fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	it.rnd = strconv.FormatUint(r.Uint64()>>1, 10)
}

func (it *iteration) get(name string) string {
	switch name {
	case VarSeq:
		return strconv.FormatUint(it.seq, 10)
	case VarUUID, VarRand:
		if it.uuid == "" {
			it.builtins()
		}
		if name == VarUUID {
			return it.uuid
		}
		return it.rnd
	}
	if n, ok, err := randRange(name); ok && err == nil {
		if it.uuid == "" {
			it.builtins()
		}
		r, _ := strconv.ParseUint(it.rnd, 10, 64)
		return strconv.FormatUint(r%n, 10)
	}
	return it.vars[name]
}

// randRange reads ${rand.N}: ok when name is of that form, an error when N
// is not a whole number from 1 to 1,000,000,000.
func randRange(name string) (n uint64, ok bool, err error) {
	digits, ok := strings.CutPrefix(name, VarRand+".")
	if !ok {
		return 0, false, nil
	}
	n, err = strconv.ParseUint(digits, 10, 64)
	if err != nil || n < 1 || n > 1e9 {
		return 0, true, fmt.Errorf("${%s}: want rand.N with N a whole number from 1 to 1000000000", name)
	}
	return n, true, nil
}

func (it *iteration) set(name, v string) {
	if it.vars == nil {
		it.vars = map[string]string{}
	}
	it.vars[name] = v
}

// OriginHeader marks every request of a flow with OriginLoad, so that a
// mock's journal tells the load's own requests from the service's: the
// gates judge the service's traffic, not the scenario's driver.
const (
	OriginHeader = "X-Firedrill-Origin"
	OriginLoad   = "load"
)

// request renders the method, URL, header and body of s for it.
func (s *compiledStep) request(it *iteration) (url string, hdr http.Header, body []byte, err error) {
	url = s.url.expand(it.get)
	hdr = make(http.Header, len(s.header)+2)
	hdr.Set(OriginHeader, OriginLoad)
	for _, h := range s.header {
		hdr.Set(h.key, h.val.expand(it.get))
	}
	switch {
	case s.BodyFunc != nil || s.bodyJSON != nil:
		v := s.bodyJSON
		if s.BodyFunc != nil {
			v = s.BodyFunc(it.seq)
		}
		v = expandJSON(v, it)
		for _, p := range s.unique {
			v = setPath(v, p, it)
		}
		if body, err = json.Marshal(v); err != nil {
			return "", nil, nil, fmt.Errorf("load: step %s: body: %w", s.Name, err)
		}
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
	case s.bodyText != nil:
		body = []byte(s.bodyText.expand(it.get))
	}
	if s.Sign != nil {
		if err := s.Sign(hdr, body); err != nil {
			return "", nil, nil, fmt.Errorf("load: step %s: sign: %w", s.Name, err)
		}
	}
	return url, hdr, body, nil
}

// expandJSON copies v with ${...} expanded in every string.
func expandJSON(v any, it *iteration) any {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "${") {
			return x
		}
		t, err := parseTemplate(x)
		if err != nil {
			return x
		}
		return t.expand(it.get)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = expandJSON(e, it)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = expandJSON(e, it)
		}
		return a
	}
	return v
}

// setPath sets the value at p (in a copy made by expandJSON) to one unique
// to the iteration: a UUID for strings, the iteration number otherwise.
func setPath(v any, p []pathEl, it *iteration) any {
	if len(p) == 0 {
		switch x := v.(type) {
		case string:
			if x == "" {
				return it.get(VarUUID)
			}
			return x + "-" + it.get(VarUUID)
		case float64, int, int64, json.Number:
			return it.seq
		}
		return it.get(VarUUID)
	}
	el := p[0]
	switch x := v.(type) {
	case map[string]any:
		if el.index < 0 {
			x[el.key] = setPath(x[el.key], p[1:], it)
		}
	case []any:
		if el.index >= 0 && el.index < len(x) {
			x[el.index] = setPath(x[el.index], p[1:], it)
		}
	}
	return v
}
