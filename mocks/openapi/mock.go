package openapi

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/router"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Mock serves one OpenAPI contract as an http.Handler: it routes each
// request to its operation under the contract's base path, validates it,
// and answers with the operation's example or a body generated from its
// schema, journaling every exchange. Build one with NewHandler.
type Mock struct {
	contract    *contracts.OpenAPI
	name        string
	seed        int64
	stateful    bool
	references  bool                           // check references between collections (WithReferences)
	keys        map[string][]string            // collections keyed by several properties (WithKeys)
	stamps      map[string]map[string]string   // fields stamped on every write, by collection (WithStamps)
	filters     map[string]map[string]string   // declared list filters, by collection (WithFilters)
	cas         map[string]store.CompareAndSet // compare-and-set rules, by collection (WithCompareAndSet)
	journalSize int
	logger      *slog.Logger
	stages      []toolkit.Stage
	front       []frontRoute // endpoints of vendor behaviours, served before routing
	hooks       []*hooks     // WithWebhooks's, attached once the journal exists
	addr        string
	maxBody     int64

	basePath  string
	routes    []*route
	router    *router.Router
	validator *contracts.Validator
	journal   *toolkit.Journal
	secrets   toolkit.Secrets
	schemes   map[string]*openapi3.SecurityScheme // the contract's security schemes, by name
	answers   sync.Map                            // answerKey → *answer
	state     *stateful
	chain     toolkit.HandlerFunc
}

// route is one path template of the contract with its operations by method.
type route struct {
	template string
	item     *openapi3.PathItem
	ops      map[string]*operation
	allow    string // the Allow header for a 405
}

// operation is one method of one path template.
type operation struct {
	index    int
	id       string // operationId, or "METHOD /template"
	method   string
	template string
	item     *openapi3.PathItem
	op       *openapi3.Operation
	seed     int64

	pathSchemas map[string]*openapi3.Schema // path parameters by name: chooses between twins

	// The default answer's status, response and media types (best first),
	// worked out on first use: the hot path does no sorting.
	once     sync.Once
	status   int
	response *openapi3.Response
	media    []string
	err      error
}

// defaults returns the answer chosen when the client states no preference.
func (o *operation) defaults() (int, *openapi3.Response, []string, error) {
	o.once.Do(func() {
		o.status, o.response, o.err = pickStatus(o.op, 0)
		if o.err == nil {
			o.media = sortedMedia(o.response)
		}
	})
	return o.status, o.response, o.media, o.err
}

// exchange is a toolkit.Exchange with what the mock knows of it: the
// operation it is routed to. It is the exchange's Contract, so the stages
// read the operation's security and answer schemas through it.
type exchange struct {
	toolkit.Exchange
	m         *Mock
	op        *operation
	validated bool   // the request was judged against the contract
	change    string // what an upsert did: toolkit.EventCreate or EventUpdate
}

// served is the exchange the mock routed, from what a stage hands on (see
// WithStage: stages pass on the Exchange they were given).
func served(x *toolkit.Exchange) *exchange { return x.Contract.(*exchange) }

// Security is the operation's security requirements (else the contract's)
// and the contract's schemes.
func (x *exchange) Security() (openapi3.SecurityRequirements, map[string]*openapi3.SecurityScheme) {
	reqs := x.op.op.Security
	if reqs == nil {
		reqs = &x.m.contract.Doc.Security
	}
	return *reqs, x.m.schemes
}

// Challenge is the WWW-Authenticate header of a 401 for missing credentials.
func (x *exchange) Challenge() string { return x.m.challenge(x.op) }

// ResponseSchema is the schema of the operation's answer with status and
// content type.
func (x *exchange) ResponseSchema(status int, contentType string) *openapi3.Schema {
	return responseSchema(x.op.op, status, contentType)
}

// ValidateValue checks v against schema as an answer.
func (x *exchange) ValidateValue(schema *openapi3.Schema, v any) []toolkit.Violation {
	return x.m.validator.ValidateValue(schema, v, true)
}

// NewHandler returns a mock of c. It does no work proportional to the
// contract's schemas: answers are built on first use and cached, so even
// very large contracts start at once.
func NewHandler(c *contracts.OpenAPI, opts ...Option) (*Mock, error) {
	if c == nil || c.Doc == nil {
		return nil, errors.New("mocks: no contract")
	}
	m := &Mock{
		contract:    c,
		seed:        DefaultSeed,
		journalSize: toolkit.DefaultJournalSize,
		logger:      discardLogger(),
		addr:        DefaultAddr,
		maxBody:     DefaultMaxBody,
	}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	if m.name == "" {
		m.name = c.Name()
	}
	m.basePath = c.BasePath()
	m.validator = contracts.NewValidator(c.Doc)
	m.journal = toolkit.NewJournal(m.journalSize)
	m.secrets = toolkit.NewSecrets(c.Doc)
	m.schemes = schemesOf(c.Doc)
	m.buildRoutes()
	if m.references && !m.stateful {
		return nil, errors.New("mocks: references are checked between stateful collections: add WithStateful")
	}
	if m.stateful {
		st, err := newStateful(m)
		if err != nil {
			return nil, err
		}
		m.state = st
	}
	for _, h := range m.hooks {
		if err := h.attach(); err != nil {
			return nil, err
		}
	}
	m.chain = m.answer
	for i := len(m.stages) - 1; i >= 0; i-- {
		m.chain = m.stages[i](m.chain)
	}
	return m, nil
}

// Name is the mock's name: WithName, else the contract's.
func (m *Mock) Name() string { return m.name }

// BasePath is the path the contract's operations are served under, "" for
// the root.
func (m *Mock) BasePath() string { return m.basePath }

// Journal is the mock's record of exchanges.
func (m *Mock) Journal() *toolkit.Journal { return m.journal }

// schemesOf are doc's security schemes, by name.
func schemesOf(doc *openapi3.T) map[string]*openapi3.SecurityScheme {
	out := map[string]*openapi3.SecurityScheme{}
	if doc.Components == nil {
		return out
	}
	for name, ref := range doc.Components.SecuritySchemes {
		if ref != nil && ref.Value != nil {
			out[name] = ref.Value
		}
	}
	return out
}

func (m *Mock) buildRoutes() {
	doc := m.contract.Doc
	if doc.Paths == nil {
		m.compileRoutes(nil)
		return
	}
	templates := doc.Paths.InMatchingOrder()
	sort.Strings(templates)
	idx := 0
	for _, t := range templates {
		item := doc.Paths.Value(t)
		if item == nil {
			continue
		}
		if strings.HasPrefix(m.basePath+t, strings.TrimSuffix(toolkit.AdminPrefix, "/")) {
			m.logger.Warn("mock: a contract path lies under the admin API and is not served", "mock", m.name, "path", t)
		}
		r := &route{template: t, item: item, ops: map[string]*operation{}}
		var allow []string
		for method, op := range item.Operations() {
			o := &operation{index: idx, method: method, template: t, item: item, op: op, pathSchemas: pathSchemas(item, op)}
			idx++
			o.id = op.OperationID
			if o.id == "" {
				o.id = method + " " + t
			}
			o.seed = m.seed ^ int64(hash64(o.id))
			r.ops[method] = o
			allow = append(allow, method)
		}
		sort.Strings(allow)
		r.allow = strings.Join(allow, ", ")
		m.routes = append(m.routes, r)
	}
	m.compileRoutes(m.routes)
}

// compileRoutes builds the router. Templates that differ only in their
// parameter names are all kept: find chooses between them by method.
func (m *Mock) compileRoutes(routes []*route) {
	templates := make([]string, len(routes))
	for i, r := range routes {
		templates[i] = r.template
	}
	m.router = router.New(templates)
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (m *Mock) String() string { return fmt.Sprintf("mock %s", m.name) }
