package mocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Order is the order of a mock's vendor behaviours, the first outermost. It
// is fixed by kind, whatever the order they are declared in:
//
//  1. faults: a faulted answer (a 503, a 429, an expired credential) is what
//     the client sees, never stored and replayed by the idempotency keys;
//  2. auth: who is calling; a bad credential is told 401, its real problem,
//     and spends no budget;
//  3. rate limit: how fast, per credential; a replayed request costs a
//     token like any other (GraphQL cost throttling needs the parsed query,
//     so a GraphQL mock charges it after auth and once the query is read,
//     still before idempotency);
//  4. idempotency: whether the request is a repeat (on a GraphQL mock, a
//     mutation keyed by the header or by the @idempotent directive its
//     schema declares); a replay changes nothing and so sends no webhook;
//  5. webhooks: innermost, so a webhook leaves only for a change the mock
//     really made.
var Order = []string{"faults", "auth", "rate_limit", "idempotency", "webhooks"}

// Contract is a loaded contract of either kind.
type Contract struct {
	Path    string
	OpenAPI *contracts.OpenAPI
	GraphQL *contracts.GraphQL
}

// Kind is the kind of mock the contract makes.
func (c Contract) Kind() Kind {
	if c.GraphQL != nil {
		return KindGraphQL
	}
	return KindOpenAPI
}

// Name is the contract's name: an OpenAPI title, else the file's name.
func (c Contract) Name() string {
	if c.OpenAPI != nil {
		return c.OpenAPI.Name()
	}
	return strings.TrimSuffix(filepath.Base(c.Path), filepath.Ext(c.Path))
}

// LoadContract loads a contract of the kind its file name says (KindOf).
func LoadContract(ctx context.Context, path string) (Contract, error) {
	c := Contract{Path: path}
	var err error
	if KindOf(path) == KindGraphQL {
		c.GraphQL, err = contracts.LoadGraphQL(ctx, path)
	} else {
		c.OpenAPI, err = contracts.LoadOpenAPI(ctx, path)
	}
	return c, err
}

// Settings are what a mock takes from where it runs rather than from its
// declaration.
type Settings struct {
	Name   string       // the system's name (the contract's when empty)
	Seed   int64        // used when the Spec sets none (DefaultSeed when 0)
	Logger *slog.Logger // discarded when nil
	// AdminHosts are the names, besides loopback, the admin API answers
	// to: those the runtime gave the mock (see toolkit.AdminGuard).
	AdminHosts []string
	// Limits bound what a client may send the mock's server (Serve): its
	// headers' size, how long it may take to send a request, how long a
	// connection may idle; zero fields take the toolkit.ServerLimits
	// defaults (64 KiB, 10 s for the headers, 60 s for the request, 120 s).
	Limits toolkit.ServerLimits
	// JournalBytes bounds the journal's memory
	// (toolkit.DefaultJournalBytes, 64 MiB, when 0).
	JournalBytes int64
	// Network is where the mock may listen and whom its webhooks and
	// callbacks may reach (toolkit.NetworkLoopback when empty; see
	// toolkit.Network). A runtime that runs the mock in a container on a
	// private network sets toolkit.NetworkPrivate.
	Network toolkit.Network
	// Now is the clock the records' ${now...} times read, once, when the
	// mock loads them (time.Now when nil): a run passes its start.
	Now func() time.Time
}

// DefaultSeed seeds a mock whose Spec and Settings set none.
const DefaultSeed = openapi.DefaultSeed

// Vendor is a mocked vendor built from its Spec: the handler to serve and
// what a run reads of it. Close ends what it started (webhook deliveries).
type Vendor struct {
	Name     string
	Kind     Kind
	Handler  http.Handler         // the mock, its behaviours and admin API in front
	BasePath string               // where the contract's operations are served
	Limits   toolkit.ServerLimits // what Serve allows a client (Settings.Limits)
	Network  toolkit.Network      // where Serve may listen (Settings.Network)
	Journal  *toolkit.Journal
	Faults   *toolkit.FaultSet // always there: /__firedrill/faults works on every mock
	Auth     *toolkit.Auth     // nil without credentials
	Webhooks *toolkit.Webhooks // OpenAPI mocks, and GraphQL mocks that declare webhooks
	Store    *store.Store      // stateful OpenAPI mocks only
	OpenAPI  *openapi.Mock     // the mock itself, by kind
	GraphQL  *graphql.Mock
}

// Close stops the webhook deliveries. It is idempotent and safe on nil.
func (v *Vendor) Close() {
	if v != nil && v.Webhooks != nil {
		v.Webhooks.Close()
	}
}

// New builds the mock a Spec declares for contract c, its behaviours in
// Order, and loads its records (relative record files are read from the
// working directory: ResolveRecords first) before it serves, sending no
// webhook. References to other systems must be expanded first. Every
// problem of the Spec is reported at once (Check, then the records').
func New(c Contract, s Spec, set Settings) (*Vendor, error) {
	network, err := toolkit.ParseNetwork(string(set.Network))
	if err != nil {
		return nil, err
	}
	if errs := s.CheckOn(c.Kind(), network); len(errs) > 0 {
		return nil, joinFieldErrors(errs)
	}
	v := &Vendor{Name: set.Name, Kind: c.Kind(), Limits: set.Limits, Network: network}
	if s.Server != nil {
		v.Limits = s.Server.Limits() // the declaration's, over the runtime's
	}
	if v.Name == "" {
		v.Name = c.Name()
	}
	if set.Logger == nil {
		set.Logger = slog.New(slog.DiscardHandler)
	}
	seed := s.Seed
	if seed == 0 {
		seed = set.Seed
	}
	if seed == 0 {
		seed = DefaultSeed
	}
	v.Faults = toolkit.NewFaultSet(seed)
	v.Faults.CheckOperations(c.CheckOperation) // the admin API's and the timeline's faults
	for i, f := range s.Faults {
		hf, err := f.HTTPFault()
		if err == nil {
			err = c.CheckOperation(hf.Operation)
		}
		if err == nil {
			_, err = v.Faults.Add(hf)
		}
		if err != nil {
			return nil, fmt.Errorf("mocks: %s: faults[%d]: %w", v.Name, i, err)
		}
	}
	auth, err := s.auth()
	if err != nil {
		return nil, fmt.Errorf("mocks: %s: %w", v.Name, err)
	}
	v.Auth = auth
	if c.GraphQL != nil {
		err = v.graphQL(c, s, seed, set.Logger)
	} else {
		err = v.openAPI(c, s, seed, set.Logger)
	}
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("mocks: %s: %w", v.Name, err)
	}
	v.Journal.SetMaxBytes(set.JournalBytes)
	now := time.Now
	if set.Now != nil {
		now = set.Now
	}
	if errs := v.seed(s.Records, now()); len(errs) > 0 {
		v.Close()
		return nil, fmt.Errorf("mocks: %s: %w", v.Name, joinFieldErrors(errs))
	}
	// One guard in front of every admin endpoint, of either kind.
	v.Handler = toolkit.AdminGuard{Hosts: set.AdminHosts, Token: s.AdminToken}.Handler(v.Handler)
	return v, nil
}

func (v *Vendor) openAPI(c Contract, s Spec, seed int64, log *slog.Logger) error {
	opts := []openapi.Option{openapi.WithName(v.Name), openapi.WithSeed(seed), openapi.WithStateful(s.Stateful),
		openapi.WithReferences(s.References), openapi.WithKeys(s.Keys), openapi.WithStamps(s.Stamps), openapi.WithFilters(s.Filters), openapi.WithCompareAndSet(s.casRules()), openapi.WithLogger(log), openapi.WithFaults(v.Faults)}
	if v.Auth != nil {
		opts = append(opts, openapi.WithAuth(v.Auth))
	}
	if s.RateLimit != nil {
		opts = append(opts, openapi.WithRateLimit(s.RateLimit.Options))
	}
	if s.Idempotency != nil {
		o := s.Idempotency.Options
		o.KeyHeader = s.APIKeyHeader
		opts = append(opts, openapi.WithIdempotency(o))
	}
	// Every HTTP mock has webhooks: a contract's own subscription endpoint
	// and its callbacks work without a subscriber declared.
	w, err := s.webhooks(v.Network)
	if err != nil {
		return err
	}
	v.Webhooks = w
	m, err := openapi.NewHandler(c.OpenAPI, append(opts, openapi.WithWebhooks(w))...)
	if err != nil {
		return err
	}
	v.OpenAPI, v.Handler, v.BasePath, v.Journal, v.Store = m, m, m.BasePath(), m.Journal(), m.Store()
	return nil
}

func (v *Vendor) graphQL(c Contract, s Spec, seed int64, log *slog.Logger) error {
	opts := []graphql.Option{graphql.WithName(v.Name), graphql.WithSeed(seed), graphql.WithStateful(s.Stateful), graphql.WithLogger(log),
		graphql.WithLimits(s.GraphQLLimits.Limits())}
	if v.Auth != nil {
		opts = append(opts, graphql.WithAuth(v.Auth))
	}
	if s.RateLimit != nil {
		o := s.RateLimit.Options
		o.KeyHeader = s.APIKeyHeader // each key its own bucket, in the vendor's header
		opts = append(opts, graphql.WithRateLimit(o))
	}
	if s.Idempotency != nil {
		o := s.Idempotency.Options
		o.KeyHeader = s.APIKeyHeader // keys scoped by the vendor's credential
		opts = append(opts, graphql.WithIdempotency(o))
	}
	if len(s.CompareAndSet) > 0 {
		opts = append(opts, graphql.WithCompareAndSet(s.casRules(), s.staleCodes()))
	}
	if len(s.Stamps) > 0 {
		opts = append(opts, graphql.WithStamps(s.Stamps))
	}
	if len(s.Webhooks) > 0 {
		// Only the subscribers declared: a schema has no subscription
		// endpoint nor callbacks.
		w, err := s.webhooks(v.Network)
		if err != nil {
			return err
		}
		v.Webhooks = w
		opts = append(opts, graphql.WithWebhooks(w))
	}
	g, err := graphql.NewHandler(c.GraphQL, opts...)
	if err != nil {
		return err
	}
	v.GraphQL, v.Journal = g, g.Journal()
	v.Handler = faultsInFront(v.Name, v.Faults, g, g.Journal(), g.Misrouted, g.Names)
	return nil
}

// auth builds the credentials a mock accepts; nil when it declares none.
func (s *Spec) auth() (*toolkit.Auth, error) {
	if len(s.APIKeys) == 0 && len(s.BasicUsers) == 0 && len(s.OAuthClients) == 0 {
		return nil, nil
	}
	o := toolkit.AuthOptions{APIKeys: s.APIKeys, APIKeyHeader: s.APIKeyHeader, BasicUsers: s.BasicUsers}
	if len(s.OAuthClients) > 0 {
		o.OAuth2 = &toolkit.OAuth2Options{Clients: s.OAuthClients, TokenTTL: s.OAuthTokenTTL.D()}
	}
	return toolkit.NewAuth(o)
}

// webhooks builds the deliverer of a mock's webhooks (and an HTTP mock's
// callbacks), which reaches network n only.
func (s *Spec) webhooks(n toolkit.Network) (*toolkit.Webhooks, error) {
	o := toolkit.WebhookOptions{Network: n}
	if r := s.WebhookRetry; r != nil {
		o.MaxAttempts, o.Backoff, o.MaxBackoff = r.Attempts, r.Backoff.D(), r.MaxBackoff.D()
	}
	if cb := s.Callbacks; cb != nil {
		o.CallbackSecret, o.CallbackScheme = cb.Secret, toolkit.WebhookScheme(cb.Scheme)
	}
	for _, w := range s.Webhooks {
		o.Subscribers = append(o.Subscribers, toolkit.WebhookSubscriber{URL: w.URL, Secret: w.Secret, Events: w.On, Scheme: toolkit.WebhookScheme(w.Scheme)})
	}
	return toolkit.NewWebhooks(o)
}

// faultsInFront puts a fault set, and its admin API at FaultsPath, in front
// of a mock that keeps its own journal (the GraphQL mock), and records in
// that journal the answers the faults gave instead of it, so the resilience
// gates see the failures and the retries that followed. Such a request was
// not judged against the schema: it is recorded as valid, the way the same
// request is judged when it gets through; unless it went to a path the
// mock does not serve (misrouted says why), which breaks the contract
// whatever the answer. A request to such a path runs no operation: a fault
// scoped to one does not hit it.
func faultsInFront(name string, fs *toolkit.FaultSet, h http.Handler, j *toolkit.Journal, misrouted func(path string) string, names func(*http.Request, []byte) (string, []string)) http.Handler {
	type labelKey struct{}
	faulted := fs.Handler(h, func(r *http.Request, label string) {
		if p, ok := r.Context().Value(labelKey{}).(*string); ok {
			*p = label
		}
	})
	admin := fs.AdminHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == toolkit.FaultsPath || strings.HasPrefix(r.URL.Path, toolkit.FaultsPath+"/") {
			admin.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, toolkit.MaxJournalBody+1))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		wrong := misrouted(r.URL.Path)
		var operation string
		if fs.Scoped() && wrong == "" {
			var fields []string
			operation, fields = names(r, body)
			r = toolkit.WithOperationNames(r, operation, fields)
		}
		var label string
		r = r.WithContext(context.WithValue(r.Context(), labelKey{}, &label))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		faulted.ServeHTTP(rec, r)
		if label == "" {
			return
		}
		var vs []toolkit.Violation
		if wrong != "" {
			vs = []toolkit.Violation{{In: "route", Message: wrong}}
		}
		var origin http.Header // the load marks its own requests; other headers may hold secrets
		if o := r.Header.Get(toolkit.OriginHeader); o != "" {
			origin = http.Header{toolkit.OriginHeader: {o}}
		}
		j.Record(toolkit.Entry{System: name, Time: start, Duration: time.Since(start), Direction: "inbound", Header: origin,
			Client: r.RemoteAddr, Method: r.Method, Path: r.URL.Path, Query: journalSecrets.MaskQuery(r.URL.RawQuery),
			Body: journalSecrets.MaskBody(r.Header.Get("Content-Type"), body), Operation: operation,
			Status: rec.status, Fault: label, Valid: vs == nil, Violations: vs})
	})
}

// journalSecrets masks what a faulted GraphQL exchange journals, as the
// GraphQL mock masks what it answers itself.
var journalSecrets = toolkit.NewSecrets(nil)

// statusRecorder remembers the status an answer was written with.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func joinFieldErrors(errs []FieldError) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = fmt.Errorf("mocks: %w", e)
	}
	return errors.Join(out...)
}
