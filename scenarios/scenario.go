package scenarios

import (
	"fmt"
	"strconv"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Scenario is one drill: the systems around an integration, the load to push,
// the faults to inject and the gates that decide pass or fail. It is what a
// scenario file holds; Parse reads one strictly and Validate checks it whole.
type Scenario struct {
	// Name says what the drill proves, e.g. "order sync holds at 3x peak".
	Name string `yaml:"name" json:"name" jsonschema:"required"`
	// Owner is who answers for the integration (a team or an address).
	Owner string `yaml:"owner,omitempty" json:"owner,omitempty"`
	// Description is free text for the datasheet and the report.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Seed makes generated data, fault rates and jitter reproducible.
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Runtime is where the systems run: embedded (default), docker or staging.
	Runtime string `yaml:"runtime,omitempty" json:"runtime,omitempty" jsonschema:"enum=embedded,enum=docker,enum=staging"`
	// Systems are the vendors (mocked from a contract, or real endpoints) and
	// the service under test, by name. Names are used in ${name.url} references.
	Systems map[string]*System `yaml:"systems" json:"systems" jsonschema:"required"`
	// SteadyState lists probes that must pass before faults start.
	SteadyState []Probe `yaml:"steady_state,omitempty" json:"steady_state,omitempty"`
	// Load is the traffic pushed through the integration during the attack.
	Load *Load `yaml:"load,omitempty" json:"load,omitempty"`
	// Chaos is the fault timeline, relative to the start of the attack.
	Chaos []Fault `yaml:"chaos,omitempty" json:"chaos,omitempty"`
	// Gates decide the verdict.
	Gates Gates `yaml:"gates,omitempty" json:"gates,omitempty"`
	// Drill is the safety of a drill against staging (runtime: staging):
	// the allow-list, the cap on faulted traffic and the safeguards.
	Drill *Drill `yaml:"drill,omitempty" json:"drill,omitempty"`

	file   string
	digest string // sha256:HEX of the bytes parsed
	index  *posIndex
	order  []string // system names in file order
	// contracts are those Validate loaded, for the next run to take.
	contracts *contractCache
}

// File is the path the scenario was read from ("" when parsed from memory).
func (s *Scenario) File() string { return s.file }

// Digest is "sha256:" and the hex SHA-256 of the bytes the scenario was
// parsed from ("" when built in code): two runs of one scenario name the
// same digest, and an edited file another.
func (s *Scenario) Digest() string { return s.digest }

// SystemNames returns the system names in the order the file lists them.
func (s *Scenario) SystemNames() []string { return append([]string(nil), s.order...) }

// System is one party of the integration: a vendor mocked from its contract,
// a real endpoint, or the service under test.
type System struct {
	// Contract is the vendor's OpenAPI (2.0, 3.0, 3.1) or GraphQL SDL file,
	// relative to the scenario file. A GraphQL schema split over several files
	// lists them in Contracts instead.
	Contract  string   `yaml:"contract,omitempty" json:"contract,omitempty"`
	Contracts []string `yaml:"contracts,omitempty" json:"contracts,omitempty"`
	// Mock serves the contract; it is the default for a system with a contract.
	Mock *mocks.Spec `yaml:"mock,omitempty" json:"mock,omitempty"`
	// URL is a real endpoint (staging): firedrill proxies it instead of mocking.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Service is the integration under test, started by the runtime.
	Service *Service `yaml:"service,omitempty" json:"service,omitempty"`
}

// needs names the systems whose addresses s must have before it starts:
// those a service's environment refers to, the receivers of a mock's
// webhooks. The runner starts them first; Validate refuses cycles.
func (s *System) needs() []string {
	var values []string
	switch {
	case s.Service != nil:
		for _, k := range sortedKeys(s.Service.Env) {
			values = append(values, s.Service.Env[k])
		}
	case s.Mock != nil:
		for _, wh := range s.Mock.Webhooks {
			values = append(values, wh.URL)
		}
	}
	var names []string
	for _, v := range values {
		refs, _ := ParseRefs(v)
		for _, r := range refs {
			if r.Kind == RefSystem {
				names = append(names, r.System)
			}
		}
	}
	return names
}

// Service is the integration under test.
type Service struct {
	// Command starts it in the embedded runtime, e.g. [go, run, ./service].
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Dir is its working directory, relative to the scenario file.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Image runs it in the docker runtime: the image the pipeline ships,
	// present on the engine (nothing is pulled).
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// Build builds its image for the run in the docker runtime instead, from
	// a Dockerfile (relative to the scenario file; its folder is the build
	// context). The image is removed when the run ends.
	Build string `yaml:"build,omitempty" json:"build,omitempty"`
	// WaitLog is text the service prints once it is ready: the docker
	// runtime waits for it too, within start_timeout.
	WaitLog string `yaml:"wait_log,omitempty" json:"wait_log,omitempty"`
	// Resources bound the service's container in the docker runtime.
	Resources *Resources `yaml:"resources,omitempty" json:"resources,omitempty"`
	// Env is its environment; values may hold ${...} references.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// Port it listens on; 0 lets firedrill choose one and pass it as ${name.port}.
	Port int `yaml:"port,omitempty" json:"port,omitempty" jsonschema:"minimum=0,maximum=65535"`
	// Health is the path that answers 2xx once the service is ready.
	Health string `yaml:"health,omitempty" json:"health,omitempty"`
	// StartTimeout bounds the wait for health (default 60s).
	StartTimeout Duration `yaml:"start_timeout,omitempty" json:"start_timeout,omitempty"`
}

// Resources bound a container: memory (bytes with a unit: 256Mi, 1Gi,
// 512M) and CPUs (1.5 = one and a half cores).
type Resources struct {
	Memory string  `yaml:"memory,omitempty" json:"memory,omitempty"`
	CPUs   float64 `yaml:"cpus,omitempty" json:"cpus,omitempty" jsonschema:"minimum=0"`
}

// Probe is an HTTP GET of an endpoint that must answer Expect, and whose
// JSON must make an expression true: before the faults (steady_state) or
// at the end of settle (gates.probes).
type Probe struct {
	Name string `yaml:"name" json:"name" jsonschema:"required"`
	// URL is the endpoint asked with GET: ${sync.url}/admin/dead-letters.
	URL string `yaml:"url" json:"url" jsonschema:"required"`
	// Expect is the status wanted; any 2xx when absent.
	Expect int `yaml:"expect,omitempty" json:"expect,omitempty"`
	// JSON is a CEL expression over the decoded JSON answer (body) and
	// its status that must be true: "body.count == 0",
	// "size(body.items) == 0".
	JSON string `yaml:"json,omitempty" json:"json,omitempty"`
	// Within is how long a gate's probe is asked again until it holds
	// (default 10s; 0s asks once). Steady-state probes are asked once.
	Within *Duration `yaml:"within,omitempty" json:"within,omitempty"`
}

// Load is the traffic of the attack: a flow pushed at peak × multiplier.
type Load struct {
	Flow []Step `yaml:"flow" json:"flow" jsonschema:"required"`
	// Peak is the expected peak rate, e.g. 40/s.
	Peak Rate `yaml:"peak" json:"peak" jsonschema:"required"`
	// Multiplier scales the peak (default 3).
	Multiplier float64 `yaml:"multiplier,omitempty" json:"multiplier,omitempty" jsonschema:"exclusiveMinimum=0"`
	// Duration of the attack.
	Duration Duration `yaml:"duration" json:"duration" jsonschema:"required"`
	// Ramp is a linear ramp-up before the full rate.
	Ramp Duration `yaml:"ramp,omitempty" json:"ramp,omitempty"`
	// Shape of the rate: constant (default), ramp, sine or stages.
	Shape string `yaml:"shape,omitempty" json:"shape,omitempty" jsonschema:"enum=constant,enum=ramp,enum=sine,enum=stages"`
	// Stages, for shape stages: each holds or moves the rate to Target over Duration.
	Stages []Stage `yaml:"stages,omitempty" json:"stages,omitempty"`
}

// Stage is one leg of a staged load shape, as in k6.
type Stage struct {
	Duration Duration `yaml:"duration" json:"duration" jsonschema:"required"`
	Target   Rate     `yaml:"target" json:"target" jsonschema:"required"`
}

// Step is one request of a flow: to a URL (the integration's traffic), or
// an insert into a mock's collection (people entering data in a vendor).
type Step struct {
	Name   string `yaml:"name" json:"name" jsonschema:"required"`
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// URL is where the request goes; a step has a url or an insert.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Insert acts on a mock as its users would: the body goes straight to
	// the mock's admin insert (POST /__firedrill/collections/NAME), past
	// the chaos proxy and out of the journal, stored as a create through
	// the API would be (webhooks sent). Expect defaults to 201; captures
	// read the stored record ({ticket_id: $.id}).
	Insert  *Insert           `yaml:"insert,omitempty" json:"insert,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is sent as JSON; strings may hold ${...} references.
	Body any `yaml:"body,omitempty" json:"body,omitempty"`
	// Capture names values of the answer for later steps: {order_id: $.id}.
	Capture map[string]string `yaml:"capture,omitempty" json:"capture,omitempty"`
	// Expect is the status that counts as success (any 2xx when 0).
	Expect int `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Sign signs each request as a webhook sender does.
	Sign *Signature `yaml:"sign,omitempty" json:"sign,omitempty"`
}

// Insert names the collection of a stateful mock a flow step inserts into.
type Insert struct {
	// System is the mocked system, stateful.
	System string `yaml:"system" json:"system" jsonschema:"required"`
	// Collection is one of its collections (a type, on a GraphQL mock).
	Collection string `yaml:"collection" json:"collection" jsonschema:"required"`
}

// Fault is one event of the timeline: a Toxiproxy toxic on the proxy in
// front of a system, an HTTP/data fault applied by a system's mock, or a
// data event that writes into a system's stateful mock at one second of
// the attack (insert or update, and no for). Parameters of the toxic or
// fault sit beside the known fields (latency: 800ms, status: 503, rate: 0.5).
type Fault struct {
	At Duration `yaml:"at" json:"at"`
	// For is how long a toxic or mock fault stays on; a data event takes none.
	For Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Proxy names the system whose proxy gets a toxic.
	Proxy string `yaml:"proxy,omitempty" json:"proxy,omitempty"`
	// Toxic is the Toxiproxy toxic: latency, bandwidth, slow_close, timeout,
	// reset_peer, limit_data, slicer, or down.
	Toxic     string  `yaml:"toxic,omitempty" json:"toxic,omitempty"`
	Direction string  `yaml:"direction,omitempty" json:"direction,omitempty" jsonschema:"enum=upstream,enum=downstream"`
	Toxicity  float64 `yaml:"toxicity,omitempty" json:"toxicity,omitempty" jsonschema:"minimum=0,maximum=1"`
	// System names the mock that applies an HTTP or data fault, or that a
	// data event writes into.
	System string `yaml:"system,omitempty" json:"system,omitempty"`
	// Fault is the mock fault, one of toolkit.FaultKinds.
	Fault string `yaml:"fault,omitempty" json:"fault,omitempty"`
	// Insert makes the entry a data event: records put into a collection
	// of the system's stateful mock at At.
	Insert *DataInsert `yaml:"insert,omitempty" json:"insert,omitempty"`
	// Update makes the entry a data event: one record of a collection of
	// the system's stateful mock changed at At.
	Update *DataUpdate `yaml:"update,omitempty" json:"update,omitempty"`
	// Params are the toxic's or fault's parameters.
	Params map[string]string `yaml:",inline" json:"-"`

	index int // its place in the chaos section, once a run takes it
}

// data reports whether the entry is a data event rather than a fault.
func (f Fault) data() bool { return f.Insert != nil || f.Update != nil }

// partial reports whether the fault fails only some of the calls: a mock
// fault at a rate under 1 or on one operation, a toxic with a toxicity
// under 1. Validation has checked the rate.
func (f Fault) partial() bool {
	if f.Toxicity > 0 && f.Toxicity < 1 {
		return true
	}
	if f.System == "" {
		return false
	}
	if f.Params[toolkit.FaultParamOperation] != "" {
		return true
	}
	rate, err := strconv.ParseFloat(f.Params[toolkit.FaultParamRate], 64)
	return err == nil && rate < 1
}

// DataInsert is a data event that stores records in a stateful mock's
// collection as creates through its API would (checked against the
// contract, ids assigned where missing, stamps written where the record
// holds none): rows entered in the vendor at that second of the attack.
//
//	chaos:
//	  - {at: 4s, system: shop, insert: {collection: orders, webhooks: false,
//	     records: [{id: late-1, total: 12, updated_at: "${now-5m}"}]}}
//
// A row inserted with webhooks: false, carrying an updated_at older than
// the integration's watermark, is the late row a watermark bug misses.
type DataInsert struct {
	// Collection is one of the mock's collections (a type, on a GraphQL mock).
	Collection string `yaml:"collection" json:"collection" jsonschema:"required"`
	// Records are a list of objects, or a file of them (.json, .yaml,
	// .ndjson) relative to the scenario file, as seed records are. A string
	// value that is ${now}, ${now-5m} or ${now+90s} (a Go duration, or days:
	// ${now-30d}) becomes that instant when the event fires, RFC 3339 UTC.
	Records mocks.Records `yaml:"records" json:"records" jsonschema:"required"`
	// Webhooks false stores the records without the webhooks their creates
	// would send (default true): a lost webhook, a row the integration only
	// finds by polling.
	Webhooks *bool `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// DataUpdate is a data event that changes one record of a stateful mock's
// collection as an update through its API would: Set is a JSON merge
// patch (fields kept unless set; null removes one), checked against the
// contract, the update time and declared stamps written, the update's
// webhook sent.
//
//	chaos:
//	  - {at: 6s, system: crm, update: {collection: Customer, id: c-1, set: {tier: gold}}}
type DataUpdate struct {
	// Collection is one of the mock's collections (a type, on a GraphQL mock).
	Collection string `yaml:"collection" json:"collection" jsonschema:"required"`
	// ID is the record's id; a record with it must exist when the event fires.
	ID string `yaml:"id" json:"id" jsonschema:"required"`
	// Set is the merge patch; its strings may be ${now...} times, read when
	// the event fires.
	Set map[string]any `yaml:"set" json:"set" jsonschema:"required"`
	// Webhooks false changes the record without the webhook its update
	// would send (default true).
	Webhooks *bool `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// Gates are what decide the verdict.
type Gates struct {
	// Load thresholds, e.g. "p99 < 1.5s" (per request), "success >= 99.9%",
	// `step "create order" p99 < 300ms`, "iteration p99 < 2s".
	Load        []string          `yaml:"load,omitempty" json:"load,omitempty"`
	Contract    *ContractGate     `yaml:"contract,omitempty" json:"contract,omitempty"`
	Resilience  []ResilienceGate  `yaml:"resilience,omitempty" json:"resilience,omitempty"`
	Consistency *ConsistencyGates `yaml:"consistency,omitempty" json:"consistency,omitempty"`
	// Probes ask the service itself at the end of settle: a dead-letter
	// queue that must be empty, a backlog that must be drained.
	Probes []Probe `yaml:"probes,omitempty" json:"probes,omitempty"`
}

// ContractGate bounds the requests the service sent that broke a contract.
type ContractGate struct {
	InvalidRequests int `yaml:"invalid_requests" json:"invalid_requests" jsonschema:"minimum=0"`
}

// ResilienceGate lists the properties the integration must show towards one system.
type ResilienceGate struct {
	System           string `yaml:"system" json:"system" jsonschema:"required"`
	HonorsRetryAfter bool   `yaml:"honors_retry_after,omitempty" json:"honors_retry_after,omitempty"`
	// Backoff exponential asks that retry intervals grow: the waits of
	// each retried request grow by MinGrowth per retry (the median slope,
	// judged with its bootstrap band; inconclusive when chance could give
	// it either way), so full jitter passes; fixed delays and immediate
	// retries fail.
	Backoff string `yaml:"backoff,omitempty" json:"backoff,omitempty" jsonschema:"enum=exponential,enum=any"`
	// MaxBackoff is the cap no retry interval may pass (by more than half).
	MaxBackoff Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
	// MinGrowth is the least growth of the backoff per retry (default 1.4).
	MinGrowth float64 `yaml:"min_growth,omitempty" json:"min_growth,omitempty" jsonschema:"minimum=1"`
	// GiveUpAfter is the longest gap inside a retry chain: an attempt later
	// than that (a dead-letter queue's redrive) begins a new chain. Default
	// 3 × max_backoff, or 1m without it.
	GiveUpAfter Duration `yaml:"give_up_after,omitempty" json:"give_up_after,omitempty"`
	// RetryAfterGrace is how long after a Retry-After asked a retry may
	// come and still be the vendor's pacing, left out of the backoff
	// (default 1s).
	RetryAfterGrace Duration `yaml:"retry_after_grace,omitempty" json:"retry_after_grace,omitempty"`
	// Operation limits the backoff gate to one operation: an operationId,
	// "METHOD /template" or "METHOD /path".
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"`
	// Window limits the backoff gate to the retry chains that began within
	// it, counted from the start of the attack.
	Window *GateWindow `yaml:"window,omitempty" json:"window,omitempty"`
	// DuringFaults limits the backoff gate to the retry chains that began
	// while a fault on this system was on.
	DuringFaults        bool     `yaml:"during_faults,omitempty" json:"during_faults,omitempty"`
	MaxRateDuringOutage Rate     `yaml:"max_rate_during_outage,omitempty" json:"max_rate_during_outage,omitempty"`
	BreakerWithin       Duration `yaml:"breaker_within,omitempty" json:"breaker_within,omitempty"`
	IdempotencyKeys     bool     `yaml:"idempotency_keys,omitempty" json:"idempotency_keys,omitempty"`
	MaxCallDuration     Duration `yaml:"max_call_duration,omitempty" json:"max_call_duration,omitempty"`
	RecoveryWithin      Duration `yaml:"recovery_within,omitempty" json:"recovery_within,omitempty"`
}

// GateWindow is a span of the attack, from its start; an absent bound
// leaves that side open.
type GateWindow struct {
	From Duration `yaml:"from,omitempty" json:"from,omitempty"`
	To   Duration `yaml:"to,omitempty" json:"to,omitempty"`
}

// ConsistencyGates compare the data in the systems after the attack.
type ConsistencyGates struct {
	// Settle bounds the wait for the systems to agree.
	Settle Duration           `yaml:"settle,omitempty" json:"settle,omitempty"`
	Checks []ConsistencyCheck `yaml:"checks" json:"checks" jsonschema:"required"`
}

// ConsistencyCheck compares a source collection with a target collection.
type ConsistencyCheck struct {
	Name   string     `yaml:"name" json:"name" jsonschema:"required"`
	Source Collection `yaml:"source" json:"source" jsonschema:"required"`
	Target Collection `yaml:"target" json:"target" jsonschema:"required"`
	Join   Join       `yaml:"join" json:"join" jsonschema:"required"`
	// Expect is exactly-once (default), at-least-once or subset.
	Expect string                `yaml:"expect,omitempty" json:"expect,omitempty" jsonschema:"enum=exactly-once,enum=at-least-once,enum=subset"`
	Fields map[string]FieldCheck `yaml:"fields,omitempty" json:"fields,omitempty"`
}

// Collection names where records come from: a mock's collection, or an
// HTTP list endpoint. With group_by and aggregate, the side is grouped
// before the join, for a side that holds many records per key:
//
//	source: {system: warehouse, collection: stock, group_by: sku,
//	         aggregate: {available: "sum(math.greatest(0, on_hand - reserved))", bins: "count()"}}
//
// Each group then stands as one record holding its key (under the name
// group_by has when it is a field name, sku here, else under key) and
// each aggregate by name; the join and the fields of this side read those
// records: join: {source: sku, target: sku}, fields: {available: {source:
// available, target: available}}. A mismatched or missing group shows its
// key, the aggregate's diff and how many records stand behind it.
type Collection struct {
	System string `yaml:"system" json:"system" jsonschema:"required"`
	// Collection is a stateful mock's collection: an OpenAPI mock's
	// collection, a GraphQL mock's type.
	Collection string `yaml:"collection,omitempty" json:"collection,omitempty"`
	// GroupBy is a CEL expression over a record: the records with one value
	// form a group. A record whose value is null counts as an error.
	GroupBy string `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	// Aggregate names each value of a group: "sum(EXPR)", "min(EXPR)" and
	// "max(EXPR)" over a CEL expression per record, or "count()" for its
	// records. Nulls are skipped; a sum of nothing is 0, a min or max of
	// nothing is null. CEL's math extension clamps and bounds per record:
	// math.greatest(0, x), math.least(a, b).
	Aggregate map[string]string `yaml:"aggregate,omitempty" json:"aggregate,omitempty"`
	// Path of an HTTP list endpoint, for systems that are not mocks (or to
	// read a mock through its own list operation).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Items is the dotted path of the records array in a page; empty when
	// the page is the array.
	Items string `yaml:"items,omitempty" json:"items,omitempty"`
	// Paging says how the list endpoint hands out its next page.
	Paging ci.Paging `yaml:"paging,omitempty" json:"paging,omitempty"`
	// Auth names the environment variables holding the endpoint's credentials.
	Auth ci.Auth `yaml:"auth,omitempty" json:"auth,omitempty"`
}

// Join pairs records by a key expression on each side (CEL); on a side
// that is grouped, records are its groups.
type Join struct {
	Source string `yaml:"source" json:"source" jsonschema:"required"`
	Target string `yaml:"target" json:"target" jsonschema:"required"`
}

// FieldCheck maps one field on each side (CEL expressions) and says how
// to compare them.
type FieldCheck struct {
	Source string `yaml:"source" json:"source" jsonschema:"required"`
	Target string `yaml:"target" json:"target" jsonschema:"required"`
	// Tolerance is the largest difference between two numbers that still
	// agree; numbers compare as JSON numbers, so 2 and 2.0 agree.
	Tolerance float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty" jsonschema:"minimum=0"`
	// Compare instant reads both sides as instants (RFC 3339 and common
	// layouts, Unix seconds, Unix milliseconds) and compares them whatever
	// their zones: 2026-01-02T03:04:05Z equals 2026-01-02T04:04:05+01:00.
	Compare string `yaml:"compare,omitempty" json:"compare,omitempty" jsonschema:"enum=instant"`
	// Zone is where instants written without an offset are read (default UTC).
	Zone string `yaml:"zone,omitempty" json:"zone,omitempty"`
	// TimeTolerance is the largest difference between two instants that
	// still agree; it implies compare: instant.
	TimeTolerance   Duration `yaml:"time_tolerance,omitempty" json:"time_tolerance,omitempty"`
	EmptyEqualsNull bool     `yaml:"empty_equals_null,omitempty" json:"empty_equals_null,omitempty"`
	Ignore          bool     `yaml:"ignore,omitempty" json:"ignore,omitempty"`
}

// ContractFields lists the system's contract files as the scenario names
// them, each with its field (prefix.contract, prefix.contracts[i]), in
// file order: what validation and a run's bundle both walk.
func (s *System) ContractFields(prefix string) (fields, paths []string) {
	for i, c := range append([]string{s.Contract}, s.Contracts...) {
		if c == "" {
			continue
		}
		field := prefix + ".contract"
		if i > 0 {
			field = fmt.Sprintf("%s.contracts[%d]", prefix, i-1)
		}
		fields, paths = append(fields, field), append(paths, c)
	}
	return fields, paths
}
