package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// system is one system of a run, with what the run made of it.
type system struct {
	name    string
	spec    *System
	openapi *contracts.OpenAPI
	graphql *contracts.GraphQL
	journal *toolkit.Journal  // nil for a real endpoint or a service
	store   *store.Store      // a stateful OpenAPI mock's collections
	gql     *graphql.Mock     // a GraphQL mock (its state is read through it)
	faults  *toolkit.FaultSet // the HTTP and data faults the timeline switches on the mock
	// webhooks delivers a stateful mock's changes to its subscribers.
	webhooks *toolkit.Webhooks
	service  RunningService
	addr     Address // what the service under test uses: the proxy for vendors
}

func (sys *system) mocked() bool { return sys.openapi != nil || sys.graphql != nil }

// plan loads every contract and checks what the run needs before anything
// starts: a problem here is the scenario's (exit 2).
func (r *run) plan(ctx context.Context) error {
	for _, name := range r.s.sortedSystems() {
		sys := &system{name: name, spec: r.s.Systems[name]}
		r.systems = append(r.systems, sys)
		files := sys.spec.Contracts
		if sys.spec.Contract != "" {
			files = []string{sys.spec.Contract}
		}
		if len(files) == 0 {
			continue
		}
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = r.s.Resolve(f)
		}
		var err error
		if isGraphQL(paths[0]) {
			sys.graphql, err = contracts.LoadGraphQL(ctx, paths...)
		} else {
			if len(paths) > 1 {
				return fmt.Errorf("scenarios: system %q: an OpenAPI contract is one file (with local $refs); got %d", name, len(paths))
			}
			sys.openapi, err = contracts.LoadOpenAPI(ctx, paths[0])
		}
		if err != nil {
			return fmt.Errorf("scenarios: system %q: %w", name, err)
		}
	}
	if r.s.Runtime != "" && r.s.Runtime != r.rt.Name() {
		return fmt.Errorf("scenarios: the scenario asks for the %s runtime; this run uses %s", r.s.Runtime, r.rt.Name())
	}
	if _, err := load.ParseThresholds(r.s.Gates.Load...); err != nil {
		return fmt.Errorf("scenarios: gates.load: %w", err)
	}
	return nil
}

// faulted reports whether the timeline has HTTP or data faults for system.
func (r *run) faulted(system string) bool {
	for _, f := range r.s.Chaos {
		if f.System == system {
			return true
		}
	}
	return false
}

func isGraphQL(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".graphql", ".gql", ".graphqls", ".sdl":
		return true
	}
	return false
}

// up gives every service an address, starts the mocks with a proxy in front
// of each vendor, then starts the services and waits for their health.
func (r *run) up(ctx context.Context) error {
	for _, sys := range r.systems {
		if sys.spec.Service == nil {
			continue
		}
		addr, err := r.rt.ServiceAddress(sys.name, sys.spec.Service.Port)
		if err != nil {
			return err
		}
		sys.addr = addr
		r.res.Systems[sys.name] = addr
	}
	tp, err := r.rt.Toxiproxy(ctx)
	if err != nil {
		return err
	}
	r.tp = tp
	for _, sys := range r.vendorsInOrder() {
		if err := r.upVendor(ctx, sys); err != nil {
			return err
		}
		r.progress("up     %-12s %s", sys.name, sys.addr.URL())
	}
	for _, sys := range r.servicesInOrder() {
		if err := r.upService(ctx, sys); err != nil {
			return err
		}
		r.progress("up     %-12s %s (healthy)", sys.name, sys.addr.URL())
	}
	return nil
}

// upVendor serves a mock (or takes a real endpoint) and puts a proxy in front.
func (r *run) upVendor(ctx context.Context, sys *system) error {
	var upstream, basePath, scheme = "", "", "http"
	switch {
	case sys.spec.URL != "":
		a, err := ParseAddress(sys.spec.URL)
		if err != nil {
			return err
		}
		upstream, basePath, scheme = a.Addr(), a.BasePath, a.Scheme
	case sys.mocked():
		h, bp, err := r.buildMock(sys)
		if err != nil {
			return err
		}
		upstream, err = r.rt.ServeMock(ctx, sys.name, h)
		if err != nil {
			return err
		}
		basePath = bp
	default:
		return fmt.Errorf("scenarios: system %q has nothing to run", sys.name)
	}
	p, err := r.tp.Proxy(ctx, sys.name, upstream, chaos.WithListen(r.rt.ProxyListen(sys.name)))
	if err != nil {
		return fmt.Errorf("scenarios: proxy for %q: %w", sys.name, err)
	}
	host, port, err := net.SplitHostPort(p.Listen)
	if err != nil {
		return fmt.Errorf("scenarios: proxy for %q listens on %q: %w", sys.name, p.Listen, err)
	}
	n, _ := strconv.Atoi(port)
	sys.addr = Address{Scheme: scheme, Host: host, Port: n, BasePath: basePath}
	r.res.Systems[sys.name] = sys.addr
	return nil
}

// buildMock makes the handler of a mocked system and returns its base path.
func (r *run) buildMock(sys *system) (http.Handler, string, error) {
	m := sys.spec.Mock
	if m == nil {
		m = &Mock{}
	}
	seed := r.seed
	if m.Seed != 0 {
		seed = m.Seed
	}
	if r.faulted(sys.name) {
		sys.faults = toolkit.NewFaultSet(seed)
	}
	// The vendor's own checks, as a vendor makes them: who is calling
	// (the rate limit counts per credential, so it throttles only requests
	// that authenticated), how fast (a replayed request is a request like
	// any other and costs a token), and whether the request is a repeat (a
	// replay changes nothing and so sends no webhook).
	auth, err := r.mockAuth(sys.name, m)
	if err != nil {
		return nil, "", err
	}
	var limit *toolkit.RateLimitOptions
	if m.RateLimit != "" {
		rl, err := toolkit.ParseRateLimit(m.RateLimit)
		if err != nil {
			return nil, "", fmt.Errorf("scenarios: systems.%s.mock.rate_limit: %w", sys.name, err)
		}
		limit = &rl
	}
	if sys.graphql != nil {
		gopts := []graphql.Option{graphql.WithName(sys.name), graphql.WithSeed(seed), graphql.WithStateful(m.Stateful), graphql.WithLogger(r.log)}
		if auth != nil {
			gopts = append(gopts, graphql.WithAuth(auth))
		}
		if limit != nil {
			gopts = append(gopts, graphql.WithRateLimit(*limit))
		}
		g, err := graphql.NewHandler(sys.graphql, gopts...)
		if err != nil {
			return nil, "", fmt.Errorf("scenarios: mock %q: %w", sys.name, err)
		}
		sys.journal, sys.gql = g.Journal(), g
		if sys.faults != nil {
			return journalFaults(sys.name, sys.faults, g, g.Journal()), "", nil
		}
		return g, "", nil
	}
	opts := []openapi.Option{openapi.WithName(sys.name), openapi.WithSeed(seed), openapi.WithStateful(m.Stateful), openapi.WithReferences(m.References), openapi.WithLogger(r.log)}
	// Stages run in the order given, the first outermost.
	if sys.faults != nil {
		// Outermost: a faulted answer (a 429, an expired credential) must
		// never be stored and replayed by the idempotency keys.
		opts = append(opts, openapi.WithFaults(sys.faults))
	}
	if auth != nil {
		opts = append(opts, openapi.WithAuth(auth))
	}
	if limit != nil {
		opts = append(opts, openapi.WithRateLimit(*limit))
	}
	if m.Idempotency != "" {
		io, err := toolkit.ParseIdempotency(m.Idempotency)
		if err != nil {
			return nil, "", fmt.Errorf("scenarios: systems.%s.mock.idempotency: %w", sys.name, err)
		}
		opts = append(opts, openapi.WithIdempotency(io))
	}
	// Innermost: a webhook leaves only for a change the mock really made.
	// Every HTTP mock has them, as with firedrill mock: a contract's own
	// subscription endpoint and its callbacks work without webhooks: too.
	w, err := r.webhooks(sys.name, m)
	if err != nil {
		return nil, "", err
	}
	sys.webhooks = w
	opts = append(opts, openapi.WithWebhooks(w))
	h, err := openapi.NewHandler(sys.openapi, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("scenarios: mock %q: %w", sys.name, err)
	}
	sys.journal, sys.store = h.Journal(), h.Store()
	return h, h.BasePath(), nil
}

// webhooks builds the deliverer of a mock's webhooks, its references
// resolved: every service has its address before the first vendor starts,
// so ${sync.url} resolves here. Down closes it, whatever ends the run: it
// owns the goroutines that deliver.
func (r *run) webhooks(name string, m *Mock) (*toolkit.Webhooks, error) {
	o := toolkit.WebhookOptions{}
	if rt := m.WebhookRetry; rt != nil {
		o.MaxAttempts, o.Backoff, o.MaxBackoff = rt.Attempts, rt.Backoff.D(), rt.MaxBackoff.D()
	}
	if cb := m.Callbacks; cb != nil {
		secret, err := r.res.Expand(cb.Secret)
		if err != nil {
			return nil, fmt.Errorf("scenarios: systems.%s.mock.callbacks.secret: %w", name, err)
		}
		o.CallbackSecret, o.CallbackScheme = secret, toolkit.WebhookScheme(cb.Scheme)
	}
	for i, wh := range m.Webhooks {
		field := fmt.Sprintf("systems.%s.mock.webhooks[%d]", name, i)
		u, err := r.res.Expand(wh.URL)
		if err != nil {
			return nil, fmt.Errorf("scenarios: %s.url: %w", field, err)
		}
		secret, err := r.res.Expand(wh.Secret)
		if err != nil {
			return nil, fmt.Errorf("scenarios: %s.secret: %w", field, err)
		}
		o.Subscribers = append(o.Subscribers, toolkit.WebhookSubscriber{URL: u, Secret: secret, Events: wh.On, Scheme: toolkit.WebhookScheme(wh.Scheme)})
	}
	w, err := toolkit.NewWebhooks(o)
	if err != nil {
		return nil, fmt.Errorf("scenarios: system %q: %w", name, err)
	}
	r.closers = append(r.closers, func() error { w.Close(); return nil })
	return w, nil
}

// vendorsInOrder returns the vendors (mocks and real endpoints) in file
// order, except that a mock whose webhooks go to another vendor starts
// after it. Services have their addresses before any vendor starts.
func (r *run) vendorsInOrder() []*system {
	return r.inOrder(func(sys *system) bool { return sys.spec.Service == nil })
}

// servicesInOrder returns the services so that one whose environment
// refers to another starts after it.
func (r *run) servicesInOrder() []*system {
	return r.inOrder(func(sys *system) bool { return sys.spec.Service != nil })
}

// inOrder returns the systems of one kind in file order, except that one
// starts after those of its kind it needs the address of (System.needs).
// Validate refused cycles.
func (r *run) inOrder(kind func(*system) bool) []*system {
	var order []*system
	done := map[string]bool{}
	var visit func(sys *system)
	visit = func(sys *system) {
		if done[sys.name] {
			return
		}
		done[sys.name] = true
		for _, name := range sys.spec.needs() {
			if dep := r.system(name); dep != nil && kind(dep) {
				visit(dep)
			}
		}
		order = append(order, sys)
	}
	for _, sys := range r.systems {
		if kind(sys) {
			visit(sys)
		}
	}
	return order
}

func (r *run) system(name string) *system {
	i := slices.IndexFunc(r.systems, func(s *system) bool { return s.name == name })
	if i < 0 {
		return nil
	}
	return r.systems[i]
}

// upService starts one service with its references resolved.
func (r *run) upService(ctx context.Context, sys *system) error {
	spec := sys.spec.Service
	env, err := r.res.ExpandMap(spec.Env)
	if err != nil {
		return fmt.Errorf("scenarios: systems.%s.service.env.%w", sys.name, err)
	}
	command := make([]string, len(spec.Command))
	for i, c := range spec.Command {
		if command[i], err = r.res.Expand(c); err != nil {
			return fmt.Errorf("scenarios: systems.%s.service.command: %w", sys.name, err)
		}
	}
	pspec := ProcessSpec{Name: sys.name, Command: command, Dir: r.s.Resolve(spec.Dir), LogDir: r.dir, Redact: r.secrets}
	if spec.Dir == "" {
		pspec.Dir = r.s.Dir()
	}
	for _, k := range sortedKeys(env) {
		pspec.Env = append(pspec.Env, k+"="+env[k])
	}
	svc, err := r.rt.StartService(ctx, pspec)
	if err != nil {
		return err
	}
	sys.service = svc
	if spec.Health == "" {
		return nil
	}
	if err := svc.WaitHealthy(ctx, sys.addr.URL()+spec.Health, spec.StartTimeout.D()); err != nil {
		return fmt.Errorf("%s", r.secrets.Redact(err.Error()))
	}
	return nil
}

// steadyState runs the probes before any fault starts.
func (r *run) steadyState(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for i, p := range r.s.SteadyState {
		url, err := r.res.Expand(p.URL)
		if err != nil {
			return fmt.Errorf("scenarios: steady_state[%d]: %w", i, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("scenarios: steady_state[%d]: %w", i, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("scenarios: steady state %q: %w", p.Name, err)
		}
		resp.Body.Close()
		ok := resp.StatusCode/100 == 2
		if p.Expect != 0 {
			ok = resp.StatusCode == p.Expect
		}
		if !ok {
			return fmt.Errorf("scenarios: steady state %q: %s answered %d before any fault", p.Name, r.secrets.Redact(url), resp.StatusCode)
		}
		r.progress("steady %s: %d", p.Name, resp.StatusCode)
	}
	return nil
}

type faultLabelKey struct{}

// journalFaults puts a fault set in front of a handler that keeps its own
// journal (the GraphQL mock) and records in that journal the answers the
// faults gave instead of it, so the resilience gates see the failures and
// the retries that followed. Such a request was not judged against the
// schema: it is recorded as valid, the way the same request is judged when
// it gets through.
func journalFaults(name string, fs *toolkit.FaultSet, h http.Handler, j *toolkit.Journal) http.Handler {
	faulted := fs.Handler(h, func(r *http.Request, label string) {
		if p, ok := r.Context().Value(faultLabelKey{}).(*string); ok {
			*p = label
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, toolkit.MaxJournalBody+1))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		var label string
		r = r.WithContext(context.WithValue(r.Context(), faultLabelKey{}, &label))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		faulted.ServeHTTP(rec, r)
		if label == "" {
			return
		}
		j.Record(toolkit.Entry{System: name, Time: start, Duration: time.Since(start), Direction: "inbound",
			Client: r.RemoteAddr, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body,
			Status: rec.status, Fault: label, Valid: true})
	})
}

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

// mockAuth builds the credentials a mock accepts, their references
// resolved; nil when the scenario sets none.
func (r *run) mockAuth(name string, m *Mock) (*toolkit.Auth, error) {
	if len(m.APIKeys) == 0 && len(m.BasicUsers) == 0 && len(m.OAuthClients) == 0 {
		return nil, nil
	}
	o := toolkit.AuthOptions{}
	for i, k := range m.APIKeys {
		key, err := r.res.Expand(k)
		if err != nil {
			return nil, fmt.Errorf("scenarios: systems.%s.mock.api_keys[%d]: %w", name, i, err)
		}
		o.APIKeys = append(o.APIKeys, key)
	}
	expandAll := func(field string, in map[string]string) (map[string]string, error) {
		out := map[string]string{}
		for k, v := range in {
			x, err := r.res.Expand(v)
			if err != nil {
				return nil, fmt.Errorf("scenarios: systems.%s.mock.%s.%s: %w", name, field, k, err)
			}
			out[k] = x
		}
		return out, nil
	}
	var err error
	if o.BasicUsers, err = expandAll("basic_users", m.BasicUsers); err != nil {
		return nil, err
	}
	if len(m.OAuthClients) > 0 {
		clients, err := expandAll("oauth_clients", m.OAuthClients)
		if err != nil {
			return nil, err
		}
		o.OAuth2 = &toolkit.OAuth2Options{Clients: clients, TokenTTL: m.OAuthTokenTTL.D()}
	}
	a, err := toolkit.NewAuth(o)
	if err != nil {
		return nil, fmt.Errorf("scenarios: systems.%s.mock: %w", name, err)
	}
	return a, nil
}
