package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/store"
)

// system is one system of a run, with what the run made of it.
type system struct {
	name    string
	spec    *System
	openapi *contracts.OpenAPI
	graphql *contracts.GraphQL
	journal journalReader // nil for a real endpoint or a service
	store   *store.Store  // a stateful OpenAPI mock's collections, in this process
	gql     *graphql.Mock // a GraphQL mock in this process
	faults  faultSwitch   // the HTTP and data faults the timeline switches on the mock
	records recordWriter  // a stateful mock's collections, for the timeline's data events
	// webhooks delivers a stateful mock's changes to its subscribers.
	webhooks webhookQueue
	// remote is a mock the runtime runs itself (a container): read and
	// driven through its admin API.
	remote  *remoteMock
	service RunningService
	addr    Address // what the service under test uses: the proxy for vendors
	// direct is where a mock is served, host:port, past its proxy: where
	// the harness inserts records as the vendor's own users would.
	direct string
	// adminToken is the bearer token the mock's admin API requires, if any.
	adminToken string
	// contracts names the contract files read for the system by digest.
	contracts []ci.ContractFile
}

// adminHeader is what a request to the mock's admin API carries: its
// admin token, when it has one.
func (sys *system) adminHeader() http.Header {
	if sys == nil || sys.adminToken == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + sys.adminToken}}
}

// describer is a runtime with something to say once it is up (a docker
// run's id, image and network).
type describer interface {
	Describe() string
}

// preparer is a runtime that learns the vendors' names before anything
// starts (to publish a port for each).
type preparer interface {
	Prepare(vendors []string)
}

// MockHoster is a runtime that gives its mocks names besides loopback (a
// container's network alias): their admin API answers to those names too.
type MockHoster interface {
	MockHosts(name string) []string
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
			data, err := os.ReadFile(paths[i])
			if err != nil {
				return fmt.Errorf("scenarios: system %q: %w", name, err)
			}
			sys.contracts = append(sys.contracts, ci.ContractFile{Path: f, Digest: digest(data)})
		}
		graphQL := isGraphQL(paths[0])
		if !graphQL && len(paths) > 1 {
			return fmt.Errorf("scenarios: system %q: an OpenAPI contract is one file (with local $refs); got %d", name, len(paths))
		}
		if c, ok := r.s.contracts.take(paths); ok { // loaded by Validate
			sys.openapi, sys.graphql = c.OpenAPI, c.GraphQL
			continue
		}
		var err error
		if graphQL {
			sys.graphql, err = contracts.LoadGraphQL(ctx, paths...)
		} else {
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

func isGraphQL(path string) bool { return mocks.KindOf(path) == mocks.KindGraphQL }

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
		r.inner.Systems[sys.name] = addr
	}
	if p, ok := r.rt.(preparer); ok {
		var vendors []string
		for _, sys := range r.vendorsInOrder() {
			vendors = append(vendors, sys.name)
		}
		p.Prepare(vendors)
	}
	tp, err := r.rt.Toxiproxy(ctx)
	if err != nil {
		return err
	}
	r.tp = tp
	if d, ok := r.rt.(describer); ok {
		r.progress("up     %s", d.Describe())
	}
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
		var err error
		if upstream, basePath, scheme, err = r.upEndpoint(ctx, sys); err != nil {
			return err
		}
	case sys.mocked():
		if mr, ok := r.rt.(MockRunner); ok {
			var err error
			if upstream, basePath, err = r.runMock(ctx, mr, sys); err != nil {
				return err
			}
			break
		}
		v, err := r.buildMock(sys)
		if err != nil {
			return err
		}
		upstream, err = r.rt.ServeMock(ctx, sys.name, v.Handler, v.Limits)
		if err != nil {
			return err
		}
		basePath, sys.direct = v.BasePath, upstream
	default:
		return fmt.Errorf("scenarios: system %q has nothing to run", sys.name)
	}
	p, err := r.tp.Proxy(ctx, sys.name, upstream, chaos.WithListen(r.rt.ProxyListen(sys.name)))
	adopted := false
	if errors.Is(err, chaos.ErrExists) && r.s.Drill != nil && r.s.Drill.Toxiproxy != "" {
		// The team's standing proxy, which the service in staging already
		// goes through: the drill puts its toxics on it and keeps it.
		p, err = r.adoptProxy(ctx, sys, upstream)
		adopted = err == nil
	}
	if err != nil {
		return fmt.Errorf("scenarios: proxy for %q: %w", sys.name, err)
	}
	if m, ok := r.rt.(interface{ ProxyMade(name string) }); ok && !adopted {
		m.ProxyMade(sys.name) // the staging runtime deletes it from the team's Toxiproxy
	}
	if adopted {
		r.audit("proxy", sys.name, "ok", fmt.Sprintf("the team's proxy, kept: listens on %s, forwards to %s", p.Listen, upstream))
	} else {
		r.audit("proxy", sys.name, "ok", fmt.Sprintf("listens on %s, forwards to %s", p.Listen, upstream))
	}
	inner, harness := p.Listen, p.Listen
	if nw, ok := r.rt.(Networked); ok {
		if inner, harness, err = nw.ProxyAddrs(ctx, sys.name, p.Listen); err != nil {
			return fmt.Errorf("scenarios: proxy for %q: %w", sys.name, err)
		}
	}
	in, err := hostPortAddress(scheme, inner, basePath)
	if err != nil {
		return fmt.Errorf("scenarios: proxy for %q: %w", sys.name, err)
	}
	if sys.addr, err = hostPortAddress(scheme, harness, basePath); err != nil {
		return fmt.Errorf("scenarios: proxy for %q: %w", sys.name, err)
	}
	r.res.Systems[sys.name] = sys.addr
	r.inner.Systems[sys.name] = in
	return nil
}

// adoptProxy takes the team's proxy named after sys in a drill: it must
// forward to the system's endpoint (HTTP faults need the drill's own fault
// proxy in front of it, so a system with HTTP faults cannot use it) and
// carry no toxic. The drill adds and removes its toxics on it and never
// deletes it: the service in staging goes through it before and after.
func (r *run) adoptProxy(ctx context.Context, sys *system, upstream string) (*chaos.Proxy, error) {
	p, err := r.tp.Lookup(ctx, sys.name)
	if err != nil {
		return nil, err
	}
	if p.Upstream != upstream {
		if r.httpFaultsOn(sys.name) {
			return nil, fmt.Errorf("the team's proxy %q forwards to %s; the drill's HTTP faults need its fault proxy at %s in front of the endpoint: fault this system with toxics, or name the drill's proxy otherwise: %w", sys.name, p.Upstream, upstream, chaos.ErrExists)
		}
		return nil, fmt.Errorf("the team's proxy %q forwards to %s, not to the system's %s: %w", sys.name, p.Upstream, upstream, chaos.ErrExists)
	}
	if len(p.Toxics) > 0 {
		return nil, fmt.Errorf("the team's proxy %q already carries %d toxics: the drill would not know which to roll back: %w", sys.name, len(p.Toxics), chaos.ErrExists)
	}
	return p, nil
}

// httpFaultsOn says whether the timeline switches an HTTP fault on system.
func (r *run) httpFaultsOn(system string) bool {
	for _, f := range r.s.Chaos {
		if f.System == system && f.Fault != "" {
			return true
		}
	}
	return false
}

// hostPortAddress is the Address of host:port.
func hostPortAddress(scheme, hostPort, basePath string) (Address, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return Address{}, fmt.Errorf("address %q: %w", hostPort, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return Address{}, fmt.Errorf("address %q: bad port", hostPort)
	}
	return Address{Scheme: scheme, Host: host, Port: n, BasePath: basePath}, nil
}

// runMock has the runtime run a mock from its declaration (a container):
// the run then reads and drives it through its admin API. The declaration
// is checked here first, by building the mock once in this process: a
// mistake in it is named here, with its field, not in a container's log.
func (r *run) runMock(ctx context.Context, mr MockRunner, sys *system) (upstream, basePath string, err error) {
	if len(sys.spec.Contracts) > 1 {
		return "", "", fmt.Errorf("scenarios: systems.%s.contracts: the %s runtime serves a mock from one contract file; join the schema's files into one", sys.name, r.rt.Name())
	}
	spec, set, err := r.mockDeclaration(sys)
	if err != nil {
		return "", "", err
	}
	c := mocks.Contract{Path: spec.Contract, OpenAPI: sys.openapi, GraphQL: sys.graphql}
	v, err := mocks.New(c, spec, set)
	if err != nil {
		return "", "", fmt.Errorf("scenarios: systems.%s.mock: %w", sys.name, err)
	}
	basePath = v.BasePath
	v.Close()
	// The container reads the declaration whole: the contract's file and
	// the run's seed go in it.
	file := sys.spec.Contract
	if file == "" {
		file = sys.spec.Contracts[0]
	}
	spec.Contract = r.s.Resolve(file)
	if spec.Seed == 0 {
		spec.Seed = r.seed
	}
	m, err := mr.RunMock(ctx, MockPlan{Name: sys.name, Spec: spec})
	if err != nil {
		return "", "", err
	}
	sys.direct = m.Direct
	sys.remote = newRemoteMock(sys.name, "http://"+m.Direct, sys.adminHeader())
	sys.journal, sys.faults, sys.webhooks = sys.remote, sys.remote, sys.remote
	if spec.Stateful {
		sys.records = sys.remote
	}
	return m.Upstream, basePath, nil
}

// buildMock makes the handler of a mocked system, from the one declaration
// of a mock (mocks.Spec) with its references resolved, and returns its base
// path. Down closes it, whatever ends the run: it owns the goroutines that
// deliver its webhooks.
func (r *run) buildMock(sys *system) (*mocks.Vendor, error) {
	spec, set, err := r.mockDeclaration(sys)
	if err != nil {
		return nil, err
	}
	c := mocks.Contract{Path: sys.spec.Contract, OpenAPI: sys.openapi, GraphQL: sys.graphql}
	v, err := mocks.New(c, spec, set)
	if err != nil {
		return nil, fmt.Errorf("scenarios: systems.%s.mock: %w", sys.name, err)
	}
	r.closers = append(r.closers, func() error { v.Close(); return nil })
	sys.store, sys.gql = v.Store, v.GraphQL
	if spec.Stateful {
		sys.records = localRecords{v}
	}
	if v.Journal != nil {
		sys.journal = localJournal{v.Journal}
	}
	if v.Faults != nil {
		sys.faults = v.Faults
	}
	if v.Webhooks != nil {
		sys.webhooks = v.Webhooks
	}
	return v, nil
}

// mockDeclaration is a mocked system's declaration with its references
// resolved (secrets, addresses, file paths), and its settings.
func (r *run) mockDeclaration(sys *system) (mocks.Spec, mocks.Settings, error) {
	var spec mocks.Spec
	if sys.spec.Mock != nil {
		spec = *sys.spec.Mock
	}
	spec, err := r.expandMock(sys.name, spec)
	if err != nil {
		return mocks.Spec{}, mocks.Settings{}, err
	}
	spec.Records = mocks.ResolveRecords(spec.Records, r.s.Dir())
	// Seed records' ${now...} times count from the run's start.
	set := mocks.Settings{Name: sys.name, Seed: r.seed, Logger: r.log, Now: func() time.Time { return r.out.Started }}
	if h, ok := r.rt.(MockHoster); ok {
		set.AdminHosts = h.MockHosts(sys.name)
	}
	r.secrets.Add(spec.AdminToken) // a credential, even when written in the file
	sys.adminToken = spec.AdminToken
	return spec, set, nil
}

// expandMock resolves the references of a mock's declaration: secrets from
// the environment, the addresses its webhooks go to (every service has its
// address before the first vendor starts, so ${sync.url} resolves here).
func (r *run) expandMock(name string, m mocks.Spec) (mocks.Spec, error) {
	field := "systems." + name + ".mock."
	if name == "" {
		field = "" // a mock on its own
	}
	var errs []error
	expand := func(path, s string) string {
		x, err := r.inner.Expand(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("scenarios: %s%s: %w", field, path, err))
		}
		return x
	}
	expandAll := func(path string, in map[string]string) map[string]string {
		if in == nil {
			return nil
		}
		out := make(map[string]string, len(in))
		for k, v := range in {
			out[k] = expand(path+"."+k, v)
		}
		return out
	}
	keys := make([]string, len(m.APIKeys))
	for i, k := range m.APIKeys {
		keys[i] = expand(fmt.Sprintf("api_keys[%d]", i), k)
	}
	m.APIKeys = keys
	m.BasicUsers = expandAll("basic_users", m.BasicUsers)
	m.OAuthClients = expandAll("oauth_clients", m.OAuthClients)
	if cb := m.Callbacks; cb != nil {
		m.Callbacks = &mocks.CallbackSigning{Secret: expand("callbacks.secret", cb.Secret), Scheme: cb.Scheme}
	}
	hooks := make([]mocks.Webhook, len(m.Webhooks))
	for i, wh := range m.Webhooks {
		wh.URL = expand(fmt.Sprintf("webhooks[%d].url", i), wh.URL)
		wh.Secret = expand(fmt.Sprintf("webhooks[%d].secret", i), wh.Secret)
		hooks[i] = wh
	}
	m.Webhooks = hooks
	m.AdminToken = expand("admin_token", m.AdminToken)
	return m, errors.Join(errs...)
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
	env, err := r.inner.ExpandMap(spec.Env)
	if err != nil {
		return fmt.Errorf("scenarios: systems.%s.service.env.%w", sys.name, err)
	}
	command := make([]string, len(spec.Command))
	for i, c := range spec.Command {
		if command[i], err = r.inner.Expand(c); err != nil {
			return fmt.Errorf("scenarios: systems.%s.service.command: %w", sys.name, err)
		}
	}
	pspec := ProcessSpec{Name: sys.name, Command: command, Dir: r.s.Resolve(spec.Dir), LogDir: r.dir, Redact: r.secrets,
		Service: spec, ScenarioDir: r.s.Dir(), Port: r.inner.Systems[sys.name].Port}
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
	if hm, ok := svc.(harnessMapped); ok {
		// The harness reaches the service elsewhere than its peers do (a
		// container's port mapped to loopback).
		a, err := hostPortAddress(sys.addr.Scheme, hm.HarnessAddr(), sys.addr.BasePath)
		if err != nil {
			return fmt.Errorf("scenarios: service %q: %w", sys.name, err)
		}
		sys.addr = a
		r.res.Systems[sys.name] = a
	}
	if spec.Health != "" {
		if err := svc.WaitHealthy(ctx, sys.addr.URL()+spec.Health, spec.StartTimeout.D()); err != nil {
			return fmt.Errorf("%s", r.secrets.Redact(err.Error()))
		}
	}
	r.watch(sys)
	return nil
}

// exitWatcher is a running service that tells when it ended on its own
// (a child process does; a container runtime may not).
type exitWatcher interface {
	Done() <-chan struct{}
	Exited() (bool, error)
	LastLines() string
}

// watch stops the run as soon as a service ends on its own before the run
// is over: what it measures next would be the harness's own fault, not the
// integration's ("connection refused", records missing).
func (r *run) watch(sys *system) {
	svc, ok := sys.service.(exitWatcher)
	if !ok || r.watching == nil {
		return
	}
	go func() {
		select {
		case <-r.watching:
			return
		case <-svc.Done():
		}
		select {
		case <-r.watching: // the run was over: down stopped it
			return
		default:
		}
		_, status := svc.Exited()
		how := "exited with status 0"
		var ee *exec.ExitError
		if errors.As(status, &ee) {
			how = "exited (" + ee.ProcessState.String() + ")"
		} else if status != nil {
			how = "exited (" + status.Error() + ")"
		}
		at := r.clock()
		r.progress("FAILED service %s %s at %s during %s", sys.name, how, at, r.phase())
		r.cancel(fmt.Errorf("scenarios: service %q %s at %s during %s; its last output:\n%s: %w",
			sys.name, how, at, r.phase(), indent(r.secrets.Redact(svc.LastLines())), ErrServiceExited))
	}()
}

// steadyState runs the probes before any fault starts: one that does not
// hold stops the run before the attack (a set-up failure, not a gate).
func (r *run) steadyState(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for i, p := range r.s.SteadyState {
		url, err := r.res.Expand(p.URL)
		if err != nil {
			return fmt.Errorf("scenarios: steady_state[%d]: %w", i, err)
		}
		g := ci.Probe(ctx, ci.ProbeOptions{Name: p.Name, URL: url, Expect: p.Expect, JSON: p.JSON, Client: client, Redact: r.secrets.Redact})
		if !g.Passed {
			return fmt.Errorf("scenarios: steady state %q before any fault: %s", p.Name, g.Reason)
		}
		r.progress("steady %s: %s", p.Name, g.Measured)
	}
	return nil
}
