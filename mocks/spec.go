package mocks

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Spec declares one mocked vendor: the contract it serves and the vendor
// behaviours it imitates. It is the one value behind every door: a
// scenario's `mock:` section decodes into it, the flags of `firedrill mock`
// fill it, and `firedrill mock --config FILE` reads it whole, in the very
// format of a scenario's `mock:` section. It serialises (YAML and JSON) to
// what it was read from, so a runtime can hand a declaration to a
// `firedrill mock` process elsewhere. New builds the mock it declares, its
// behaviours in the order Order gives.
type Spec struct {
	// Contract is the contract served: an OpenAPI 2.0/3.0/3.1 document or a
	// GraphQL schema (.graphql, .gql), relative to the file it is written
	// in. In a scenario the system's contract: fills it.
	Contract string `yaml:"contract,omitempty" json:"contract,omitempty"`
	// Stateful keeps what clients create: collections inferred from the
	// paths (OpenAPI) or the types (GraphQL).
	Stateful bool `yaml:"stateful,omitempty" json:"stateful,omitempty"`
	// References makes a stateful HTTP mock refuse (400) a write naming a
	// record of another collection it does not hold: an invoice for a
	// customer never created, as the vendor would. It catches an integration
	// that syncs out of order.
	References bool `yaml:"references,omitempty" json:"references,omitempty"`
	// Keys keys stateful collections by several record properties, by
	// collection: {stock: [sku, warehouse]} makes a stock row a sku in a
	// warehouse, as an inventory vendor keys it, where the contract's path
	// names the sku alone. Two rows differing in any of them are two rows;
	// the same values again are the same row (a create conflicts, 409). An
	// item request names the properties its path does not by query
	// parameters or, for a write, in its body: GET /stock/A?warehouse=w1.
	// HTTP (OpenAPI) mocks only.
	Keys map[string][]string `yaml:"keys,omitempty" json:"keys,omitempty"`
	// Stamps are, by collection (a type on a GraphQL mock), the fields a
	// stateful mock writes on every create and update as the vendor does,
	// field: time (the instant of the write) or counter (a number the
	// collection raises on each write): {stock: {updated_at: time, version:
	// counter}}. A create keeps a value the record holds (seeded records
	// keep their history); an update always writes them.
	Stamps map[string]map[string]string `yaml:"stamps,omitempty" json:"stamps,omitempty"`
	// Filters are, by collection, list query parameters and the filter
	// each is, "FIELD OP" with OP one of > >= < <= =: {stock: {updated_min:
	// "updated_at >", since: "version >"}}. The parameter's value is the
	// bound; they take the place of what the mock infers from the names.
	Filters map[string]map[string]string `yaml:"filters,omitempty" json:"filters,omitempty"`
	// CompareAndSet declares, by collection (a type on a GraphQL mock), a
	// compare-and-set rule the contract cannot say: a write that carries,
	// in its Expect field, the value it expects Field to hold changes the
	// record only if Field still holds it when the write lands (Shopify's
	// compareQuantity). A stale write changes nothing and is answered the
	// vendor's way: on a GraphQL mock a userErrors entry with Code (a
	// GraphQL error with that code when the payload has no userErrors);
	// on an HTTP mock 409 problem+json. An HTTP collection so declared
	// also answers with an ETag and honours If-Match (412 on a mismatch).
	CompareAndSet map[string]CompareAndSet `yaml:"compare_and_set,omitempty" json:"compare_and_set,omitempty"`
	// Seed seeds the generated answers and the faults' draws (the run's
	// seed when 0).
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// RateLimit is a token bucket per credential, "100/s" or
	// "20/s,burst=5", or the same as a mapping (see RateLimit).
	RateLimit *RateLimit `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"`
	// Idempotency honours idempotency keys as Stripe does:
	// "Idempotency-Key" or "Idempotency-Key,window=1h,mismatch=400", or the
	// same as a mapping (see Idempotency). A GraphQL mock takes the header
	// on mutations, beside Shopify's @idempotent(key:) directive, which it
	// honours whenever the schema declares it; it refuses a reused key with
	// HTTP 200 and a GraphQL error unless mismatch is set.
	Idempotency *Idempotency `yaml:"idempotency,omitempty" json:"idempotency,omitempty"`
	// APIKeys are the valid API keys; others get 401. A GraphQL mock takes
	// them as Authorization: Bearer KEY or in an X-API-Key header.
	APIKeys []string `yaml:"api_keys,omitempty" json:"api_keys,omitempty"`
	// APIKeyHeader is the header the vendor reads its API keys from, as
	// Shopify's X-Shopify-Access-Token: the mock takes api_keys there and
	// nowhere else (not in X-API-Key, not as a bearer token). It holds
	// for a GraphQL mock and an OpenAPI contract that declares no security
	// scheme; a contract's apiKey scheme names its own header.
	APIKeyHeader string `yaml:"api_key_header,omitempty" json:"api_key_header,omitempty"`
	// BasicUsers are the HTTP basic users accepted, user: password.
	BasicUsers map[string]string `yaml:"basic_users,omitempty" json:"basic_users,omitempty"`
	// OAuthClients are the OAuth2 clients the mock serves tokens to
	// (client credentials and refresh grants at the contract's tokenUrl, else
	// /oauth/token), client id: secret; only their tokens are accepted.
	OAuthClients map[string]string `yaml:"oauth_clients,omitempty" json:"oauth_clients,omitempty"`
	// OAuthTokenTTL is the life of the access tokens served (default 1h);
	// short, it drills the integration's refresh.
	OAuthTokenTTL contracts.Duration `yaml:"oauth_token_ttl,omitempty" json:"oauth_token_ttl,omitempty"`
	// Webhooks are the subscribers the mock notifies when its state changes
	// (a mock with stateful: true, of either kind; deliveries go to
	// loopback only).
	Webhooks []Webhook `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	// WebhookRetry is how the mock retries a delivery its receiver refused
	// (webhooks, subscriptions made through the contract, callbacks).
	WebhookRetry *WebhookRetry `yaml:"webhook_retry,omitempty" json:"webhook_retry,omitempty"`
	// Callbacks signs the calls an HTTP (OpenAPI) mock makes to the URLs
	// requests name through the contract's OpenAPI 3.0 callbacks (a
	// callback_url in the body...); a generated secret when absent.
	Callbacks *CallbackSigning `yaml:"callbacks,omitempty" json:"callbacks,omitempty"`
	// Faults are HTTP and data faults active from the start, beside those a
	// timeline or the admin API (/__firedrill/faults) switches on and off.
	Faults []Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
	// AdminToken, when set, is the bearer token the admin API
	// (/__firedrill/...) requires (Authorization: Bearer TOKEN); use
	// ${env:NAME} to keep it out of the file. The admin API answers
	// loopback only, token or not.
	AdminToken string `yaml:"admin_token,omitempty" json:"admin_token,omitempty"`
	// GraphQLLimits bound what one request may ask of a GraphQL mock:
	// depth, selections, aliases, tokens and the bytes of an answer. A
	// request over them gets HTTP 200 and a coded GraphQL error, as
	// GitHub's and Shopify's APIs refuse queries over their limits; the
	// defaults hold when absent (see GraphQLLimits).
	GraphQLLimits *GraphQLLimits `yaml:"graphql_limits,omitempty" json:"graphql_limits,omitempty"`
	// Server bounds what a client may send the mock's server: the size of
	// its headers and how long it may take over them, over a whole
	// request and idle between requests (defaults 64 KiB, 10s, 60s,
	// 120s). Over them, 431 or a closed connection: one client must not
	// hold what the mocks, the proxies and the load share.
	Server *ServerLimits `yaml:"server,omitempty" json:"server,omitempty"`
	// Records are the records the stateful collections hold before the
	// mock serves, by collection (a type, on a GraphQL mock): inline, or a
	// file of them relative to the file this is written in (see Records).
	Records map[string]Records `yaml:"records,omitempty" json:"records,omitempty"`
}

// GraphQLLimits are the bounds of a GraphQL mock's requests
// (graphql.Limits); a field left out, or 0, keeps its default.
type GraphQLLimits struct {
	// MaxDepth bounds how deep an operation nests its fields, fragments
	// expanded (default 20).
	MaxDepth int `yaml:"max_depth,omitempty" json:"max_depth,omitempty" jsonschema:"minimum=0"`
	// MaxSelections bounds the fields, fragment spreads and inline
	// fragments of an operation, fragments expanded (default 1000).
	MaxSelections int `yaml:"max_selections,omitempty" json:"max_selections,omitempty" jsonschema:"minimum=0"`
	// MaxAliases bounds the aliased fields of an operation, fragments
	// expanded (default 100).
	MaxAliases int `yaml:"max_aliases,omitempty" json:"max_aliases,omitempty" jsonschema:"minimum=0"`
	// MaxTokens bounds the lexical tokens of a document (default 15000).
	MaxTokens int `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty" jsonschema:"minimum=0"`
	// MaxAnswerBytes bounds the data of an answer, introspection included
	// (default 16777216, 16 MiB).
	MaxAnswerBytes int `yaml:"max_answer_bytes,omitempty" json:"max_answer_bytes,omitempty" jsonschema:"minimum=0"`
}

// Limits are the bounds as the GraphQL mock takes them.
func (l *GraphQLLimits) Limits() graphql.Limits {
	if l == nil {
		return graphql.Limits{}
	}
	return graphql.Limits{MaxDepth: l.MaxDepth, MaxSelections: l.MaxSelections, MaxAliases: l.MaxAliases, MaxTokens: l.MaxTokens, MaxAnswerBytes: l.MaxAnswerBytes}
}

// check returns the fields of l that are negative.
func (l *GraphQLLimits) check() []FieldError {
	var errs []FieldError
	for _, f := range []struct {
		name string
		v    int
	}{{"max_depth", l.MaxDepth}, {"max_selections", l.MaxSelections}, {"max_aliases", l.MaxAliases}, {"max_tokens", l.MaxTokens}, {"max_answer_bytes", l.MaxAnswerBytes}} {
		if f.v < 0 {
			errs = append(errs, FieldError{Field: "graphql_limits." + f.name, Message: fmt.Sprintf("%d is not a bound: want 1 or more (0 or absent for the default)", f.v)})
		}
	}
	return errs
}

// ServerLimits bound a mock's server (toolkit.ServerLimits); a field left
// out, or 0, keeps its default.
type ServerLimits struct {
	// MaxHeaderBytes bounds a request's headers (default 65536); over it,
	// 431.
	MaxHeaderBytes int `yaml:"max_header_bytes,omitempty" json:"max_header_bytes,omitempty" jsonschema:"minimum=0"`
	// ReadHeaderTimeout bounds the time to send the headers (default 10s).
	ReadHeaderTimeout contracts.Duration `yaml:"read_header_timeout,omitempty" json:"read_header_timeout,omitempty"`
	// ReadTimeout bounds the time to send a whole request (default 60s).
	ReadTimeout contracts.Duration `yaml:"read_timeout,omitempty" json:"read_timeout,omitempty"`
	// IdleTimeout bounds how long a keep-alive connection may idle
	// (default 120s).
	IdleTimeout contracts.Duration `yaml:"idle_timeout,omitempty" json:"idle_timeout,omitempty"`
}

// Limits are the bounds as a mock's server takes them.
func (l *ServerLimits) Limits() toolkit.ServerLimits {
	if l == nil {
		return toolkit.ServerLimits{}
	}
	return toolkit.ServerLimits{MaxHeaderBytes: l.MaxHeaderBytes, ReadHeaderTimeout: l.ReadHeaderTimeout.D(), ReadTimeout: l.ReadTimeout.D(), IdleTimeout: l.IdleTimeout.D()}
}

// check returns the fields of l that are out of range.
func (l *ServerLimits) check() []FieldError {
	var errs []FieldError
	if l.MaxHeaderBytes < 0 {
		errs = append(errs, FieldError{Field: "server.max_header_bytes", Message: fmt.Sprintf("%d is not a bound: want 1 or more (0 or absent for the default)", l.MaxHeaderBytes)})
	}
	for _, f := range []struct {
		name string
		d    contracts.Duration
	}{{"read_header_timeout", l.ReadHeaderTimeout}, {"read_timeout", l.ReadTimeout}, {"idle_timeout", l.IdleTimeout}} {
		if f.d.D() < 0 {
			errs = append(errs, FieldError{Field: "server." + f.name, Message: fmt.Sprintf("%s is not a duration to wait: want more than 0 (absent for the default)", f.d)})
		}
	}
	return errs
}

// CallbackSigning is how a mock signs its callbacks.
type CallbackSigning struct {
	// Secret signs the callbacks; use ${env:NAME} to keep it out of the file.
	Secret string `yaml:"secret,omitempty" json:"secret,omitempty"`
	// Scheme is the signature scheme: standard (Standard Webhooks), stripe, github or hmac-sha256.
	Scheme string `yaml:"scheme,omitempty" json:"scheme,omitempty" jsonschema:"enum=standard,enum=stripe,enum=github,enum=hmac-sha256"`
}

// WebhookRetry is a vendor's retry policy for webhook deliveries: GitHub
// does not retry (attempts: 1), others retry with a growing backoff.
type WebhookRetry struct {
	// Attempts per event and subscriber, the first included (default 8).
	Attempts int `yaml:"attempts,omitempty" json:"attempts,omitempty" jsonschema:"minimum=0"`
	// Backoff before the first retry, doubled after each (default 500ms).
	Backoff contracts.Duration `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	// MaxBackoff caps the backoff (default 30s).
	MaxBackoff contracts.Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
}

// Webhook is one subscriber of a mock's state changes.
type Webhook struct {
	// On limits the events: create, update, delete; all when empty.
	On []string `yaml:"on,omitempty" json:"on,omitempty"`
	// URL receives the deliveries: a ${system.url} reference (the service
	// under test) or a loopback address.
	URL string `yaml:"url" json:"url" jsonschema:"required"`
	// Secret signs deliveries; use ${env:NAME} to keep it out of the file.
	Secret string `yaml:"secret,omitempty" json:"secret,omitempty"`
	// Scheme is the signature scheme: standard (Standard Webhooks), stripe, github or hmac-sha256.
	Scheme string `yaml:"scheme,omitempty" json:"scheme,omitempty" jsonschema:"enum=standard,enum=stripe,enum=github,enum=hmac-sha256"`
}

// Fault is an HTTP or data fault a mock applies from the start: the kind,
// then its parameters beside it, as on a scenario's timeline
// ({fault: status, status: 503, rate: 0.1, operation: createInvoice}).
// `firedrill chaos faults` lists the kinds and their parameters.
type Fault struct {
	// Fault is the kind, one of toolkit.FaultKinds.
	Fault string `yaml:"fault" json:"fault" jsonschema:"required"`
	// Params are the fault's parameters: rate, operation, id, and the
	// kind's own (status: 503, retry_after: 2s...).
	Params map[string]string `yaml:",inline" json:"-"`
}

// HTTPFault is the fault as a mock's fault set takes it, checked.
func (f Fault) HTTPFault() (toolkit.HTTPFault, error) {
	return toolkit.NewHTTPFault(f.Fault, f.Params)
}

// Kind says which kind of mock a contract makes.
type Kind int

// The kinds of mock.
const (
	KindOpenAPI Kind = iota
	KindGraphQL
)

func (k Kind) String() string {
	if k == KindGraphQL {
		return "GraphQL"
	}
	return "OpenAPI"
}

// KindOf tells the kind of mock a contract file makes, from its name.
func KindOf(contract string) Kind {
	switch strings.ToLower(filepath.Ext(strings.TrimSpace(contract))) {
	case ".graphql", ".gql", ".graphqls", ".sdl":
		return KindGraphQL
	}
	return KindOpenAPI
}

// FieldError is one problem of a Spec: the field, named as in the file
// (rate_limit, webhooks[0].url), and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
	// File and Line say where the problem is when it is in another file
	// than the declaration (a file of records), or at a known line.
	File string
	Line int
}

func (e FieldError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s (%s:%d): %s", e.Field, e.File, e.Line, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("%s (line %d): %s", e.Field, e.Line, e.Message)
	}
	return e.Field + ": " + e.Message
}

// Check returns every problem of a Spec for a mock of kind k, each with its
// field. It checks what does not depend on where the Spec is used:
// references to other systems (${sync.url}, ${env:KEY}) are the scenario's
// to check, and must be expanded before New. Where the mock runs is not
// known either: a webhook may go to loopback, to a private address or to
// a name of one label (a container's alias on a private network); CheckOn
// checks it against the network the mock runs on.
func (s *Spec) Check(k Kind) []FieldError {
	return s.check(k, "")
}

// CheckOn returns the problems Check finds, and the webhooks the mock
// cannot deliver on network n: on toolkit.NetworkLoopback (the default),
// to loopback only.
func (s *Spec) CheckOn(k Kind, n toolkit.Network) []FieldError {
	return s.check(k, n.String())
}

// check checks s for a mock of kind k on the network named n ("" when
// not known).
func (s *Spec) check(k Kind, n string) []FieldError {
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	graphql := k == KindGraphQL
	if s.References {
		switch {
		case graphql:
			add("references", "references are checked by HTTP (OpenAPI) mocks; the GraphQL mock has no such check")
		case !s.Stateful:
			add("references", "references are checked between stateful collections: add stateful: true")
		}
	}
	errs = append(errs, s.checkKeys(graphql)...)
	errs = append(errs, s.checkStampsAndFilters(graphql)...)
	errs = append(errs, s.checkCompareAndSet()...)
	if s.RateLimit != nil && s.RateLimit.Options.Cost && !graphql {
		add("rate_limit", "rate limit %q: %v", s.RateLimit.String(), toolkit.ErrCostLimit)
	}
	for i, key := range s.APIKeys {
		if strings.TrimSpace(key) == "" {
			add(fmt.Sprintf("api_keys[%d]", i), "an API key cannot be empty")
		}
	}
	if h := s.APIKeyHeader; h != "" {
		if err := toolkit.CheckHeaderName(h); err != nil {
			add("api_key_header", "%v", err)
		} else if len(s.APIKeys) == 0 {
			add("api_key_header", "the header carries API keys: add api_keys")
		}
	}
	for _, f := range []struct {
		name string
		m    map[string]string
	}{{"basic_users", s.BasicUsers}, {"oauth_clients", s.OAuthClients}} {
		for _, name := range sortedKeys(f.m) {
			if name == "" || strings.Contains(name, ":") {
				add(f.name, "%q cannot be a name: it must be non-empty, without ':'", name)
			}
		}
	}
	switch ttl := s.OAuthTokenTTL.D(); {
	case ttl < 0:
		add("oauth_token_ttl", "%s is not a positive duration", s.OAuthTokenTTL)
	case ttl > 0 && len(s.OAuthClients) == 0:
		add("oauth_token_ttl", "tokens are served to OAuth2 clients: add oauth_clients")
	}
	if graphql && s.Callbacks != nil {
		add("callbacks", "callbacks are an OpenAPI contract's; a GraphQL schema declares none")
	}
	if s.GraphQLLimits != nil {
		if !graphql {
			add("graphql_limits", "the bounds of GraphQL requests apply to GraphQL mocks; an OpenAPI mock's requests are bounded by their schemas")
		}
		errs = append(errs, s.GraphQLLimits.check()...)
	}
	if s.Server != nil {
		errs = append(errs, s.Server.check()...)
	}
	if cb := s.Callbacks; cb != nil {
		errs = append(errs, checkSigning("callbacks", cb.Scheme, cb.Secret)...)
	}
	errs = append(errs, s.checkWebhooks(n)...)
	errs = append(errs, s.checkRecords()...)
	for i, f := range s.Faults {
		if _, err := f.HTTPFault(); err != nil {
			add(fmt.Sprintf("faults[%d]", i), "%s", unprefixed(err))
		}
	}
	return errs
}

// CompareAndSet is one collection's compare-and-set rule (see
// Spec.CompareAndSet).
type CompareAndSet struct {
	// Field is the field a write sets: quantity, orderCount.
	Field string `yaml:"field" json:"field" jsonschema:"required"`
	// Expect is the field (an argument or input field on GraphQL) that
	// carries the value the writer expects Field to hold: compareQuantity.
	// It is never stored.
	Expect string `yaml:"expect" json:"expect" jsonschema:"required"`
	// Code is the code of a stale write's user error (GraphQL); default
	// STALE.
	Code string `yaml:"code,omitempty" json:"code,omitempty"`
	// Initial is the value Field holds on a record created without it: a
	// counter's 0. None when absent.
	Initial any `yaml:"initial,omitempty" json:"initial,omitempty"`
}

// DefaultStaleCode is the user error code of a stale write when a
// declaration names none.
const DefaultStaleCode = "STALE"

// casRules returns the compare-and-set rules as the store reads them.
func (s *Spec) casRules() map[string]store.CompareAndSet {
	if len(s.CompareAndSet) == 0 {
		return nil
	}
	out := make(map[string]store.CompareAndSet, len(s.CompareAndSet))
	for name, c := range s.CompareAndSet {
		out[name] = store.CompareAndSet{Field: c.Field, Expect: c.Expect, Initial: c.Initial}
	}
	return out
}

// staleCodes returns the user error code of each collection's stale writes.
func (s *Spec) staleCodes() map[string]string {
	out := map[string]string{}
	for name, c := range s.CompareAndSet {
		out[name] = cmp.Or(c.Code, DefaultStaleCode)
	}
	return out
}

// checkCompareAndSet checks the compare-and-set rules: stateful, with a
// field and an expectation of distinct names.
func (s *Spec) checkCompareAndSet() []FieldError {
	if len(s.CompareAndSet) == 0 {
		return nil
	}
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	if !s.Stateful {
		add("compare_and_set", "compare-and-set applies to stateful collections: add stateful: true")
	}
	for _, name := range slices.Sorted(maps.Keys(s.CompareAndSet)) {
		c, field := s.CompareAndSet[name], "compare_and_set."+name
		switch {
		case strings.TrimSpace(name) == "":
			add("compare_and_set", "a collection name cannot be empty")
		case strings.TrimSpace(c.Field) == "":
			add(field+".field", "name the field a write sets: field: quantity")
		case strings.TrimSpace(c.Expect) == "":
			add(field+".expect", "name the field that carries the value the writer expects: expect: compareQuantity")
		case c.Field == c.Expect:
			add(field+".expect", "%q is the field itself: the expectation needs a name of its own", c.Expect)
		}
	}
	return errs
}

// checkKeys checks the keys of several fields: an HTTP mock's stateful
// collections, each keyed by distinct, named properties.
func (s *Spec) checkKeys(graphql bool) []FieldError {
	if len(s.Keys) == 0 {
		return nil
	}
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	switch {
	case graphql:
		add("keys", "keys of several fields are an HTTP (OpenAPI) mock's; a GraphQL mock keys its types by their id")
	case !s.Stateful:
		add("keys", "keys place records in stateful collections: add stateful: true")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Keys)) {
		field := "keys." + name
		if strings.TrimSpace(name) == "" {
			add("keys", "a collection name cannot be empty")
			continue
		}
		props := s.Keys[name]
		if len(props) == 0 {
			add(field, "a key needs the properties that make it: [sku, warehouse]")
		}
		for i, p := range props {
			switch {
			case strings.TrimSpace(p) == "":
				add(fmt.Sprintf("%s[%d]", field, i), "a key property cannot be empty")
			case slices.Index(props, p) < i:
				add(fmt.Sprintf("%s[%d]", field, i), "property %q is already in the key", p)
			}
		}
	}
	return errs
}

// checkStampsAndFilters checks the declared stamps and filters: an HTTP
// mock's stateful collections, known kinds, filters of the FIELD OP form.
func (s *Spec) checkStampsAndFilters(graphql bool) []FieldError {
	var errs []FieldError
	for _, f := range []struct {
		name  string
		rules map[string]map[string]string
		parse func(k, v string) error
	}{
		{"stamps", s.Stamps, func(k, v string) error { _, err := store.ParseStamp(k, v); return err }},
		{"filters", s.Filters, func(k, v string) error { _, err := store.ParseFilterRule(k, v); return err }},
	} {
		if len(f.rules) == 0 {
			continue
		}
		switch {
		case graphql && f.name == "filters":
			errs = append(errs, FieldError{Field: f.name, Message: "filters name an HTTP (OpenAPI) mock's list parameters; a GraphQL mock filters by the arguments that name fields and by search strings"})
		case !s.Stateful:
			errs = append(errs, FieldError{Field: f.name, Message: f.name + " apply to stateful collections: add stateful: true"})
		}
		for _, coll := range slices.Sorted(maps.Keys(f.rules)) {
			for _, k := range slices.Sorted(maps.Keys(f.rules[coll])) {
				if err := f.parse(k, f.rules[coll][k]); err != nil {
					errs = append(errs, FieldError{Field: f.name + "." + coll + "." + k, Message: err.Error()})
				}
			}
		}
	}
	return errs
}

// checkWebhooks checks what a mock delivers: only a stateful mock has
// changes to deliver, only to the network named n (any a mock may run on
// when ""), signed by a known scheme.
func (s *Spec) checkWebhooks(n string) []FieldError {
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	if len(s.Webhooks) > 0 && !s.Stateful {
		add("webhooks", "webhooks deliver the changes of stateful collections: add stateful: true")
	}
	for i, w := range s.Webhooks {
		field := fmt.Sprintf("webhooks[%d]", i)
		if strings.TrimSpace(w.URL) == "" {
			add(field+".url", "a webhook needs the url it delivers to")
		} else if !strings.Contains(w.URL, "${") {
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(field+".url", "%q is not an http(s) URL", w.URL)
			} else if msg := webhookHost(u.Hostname(), n); msg != "" {
				add(field+".url", "%s", msg)
			}
		}
		for j, on := range w.On {
			if !slices.Contains([]string{"create", "update", "delete"}, on) {
				add(fmt.Sprintf("%s.on[%d]", field, j), "event %q is not create, update or delete", on)
			}
		}
		errs = append(errs, checkSigning(field, w.Scheme, w.Secret)...)
	}
	if r := s.WebhookRetry; r != nil {
		if r.Attempts < 0 {
			add("webhook_retry.attempts", "attempts %d must be 1 or more (0 for the default, %d)", r.Attempts, toolkit.DefaultWebhookAttempts)
		}
		if r.MaxBackoff.D() > 0 && r.Backoff.D() > r.MaxBackoff.D() {
			add("webhook_retry.max_backoff", "max_backoff %s is shorter than backoff %s", r.MaxBackoff, r.Backoff)
		}
	}
	return errs
}

// checkRecords checks what records need whatever the contract: a stateful
// mock to hold them, files of a known format.
func (s *Spec) checkRecords() []FieldError {
	if len(s.Records) == 0 {
		return nil
	}
	var errs []FieldError
	if !s.Stateful {
		errs = append(errs, FieldError{Field: "records", Message: "records are loaded into stateful collections: add stateful: true"})
	}
	for _, name := range slices.Sorted(maps.Keys(s.Records)) {
		if f := s.Records[name].File; f != "" && !slices.Contains(RecordFormats, strings.ToLower(filepath.Ext(f))) {
			errs = append(errs, FieldError{Field: "records." + name, Message: fmt.Sprintf("records file %q: want one of %s", f, strings.Join(RecordFormats, ", "))})
		}
	}
	return errs
}

// WebhookSchemes are the signature schemes a mock's webhooks and callbacks
// may use.
var WebhookSchemes = []string{string(toolkit.SchemeStandard), string(toolkit.SchemeStripe), string(toolkit.SchemeGitHub), string(toolkit.SchemeHMAC)}

// checkSigning checks a signature scheme and, when written literally, the
// secret it signs with.
func checkSigning(field, scheme, secret string) []FieldError {
	var errs []FieldError
	if scheme != "" && !slices.Contains(WebhookSchemes, scheme) {
		errs = append(errs, FieldError{Field: field + ".scheme", Message: fmt.Sprintf("scheme %q is not one of %s", scheme, strings.Join(WebhookSchemes, ", "))})
	}
	if secret != "" && !strings.Contains(secret, "${") && (scheme == "" || scheme == string(toolkit.SchemeStandard)) {
		if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil || len(key) == 0 {
			errs = append(errs, FieldError{Field: field + ".secret", Message: "a Standard Webhooks secret is whsec_ followed by a base64 key"})
		}
	}
	return errs
}

// webhookHost says what is wrong with a webhook's host h for a mock on the
// network named n, "" when nothing is. A mock on loopback delivers to
// loopback only; one on a private network (`firedrill mock --network
// private`, in a container) to private addresses and names too. When the
// network is not known, only what no network allows is refused: public
// addresses, and names of more than one label (a container's alias has
// one; a public name, example.com, has more).
func webhookHost(h, n string) string {
	if h == "localhost" || isLoopbackIP(h) {
		return ""
	}
	loopbackOnly := fmt.Sprintf("webhooks go to loopback only (127.0.0.1, ::1, localhost): got host %q", h)
	switch toolkit.Network(n) {
	case toolkit.NetworkLoopback:
		return loopbackOnly + "; a mock in a container reaches its network's names with --network private"
	case toolkit.NetworkPrivate:
		if !toolkit.NetworkPrivate.AllowsURL("http://" + net.JoinHostPort(h, "80")) {
			return fmt.Sprintf("webhooks go to %s: got host %q", toolkit.NetworkPrivate.Receivers(), h)
		}
		return ""
	}
	if ip := net.ParseIP(h); ip != nil {
		if !toolkit.NetworkPrivate.AllowsURL("http://" + net.JoinHostPort(h, "80")) {
			return loopbackOnly + " (or private addresses, for a mock on a private network)"
		}
		return ""
	}
	if strings.Contains(strings.TrimSuffix(h, "."), ".") {
		return loopbackOnly + " (or a container's alias, for a mock on a private network)"
	}
	return ""
}

func isLoopbackIP(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
