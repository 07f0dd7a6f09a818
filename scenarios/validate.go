package scenarios

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks"
)

// MaxAttack is the longest attack a scenario may ask for: every load is
// bounded in time.
const MaxAttack = 30 * time.Minute

// DefaultMultiplier is the factor on the expected peak when none is given.
const DefaultMultiplier = 3

var systemName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// validator collects the problems of a parsed scenario.
type validator struct {
	s         *Scenario
	problems  []Problem
	contracts map[string]mocks.Contract // loaded by the checks that read them
}

func (v *validator) addf(path, hint, format string, args ...any) {
	at := v.s.index.at(path)
	v.problems = append(v.problems, Problem{
		File: v.s.file, Line: at.line, Column: at.col, Path: path,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// Validate checks what Parse cannot: required fields, references to
// systems that exist, files that exist, durations that fit, cycles between
// services. It returns an *Error listing every problem, sorted by line.
func (s *Scenario) Validate() error {
	v := &validator{s: s, contracts: map[string]mocks.Contract{}}
	if strings.TrimSpace(s.Name) == "" {
		v.addf("name", "", "a scenario needs a name that says what it proves")
	}
	if s.Runtime != "" && !slices.Contains([]string{"embedded", "docker", "staging"}, s.Runtime) {
		v.addf("runtime", hintFrom(s.Runtime, []string{"embedded", "docker", "staging"}), "runtime %q is not embedded, docker or staging", s.Runtime)
	}
	if len(s.Systems) == 0 {
		v.addf("systems", "", "a scenario needs at least one system")
	}
	for _, name := range s.sortedSystems() {
		v.system(name, s.Systems[name])
	}
	v.serviceCycles()
	for i, p := range s.SteadyState {
		path := fmt.Sprintf("steady_state[%d]", i)
		if p.Name == "" {
			v.addf(path+".name", "", "a probe needs a name")
		}
		v.url(path+".url", p.URL, nil)
		v.probe(path, p)
	}
	for i, p := range s.Gates.Probes {
		path := fmt.Sprintf("gates.probes[%d]", i)
		if p.Name == "" {
			v.addf(path+".name", "", "a probe needs a name")
		}
		v.url(path+".url", p.URL, nil)
		v.probe(path, p)
	}
	v.records()
	v.load()
	v.chaos()
	v.gates()
	v.backoffGates()
	v.breakerGates()
	v.runtimeAndThresholds()
	v.loadContracts()
	v.operations()
	v.fieldChecks()
	v.drill()
	v.checkExpressions()
	if len(v.problems) == 0 {
		return nil
	}
	sortProblems(v.problems)
	return &Error{Problems: v.problems}
}

// sortedSystems returns system names in file order (then any others).
func (s *Scenario) sortedSystems() []string {
	names := slices.Clone(s.order)
	for name := range s.Systems {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// Dir is the folder relative paths in the scenario resolve against.
func (s *Scenario) Dir() string {
	if s.file == "" {
		return "."
	}
	return filepath.Dir(s.file)
}

// Resolve makes a path of the scenario file absolute.
func (s *Scenario) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir(), p)
}

func (v *validator) system(name string, sys *System) {
	path := "systems." + name
	if !systemName.MatchString(name) {
		v.addf(path, "", "system name %q must be lowercase letters, digits, - or _, starting with a letter", name)
	}
	if sys == nil {
		v.addf(path, "", "system %q is empty: give it a contract, a url or a service", name)
		return
	}
	kinds := 0
	if sys.Contract != "" || len(sys.Contracts) > 0 {
		kinds++
	}
	if sys.URL != "" {
		kinds++
	}
	if sys.Service != nil {
		kinds++
	}
	switch {
	case kinds == 0:
		v.addf(path, "", "system %q needs a contract (a mocked vendor), a url (a real endpoint) or a service (the integration under test)", name)
	case kinds > 1 && !(sys.URL != "" && sys.Service == nil):
		v.addf(path, "", "system %q mixes contract, url and service: a system is one of them (a url may come with a contract)", name)
	}
	if sys.Contract != "" && len(sys.Contracts) > 0 {
		v.addf(path+".contracts", "", "give contract or contracts, not both")
	}
	if v.s.Runtime == "docker" {
		if len(sys.Contracts) > 1 && sys.URL == "" {
			v.addf(path+".contracts", "join the schema's files into one", "the docker runtime serves a mock from one contract file; got %d", len(sys.Contracts))
		}
		if a, err := ParseAddress(sys.URL); err == nil && sys.URL != "" && loopbackName(a.Host) {
			v.addf(path+".url", "give the endpoint's address on the network, or run embedded", "the docker runtime's proxies run in a container, where %s is the container itself, not this machine", a.Host)
		}
	}
	fields, contracts := sys.ContractFields(path)
	for i, c := range contracts {
		field := fields[i]
		if _, err := os.Stat(v.s.Resolve(c)); err != nil {
			v.addf(field, "", "contract file %q not found (paths are relative to the scenario file)", c)
		}
	}
	if sys.Mock != nil && sys.Contract == "" && len(sys.Contracts) == 0 {
		v.addf(path+".mock", "", "a mock needs the contract it serves")
	}
	if sys.Mock != nil {
		v.mock(path+".mock", sys)
	}
	if sys.URL != "" {
		v.url(path+".url", sys.URL, nil)
	}
	if sys.Service != nil {
		v.service(path+".service", sys.Service)
	}
}

// mock checks a system's mock declaration: mocks.Spec.Check for what the
// declaration says, and here what only a scenario knows, its references.
func (v *validator) mock(path string, sys *System) {
	m := sys.Mock
	if m.Contract != "" {
		v.addf(path+".contract", "move it to "+strings.TrimSuffix(path, ".mock")+".contract", "in a scenario the system's contract is what its mock serves")
	}
	kind := mocks.KindOpenAPI
	if isGraphQLSystem(sys) {
		kind = mocks.KindGraphQL
	}
	for _, e := range m.Check(kind) {
		v.addf(path+"."+e.Field, "", "%s", e.Message)
	}
	for i, k := range m.APIKeys {
		v.refs(fmt.Sprintf("%s.api_keys[%d]", path, i), k, nil)
	}
	for _, field := range []struct {
		name string
		m    map[string]string
	}{{"basic_users", m.BasicUsers}, {"oauth_clients", m.OAuthClients}} {
		for _, k := range sortedKeys(field.m) {
			v.refs(path+"."+field.name+"."+k, field.m[k], nil)
		}
	}
	if cb := m.Callbacks; cb != nil {
		v.refs(path+".callbacks.secret", cb.Secret, nil)
	}
	v.refs(path+".admin_token", m.AdminToken, nil)
	for i, w := range m.Webhooks {
		wp := fmt.Sprintf("%s.webhooks[%d]", path, i)
		v.webhookURL(wp+".url", w.URL)
		v.refs(wp+".secret", w.Secret, nil)
	}
}

// isGraphQLSystem reports whether a system's contract is a GraphQL schema.
func isGraphQLSystem(sys *System) bool {
	contract := sys.Contract
	if contract == "" && len(sys.Contracts) > 0 {
		contract = sys.Contracts[0]
	}
	return contract != "" && isGraphQL(contract)
}

// webhookURL checks where a mock delivers when it names a system of the
// scenario (${sync.url}/webhooks): the reference must come first, so the
// URL is that system's. A literal URL is mocks.Spec.Check's to judge
// (loopback only).
func (v *validator) webhookURL(path, u string) {
	if !strings.Contains(u, "${") {
		return
	}
	v.url(path, u, nil)
	refs, err := ParseRefs(u)
	if err != nil {
		return // reported by url
	}
	if len(refs) == 0 || refs[0].Kind != RefSystem || refs[0].Attr != "url" || refs[0].Offset != 0 {
		v.addf(path, "", "a webhook url starts with a ${system.url} reference or is a loopback URL: got %q", u)
	}
}

func (v *validator) service(path string, svc *Service) {
	runtime := v.s.Runtime
	if (runtime == "" || runtime == "embedded") && len(svc.Command) == 0 {
		v.addf(path+".command", "", "the embedded runtime starts the service with a command, e.g. [go, run, ./service]")
	}
	if runtime == "docker" {
		switch {
		case svc.Image == "" && svc.Build == "":
			v.addf(path+".image", "or build: a Dockerfile", "the docker runtime runs the service from an image, or builds one")
		case svc.Image != "" && svc.Build != "":
			v.addf(path+".build", "keep one", "give image or build, not both")
		}
	}
	if svc.Build != "" {
		if fi, err := os.Stat(v.s.Resolve(svc.Build)); err != nil || fi.IsDir() {
			v.addf(path+".build", "", "Dockerfile %q not found (relative to the scenario file)", svc.Build)
		}
	}
	if r := svc.Resources; r != nil {
		if r.Memory != "" {
			if _, err := ParseBytes(r.Memory); err != nil {
				v.addf(path+".resources.memory", "e.g. 256Mi, 1Gi", "%v", err)
			}
		}
		if r.CPUs < 0 {
			v.addf(path+".resources.cpus", "", "cpus %g is negative", r.CPUs)
		}
	}
	if svc.Health != "" && !strings.HasPrefix(svc.Health, "/") {
		v.addf(path+".health", "", "health is a path on the service, starting with /: got %q", svc.Health)
	}
	if svc.Port < 0 || svc.Port > 65535 {
		v.addf(path+".port", "", "port %d is not between 0 and 65535", svc.Port)
	}
	if svc.Dir != "" {
		if fi, err := os.Stat(v.s.Resolve(svc.Dir)); err != nil || !fi.IsDir() {
			v.addf(path+".dir", "", "working directory %q not found (relative to the scenario file)", svc.Dir)
		}
	}
	for _, k := range sortedKeys(svc.Env) {
		v.refs(path+".env."+k, svc.Env[k], nil)
	}
}

// url checks a URL value: its references, and that it can be an address.
func (v *validator) url(path, u string, vars []string) {
	if strings.TrimSpace(u) == "" {
		v.addf(path, "", "a url is required")
		return
	}
	v.refs(path, u, vars)
	if !strings.HasPrefix(u, "${") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		v.addf(path, "", "url %q must start with http://, https:// or a ${system.url} reference", u)
	}
}

// refs checks every ${...} reference in a value. vars are the flow values
// a bare ${name} may use there; nil where none may be used.
func (v *validator) refs(path, value string, vars []string) {
	refs, err := ParseRefs(value)
	if err != nil {
		v.addf(path, "", "%v", err)
	}
	for _, r := range refs {
		switch r.Kind {
		case RefSystem:
			if _, ok := v.s.Systems[r.System]; !ok {
				v.addf(path, hintFrom(r.System, v.s.sortedSystems()), "%s names system %q, which the scenario does not define", r.Raw, r.System)
			}
		case RefVar:
			if n, ok := strings.CutPrefix(r.Name, load.VarRand+"."); ok && vars != nil {
				if k, err := strconv.Atoi(n); err != nil || k < 1 || k > 1e9 {
					v.addf(path, "", "%s: want rand.N with N a whole number from 1 to 1000000000", r.Raw)
				}
				continue
			}
			if !slices.Contains(vars, r.Name) {
				h := hintFrom(r.Name, vars)
				if vars == nil {
					h = "flow values are only known inside load.flow; use ${system.url} or ${env:NAME} here"
				}
				v.addf(path, h, "%s is not a known value", r.Raw)
			}
		}
	}
}

// hintFrom suggests the known name closest to got, or lists them all.
func hintFrom(got string, known []string) string {
	if len(known) == 0 {
		return ""
	}
	fields := structFields{}
	for i, k := range known {
		fields[k] = i
	}
	return strings.Replace(hint(got, fields), "known fields: ", "known: ", 1)
}

// serviceCycles finds services whose environments refer to each other,
// and mocks whose webhooks go to each other: none of them could start
// first (a service needs the addresses its environment names, a mock the
// addresses of the vendors its webhooks go to).
func (v *validator) serviceCycles() {
	services, mocks := map[string][]string{}, map[string][]string{}
	for name, sys := range v.s.Systems {
		if sys == nil {
			continue
		}
		deps := mocks
		if sys.Service != nil {
			deps = services
		}
		for _, other := range sys.needs() {
			if o, ok := v.s.Systems[other]; ok && o != nil && (o.Service != nil) == (sys.Service != nil) && other != name {
				deps[name] = append(deps[name], other)
			}
		}
	}
	if c := findCycle(services, v.s.sortedSystems()); c != nil {
		v.addf("systems."+c[0]+".service.env", "", "services refer to each other in a cycle (%s): none can start first", strings.Join(c, " → "))
	}
	if c := findCycle(mocks, v.s.sortedSystems()); c != nil {
		v.addf("systems."+c[0]+".mock.webhooks", "", "mocks deliver webhooks to each other in a cycle (%s): none can start first", strings.Join(c, " → "))
	}
}

// findCycle returns the first cycle of deps, visiting names in order, its
// first name repeated at its end; nil when there is none.
func findCycle(deps map[string][]string, names []string) []string {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack, cycle []string
	var visit func(string) bool
	visit = func(n string) bool {
		state[n] = visiting
		stack = append(stack, n)
		for _, d := range deps[n] {
			if state[d] == visiting {
				i := slices.Index(stack, d)
				cycle = append(slices.Clone(stack[i:]), d)
				return true
			}
			if state[d] == unseen && visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	for _, name := range names {
		if state[name] == unseen && visit(name) {
			return cycle
		}
	}
	return nil
}

func (v *validator) load() {
	l := v.s.Load
	if l == nil {
		return
	}
	if l.Peak.IsZero() && l.Shape != "stages" {
		v.addf("load.peak", "", "load needs the expected peak rate, e.g. peak: 40/s")
	}
	if l.Multiplier < 0 {
		v.addf("load.multiplier", "", "multiplier %v must be positive", l.Multiplier)
	}
	if l.Duration.D() <= 0 {
		v.addf("load.duration", "", "load needs a duration, e.g. duration: 60s")
	} else if l.Duration.D() > MaxAttack {
		v.addf("load.duration", "", "duration %s is longer than the %s cap on an attack", l.Duration, MaxAttack)
	}
	if l.Ramp.D() > l.Duration.D() && l.Duration.D() > 0 {
		v.addf("load.ramp", "", "ramp %s is longer than the attack (%s)", l.Ramp, l.Duration)
	}
	if l.Shape == "stages" && len(l.Stages) == 0 {
		v.addf("load.stages", "", "shape stages needs stages: [{duration: 10s, target: 40/s}, ...]")
	}
	if len(l.Flow) == 0 {
		v.addf("load.flow", "", "load needs a flow of at least one step")
	}
	vars := slices.Clone(IterationValues)
	for i, st := range l.Flow {
		path := fmt.Sprintf("load.flow[%d]", i)
		if st.Name == "" {
			v.addf(path+".name", "", "a step needs a name (reports group results by it)")
		}
		if st.Method != "" && !slices.Contains(httpMethods, strings.ToUpper(st.Method)) {
			v.addf(path+".method", "", "%q is not an HTTP method", st.Method)
		}
		if st.Insert != nil {
			v.insertStep(path, st)
		} else {
			v.url(path+".url", st.URL, vars)
		}
		for _, k := range sortedKeys(st.Headers) {
			v.refs(path+".headers."+k, st.Headers[k], vars)
		}
		walkStrings(st.Body, func(s string) { v.refs(path+".body", s, vars) })
		if st.Expect != 0 && (st.Expect < 100 || st.Expect > 599) {
			v.addf(path+".expect", "", "status %d is not an HTTP status", st.Expect)
		}
		if st.Sign != nil {
			v.refs(path+".sign.secret", st.Sign.Secret, nil)
			if _, err := signer(st.Sign.Scheme, "whsec_", time.Now); err != nil {
				v.addf(path+".sign.scheme", "", "%v", err)
			}
		}
		vars = append(vars, sortedKeys(st.Capture)...)
	}
}

// IterationValues are the values every flow iteration makes fresh, as the
// load generator names them: ${seq} (1, 2, ...), ${uuid} and ${rand}
// (seeded); ${rand.N} (below N) is read apart.
var IterationValues = []string{load.VarSeq, load.VarUUID, load.VarRand}

var httpMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

func walkStrings(x any, f func(string)) {
	switch t := x.(type) {
	case string:
		f(t)
	case map[string]any:
		for _, k := range sortedKeys(t) {
			walkStrings(t[k], f)
		}
	case []any:
		for _, e := range t {
			walkStrings(e, f)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// loopbackName reports whether host names this machine's loopback.
func loopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
