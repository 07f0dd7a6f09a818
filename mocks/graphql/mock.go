package graphql

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Defaults of the options.
const (
	DefaultPath = "/graphql"    // where the mock answers GraphQL requests
	DefaultSeed = int64(1)      // the seed of generated data
	DefaultAddr = "127.0.0.1:0" // where NewServer listens: loopback, a free port
	DefaultName = "graphql"     // the system name in the journal
)

// AdminPrefix is where the admin API lives; GraphQL requests never go there.
const AdminPrefix = "/__firedrill/"

// Option configures a Mock or a Server.
type Option func(*options) error

type options struct {
	addr        string
	path        string
	seed        int64
	stateful    bool
	cas         map[string]store.CompareAndSet // WithCompareAndSet
	stamps      map[string]map[string]string   // WithStamps
	staleCodes  map[string]string
	journalSize int
	name        string
	logger      *slog.Logger
	scalar      ScalarFunc
	gates       []gate               // vendor behaviours, in the order of their options
	auth        *toolkit.Auth        // WithAuth's, attached by NewHandler
	cost        *costLimit           // WithRateLimit's in cost mode, after the gates
	webhooks    *toolkit.Webhooks    // WithWebhooks', attached by NewHandler
	idempotency *toolkit.Idempotency // WithIdempotency's, or the directive's
	keyHeader   bool                 // keys are taken from the header too (WithIdempotency)
	mismatch    int                  // the status of a key reused with other arguments (200 when 0)
	limits      Limits               // WithLimits', defaults filled in by NewHandler
}

// WithAddr sets the address NewServer listens on (DefaultAddr). Only
// loopback hosts are accepted: the mock serves tests, not networks.
func WithAddr(addr string) Option {
	return func(o *options) error {
		if err := checkLoopback(addr); err != nil {
			return err
		}
		o.addr = addr
		return nil
	}
}

// WithPath sets the path GraphQL requests go to (DefaultPath).
func WithPath(path string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, AdminPrefix) {
			return fmt.Errorf("graphql: path %q: want an absolute path outside %s", path, AdminPrefix)
		}
		o.path = path
		return nil
	}
}

// WithSeed sets the seed of generated data (DefaultSeed): the same seed and
// query give the same answer.
func WithSeed(seed int64) Option {
	return func(o *options) error { o.seed = seed; return nil }
}

// WithStateful turns on stateful mode: mutations change stored records
// that queries read back (see the package documentation).
func WithStateful(on bool) Option {
	return func(o *options) error { o.stateful = on; return nil }
}

// WithJournalSize sets how many exchanges the journal keeps (toolkit.DefaultJournalSize).
func WithJournalSize(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("graphql: journal size %d: want >= 0", n)
		}
		o.journalSize = n
		return nil
	}
}

// WithName sets the system name recorded in the journal (DefaultName).
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithLogger sets where the mock logs (slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("graphql: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithScalars sets the generator of scalar values (contracts.FakeScalar by default).
func WithScalars(f ScalarFunc) Option {
	return func(o *options) error {
		if f == nil {
			return errors.New("graphql: nil scalar generator")
		}
		o.scalar = f
		return nil
	}
}

// Mock serves a GraphQL schema as an http.Handler: POST and GET on its path
// run queries and mutations against generated (or, stateful, stored) data;
// AdminPrefix serves health, the journal and the collections.
type Mock struct {
	c       *contracts.GraphQL
	schema  *ast.Schema
	opts    options
	journal *toolkit.Journal
	state   *state // nil unless stateful
	scalar  ScalarFunc
	log     *slog.Logger
	docs    docCache
	handler http.Handler // route, behind the auth endpoints with WithAuth
	// keyDirective: the schema declares IdempotentDirective, so the mock
	// honours its keys.
	keyDirective bool
}

// NewHandler returns the mock of c.
func NewHandler(c *contracts.GraphQL, opts ...Option) (*Mock, error) {
	if c == nil || c.Schema == nil || c.Schema.Query == nil {
		return nil, errors.New("graphql: no schema with a Query type")
	}
	o := options{addr: DefaultAddr, path: DefaultPath, seed: DefaultSeed, name: DefaultName}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	o.limits = o.limits.withDefaults()
	m := &Mock{c: c, schema: c.Schema, opts: o, journal: toolkit.NewJournal(o.journalSize), scalar: o.scalar, log: o.logger}
	m.docs.limits = o.limits
	if m.scalar == nil {
		m.scalar = contracts.FakeScalar
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if o.stateful {
		m.state = newState(c.Schema, o.seed, m.scalar)
		if err := m.state.setCompareAndSet(o.cas, o.staleCodes); err != nil {
			return nil, fmt.Errorf("graphql: %w", err)
		}
		if err := m.state.setStamps(o.stamps); err != nil {
			return nil, fmt.Errorf("graphql: %w", err)
		}
	} else if len(o.cas) > 0 || len(o.stamps) > 0 {
		return nil, errors.New("graphql: compare_and_set and stamps apply to stored records: turn stateful mode on")
	}
	if err := m.attachWebhooks(); err != nil {
		return nil, err
	}
	if err := m.attachIdempotency(); err != nil {
		return nil, err
	}
	m.handler = http.HandlerFunc(m.route)
	if o.auth != nil {
		if err := m.attachAuth(); err != nil {
			return nil, err
		}
		m.handler = o.auth.Handler(m.handler) // the token endpoint and the auth admin API
	}
	return m, nil
}

// Journal is the record of the exchanges the mock answered.
func (m *Mock) Journal() *toolkit.Journal { return m.journal }

// Name is the system name the journal records (WithName).
func (m *Mock) Name() string { return m.opts.name }

// Store holds the records of stateful mode, one collection per type the
// mutations change (named after the type: "Customer"); nil when the mock is
// not stateful. The consistency checks read it with Snapshot.
func (m *Mock) Store() *store.Store {
	if m.state == nil {
		return nil
	}
	return m.state.store
}

// Path is where the mock answers GraphQL requests.
func (m *Mock) Path() string { return m.opts.path }

// ServeHTTP answers GraphQL requests on the mock's path and the admin API
// under AdminPrefix.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

func (m *Mock) route(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == m.opts.path:
		// Browser IDEs (GraphiQL, Apollo Sandbox) run on other origins.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			headers := r.Header.Get("Access-Control-Request-Headers")
			if headers == "" {
				headers = "Content-Type, Authorization"
			}
			w.Header().Set("Access-Control-Allow-Headers", headers)
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		m.serveGraphQL(w, r)
	case strings.HasPrefix(r.URL.Path, AdminPrefix):
		m.serveAdmin(w, r)
	default:
		m.wrongPath(w, r)
	}
}

// wrongPath answers a request to a path other than the mock's with 404,
// and journals it as a request that broke the contract (a "route"
// violation naming the path): a client that calls the mock at the wrong
// address fails on every call, and the contract gate must say so rather
// than judge nothing.
func (m *Mock) wrongPath(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	msg := m.Misrouted(r.URL.Path)
	out := writeJSON(w, http.StatusNotFound, response{Errors: gqlerror.List{{Message: msg}}})
	m.journal.Record(toolkit.Entry{
		System: m.opts.name, Time: start, Duration: time.Since(start), Direction: "inbound", Client: r.RemoteAddr,
		Method: r.Method, Path: r.URL.Path, Query: secrets.MaskQuery(r.URL.RawQuery), Header: secrets.MaskHeader(r.Header),
		Body: secrets.MaskBody(r.Header.Get("Content-Type"), journalCopy(body)), Status: http.StatusNotFound,
		ResponseBody: journalCopy(out), ResponseHeader: w.Header().Clone(),
		Violations: []toolkit.Violation{{In: "route", Message: msg}},
	})
}

// Misrouted is "" when the mock serves path (its GraphQL path, its OAuth2
// token endpoint, its admin API), else the violation of a request sent
// there, which names path and the mock's GraphQL path.
func (m *Mock) Misrouted(path string) string {
	switch {
	case path == m.opts.path, strings.HasPrefix(path, AdminPrefix),
		m.opts.auth != nil && m.opts.auth.TokenPath() != "" && path == m.opts.auth.TokenPath():
		return ""
	}
	return fmt.Sprintf("no GraphQL endpoint at %s: send requests to %s", path, m.opts.path)
}

// response is the GraphQL response shape.
type response struct {
	Data   any           `json:"data,omitempty"`
	Errors gqlerror.List `json:"errors,omitempty"`
	// hasData keeps "data": null when execution nulled the whole result.
	hasData bool
	// cost is extensions.cost in cost mode.
	cost *costReport
	// limit bounds the bytes of Data (Limits.MaxAnswerBytes; none when
	// 0): over it, data is null and the errors say why.
	limit int
}

// MarshalJSON keeps "data" when execution ran, even when null. The data is
// written in one pass (appendJSON): encoding/json would compact the output
// of the data's MarshalJSON again, a second pass over 3 MB introspections.
func (r response) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if r.hasData {
		b.WriteString(`"data":`)
		end := 0
		if r.limit > 0 {
			end = b.Len() + r.limit
		}
		err := appendJSON(&b, r.Data, end)
		if err == nil && end > 0 && b.Len() > end {
			err = errAnswerTooLarge
		}
		switch {
		case errors.Is(err, errAnswerTooLarge):
			b.Truncate(len(`{"data":`))
			b.WriteString("null")
			r.Errors = gqlerror.List{answerTooLarge(r.limit)}
		case err != nil:
			return nil, err
		}
	}
	if len(r.Errors) > 0 {
		if r.hasData {
			b.WriteByte(',')
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"errors":`)
		b.Write(errs)
	}
	if r.cost != nil {
		cost, err := r.cost.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if r.hasData || len(r.Errors) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"extensions":{"cost":`)
		b.Write(cost)
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// serveGraphQL follows the GraphQL-over-HTTP convention of application/json
// responses: a request that cannot be read as GraphQL (no query, a body
// that is not JSON, bad variables JSON) is 400; a query that does not parse
// or validate, or variables that do not coerce, is 200 with "errors" and no
// "data"; execution errors are 200 with both. A mutation over GET is 405.
func (m *Mock) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	entry := toolkit.Entry{
		System: m.opts.name, Time: start, Direction: "inbound", Client: r.RemoteAddr,
		Method: r.Method, Path: r.URL.Path, Query: secrets.MaskQuery(r.URL.RawQuery), Header: secrets.MaskHeader(r.Header),
		Body: secrets.MaskBody(r.Header.Get("Content-Type"), journalCopy(body)),
	}
	var status int
	var resp response
	var claim *toolkit.KeyClaim
	defer func() { claim.Forget() }() // a first keyed request that panicked runs anew
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		status, resp = http.StatusRequestEntityTooLarge, response{Errors: gqlerror.List{{Message: fmt.Sprintf("body over %d bytes", MaxRequestBody)}}}
		entry.Violations = append(entry.Violations, toolkit.Violation{In: "body", Message: resp.Errors[0].Message})
	case err != nil:
		status, resp = http.StatusBadRequest, response{Errors: gqlerror.List{{Message: "reading the body: " + err.Error()}}}
		entry.Violations = append(entry.Violations, toolkit.Violation{In: "body", Message: resp.Errors[0].Message})
	default:
		status, resp, claim = m.run(w.Header(), r, body, &entry)
	}
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, POST")
	}
	var out []byte
	if claim != nil && claim.Standing == toolkit.KeyRepeat {
		entry.Replayed = true
		status, out = claim.Status(), claim.Replay(w)
	} else {
		out = writeJSON(w, status, resp)
		claim.Finish(status, w.Header(), out)
	}
	entry.Status, entry.ResponseBody, entry.ResponseHeader = status, journalCopy(out), w.Header().Clone()
	// Every refusal for what the request is records a violation; a refusal
	// by a vendor behaviour (credentials, rate) breaks no contract: the SDL
	// declares neither.
	entry.Valid = len(entry.Violations) == 0
	entry.Duration = time.Since(start)
	m.journal.Record(entry)
}

// journalCopy keeps at most toolkit.MaxJournalBody bytes of b in a slice of
// its own: a truncated sub-slice would pin a 3 MB introspection answer in
// the journal ring for as long as the entry lives.
func journalCopy(b []byte) []byte {
	if len(b) > toolkit.MaxJournalBody {
		b = b[:toolkit.MaxJournalBody]
	}
	return bytes.Clone(b)
}

// run admits, reads, validates and executes one request. A keyed mutation
// comes back with its claim: a first one to Finish with its answer, a
// repeat whose answer to Replay.
func (m *Mock) run(h http.Header, r *http.Request, body []byte, entry *toolkit.Entry) (int, response, *toolkit.KeyClaim) {
	if status, ge := m.admit(h, r, entry); ge != nil {
		// Refused before it ran, the request is still judged against the
		// schema for the journal, as the OpenAPI mock judges what its
		// stages answer: the conformance gate never counts it blindly.
		m.prepare(r, body, entry)
		return status, response{Errors: gqlerror.List{ge}}, nil
	}
	p, status, resp := m.prepare(r, body, entry)
	if m.opts.cost != nil {
		return m.runCosted(r, p, status, resp, entry)
	}
	if p.op == nil {
		return status, resp, nil
	}
	claim, status, ge := m.claim(r, p, entry)
	switch {
	case ge != nil:
		return status, response{Errors: gqlerror.List{ge}}, nil
	case claim != nil && claim.Standing == toolkit.KeyRepeat:
		return 0, response{}, claim
	}
	data, errs := m.execute(r.Context(), p, entry)
	return http.StatusOK, response{Data: data, Errors: errs, hasData: true, limit: m.opts.limits.MaxAnswerBytes}, claim
}

// plan is a request ready to execute.
type plan struct {
	doc  *ast.QueryDocument
	op   *ast.OperationDefinition
	vars map[string]any
}

// prepare reads and validates one request; without an operation in the
// plan, status and response are the refusal.
func (m *Mock) prepare(r *http.Request, body []byte, entry *toolkit.Entry) (plan, int, response) {
	p, err := readParams(r, body)
	if err != nil {
		var re *requestError
		errors.As(err, &re)
		in := "body"
		if re.status == http.StatusMethodNotAllowed {
			in = "method"
		}
		entry.Violations = append(entry.Violations, toolkit.Violation{In: in, Message: re.msg})
		return plan{}, re.status, response{Errors: gqlerror.List{{Message: re.msg}}}
	}
	d := m.docs.load(m.schema, p.Query)
	doc, parseErrs, invalid := d.doc, d.parse, d.invalid
	if len(parseErrs) > 0 {
		violations(entry, r.Method, "query", parseErrs)
		return plan{}, http.StatusOK, response{Errors: parseErrs}
	}
	if len(d.over) > 0 {
		// Over the mock's limits, as over a vendor's: no contract broken
		// (an SDL declares no limits), so no violation; the document was
		// not validated.
		if doc != nil {
			if op, err := pickOperation(doc, p.OperationName); err == nil {
				entry.Operation = operationName(op)
			}
		}
		return plan{}, http.StatusOK, response{Errors: d.over}
	}
	op, opErr := pickOperation(doc, p.OperationName)
	if opErr == nil {
		entry.Operation = operationName(op)
	}
	if len(invalid) > 0 {
		violations(entry, r.Method, "query", invalid)
		return plan{}, http.StatusOK, response{Errors: invalid}
	}
	if opErr != nil {
		violations(entry, r.Method, "operationName", gqlerror.List{gqlerror.Wrap(opErr)})
		return plan{}, http.StatusOK, response{Errors: gqlerror.List{{Message: opErr.Error()}}}
	}
	if r.Method == http.MethodGet && op.Operation != ast.Query {
		msg := fmt.Sprintf("a %s cannot be sent with GET: use POST", op.Operation)
		entry.Violations = append(entry.Violations, toolkit.Violation{In: "method", Message: msg})
		return plan{}, http.StatusMethodNotAllowed, response{Errors: gqlerror.List{{Message: msg}}}
	}
	vars, err := validator.VariableValues(m.schema, op, p.Variables)
	if err != nil {
		ge := gqlerror.WrapIfUnwrapped(err)
		violations(entry, r.Method, "variables", gqlerror.List{ge})
		return plan{}, http.StatusOK, response{Errors: gqlerror.List{ge}}
	}
	return plan{doc: doc, op: op, vars: vars}, 0, response{}
}

// execute runs p's operation; a panic in the executor is a bug, reported
// as a GraphQL error (and logged) rather than a 500. The entry hears of
// the arguments a stateful list answered without.
func (m *Mock) execute(ctx context.Context, p plan, entry *toolkit.Entry) (data any, errs gqlerror.List) {
	doc, op := p.doc, p.op
	ex := &execution{ctx: ctx, m: m, schema: m.schema, doc: doc, op: op, vars: p.vars, budget: m.opts.limits.MaxAnswerBytes}
	defer m.reportIgnored(ex, entry)
	defer func() {
		if p := recover(); p != nil {
			m.log.Error("graphql: executor panic", "panic", p, "operation", operationName(op))
			data, errs = nil, gqlerror.List{{Message: fmt.Sprintf("firedrill internal error: %v", p)}}
		}
	}()
	root, typ := m.root(op)
	if typ == nil {
		return nil, gqlerror.List{{Message: fmt.Sprintf("the schema has no %s type", op.Operation)}}
	}
	data = ex.execute(root, typ, mix(uint64(m.opts.seed), string(op.Operation)))
	if ex.tooLarge {
		// Cut short, the data would look whole to a client that ignores
		// errors: none of it is sent.
		return nil, gqlerror.List{answerTooLarge(ex.budget)}
	}
	return data, ex.errs
}

func (m *Mock) root(op *ast.OperationDefinition) (objectValue, *ast.Definition) {
	var typ *ast.Definition
	switch op.Operation {
	case ast.Mutation:
		typ = m.schema.Mutation
	case ast.Subscription:
		typ = m.schema.Subscription
	default:
		typ = m.schema.Query
	}
	if typ == nil {
		return nil, nil
	}
	if m.state != nil {
		return &statefulRoot{st: m.state, typ: typ, op: op.Operation}, typ
	}
	if op.Operation == ast.Mutation {
		return &mutationRoot{typ: typ}, typ
	}
	return &record{typ: typ.Name}, typ
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, fmt.Errorf("no operation named %q in the document", name)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("the document has %d operations: name the one to run with operationName", len(doc.Operations))
	}
	return doc.Operations[0], nil
}

// operationName is the journal's operation: the operation's name, else its first root field.
func operationName(op *ast.OperationDefinition) string {
	if op.Name != "" {
		return op.Name
	}
	for _, s := range op.SelectionSet {
		if f, ok := s.(*ast.Field); ok {
			return f.Name
		}
	}
	return string(op.Operation)
}

// violations journals GraphQL errors as violations of the request's body
// (POST) or URL query (GET), named after the parameter at fault.
func violations(e *toolkit.Entry, method, name string, errs gqlerror.List) {
	in := "body"
	if method == http.MethodGet {
		in = "query"
	}
	for _, ge := range errs {
		msg := ge.Message
		if len(ge.Locations) > 0 {
			msg = fmt.Sprintf("%d:%d: %s", ge.Locations[0].Line, ge.Locations[0].Column, msg)
		}
		e.Violations = append(e.Violations, toolkit.Violation{In: in, Name: name, Message: msg})
	}
}

// writeJSON writes v as the answer and returns the bytes written.
func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	var b []byte
	var err error
	if r, ok := v.(response); ok {
		b, err = r.MarshalJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(response{Errors: gqlerror.List{{Message: "firedrill internal error: " + err.Error()}}})
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return b
}

// secrets masks credentials in the journal as the OpenAPI mock does; an SDL
// names no API-key parameters, so only what is named like a secret is.
var secrets = toolkit.NewSecrets(nil)

// DocCacheSize is how many query documents a mock keeps parsed and
// validated: clients send the same few queries again and again, and parsing
// and validation are over a third of the cost of a small query.
const DocCacheSize = 512

// DocCacheBytes bounds the query text of the documents a mock keeps; the
// least recently used go first. Their parsed form takes some ten times
// more, so the cache stays in the tens of MB whatever clients send: a
// fuzzer's documents once filled GBs. A document over a sixteenth of it is
// parsed anew each time: clients do not repeat such queries.
const DocCacheBytes = 2 << 20

// docCache keeps parsed and validated documents by query text, least
// recently used first out; validated documents are only read afterwards,
// so they are shared between requests.
type docCache struct {
	mu     sync.Mutex
	docs   map[string]*list.Element // of *cachedDoc
	lru    list.List                // most recently used at the front
	bytes  int                      // the query text kept
	limits Limits
}

type cachedDoc struct {
	query   string
	doc     *ast.QueryDocument
	parse   gqlerror.List // the document does not parse
	invalid gqlerror.List // it parses but does not validate
	over    gqlerror.List // it is over the mock's Limits: neither validated nor run
}

// load returns the parsed document with its errors: it does not parse, it
// is over the limits (checked before validation, in time linear in the
// document), or it does not validate.
func (c *docCache) load(s *ast.Schema, query string) *cachedDoc {
	c.mu.Lock()
	if e, ok := c.docs[query]; ok {
		c.lru.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*cachedDoc)
	}
	c.mu.Unlock()
	d := &cachedDoc{query: query}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, c.limits.MaxTokens)
	var ge *gqlerror.Error
	switch {
	case errors.As(err, &ge) && ge.Message == fmt.Sprintf("exceeded token limit of %d", c.limits.MaxTokens):
		d.over = gqlerror.List{codedError(fmt.Sprintf("the document holds over %d tokens, the limit", c.limits.MaxTokens), CodeMaxTokensExceeded)}
	case err != nil:
		d.parse = gqlerror.List{gqlerror.WrapIfUnwrapped(err)}
	default:
		d.doc = doc
		d.invalid, d.over = checkBounds(doc, c.limits)
		if len(d.invalid) == 0 && len(d.over) == 0 {
			d.invalid = validator.ValidateWithRules(s, doc, nil) // nil: the specification's rules
		}
	}
	if len(query) > DocCacheBytes/16 {
		return d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil {
		c.docs = map[string]*list.Element{}
	}
	if _, ok := c.docs[query]; ok {
		return d
	}
	c.docs[query] = c.lru.PushFront(d)
	c.bytes += len(query)
	for c.bytes > DocCacheBytes || c.lru.Len() > DocCacheSize {
		old := c.lru.Remove(c.lru.Back()).(*cachedDoc)
		delete(c.docs, old.query)
		c.bytes -= len(old.query)
	}
	return d
}
