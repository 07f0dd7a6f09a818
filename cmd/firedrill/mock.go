package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
	"github.com/firedrill/firedrill/scenarios"
)

// mockFlags are the options of `firedrill mock`: where the mocks listen,
// and the flags that fill the one mock declaration (mocks.Spec), or
// --config, a file that holds it whole.
type mockFlags struct {
	port       int
	host       string
	listen     string
	network    string
	adminHosts []string
	config     []string

	stateful   bool
	references bool
	seed       seedFlag

	rateLimit      string
	apiKeys        []string
	basicUsers     []string
	oauthClients   []string
	webhooks       []string
	faults         []string
	callbackSecret string
	callbackScheme string
	idempotencyKey string
	tokenTTL       time.Duration
	webhookRetry   string
	adminToken     string
	graphQLLimits  string
	serverLimits   string

	set func(name string) bool // whether a flag was given
}

func newMockCmd(st *state) *cobra.Command {
	var f mockFlags
	cmd := &cobra.Command{
		Use:   "mock CONTRACT...",
		Short: "Serve vendor APIs as strict mocks from their contracts",
		Long: `Serve each contract (OpenAPI 2.0, 3.0 or 3.1 in YAML or JSON; GraphQL SDL in
.graphql or .gql) as a mock on loopback. Requests are validated against the
contract (refusals are application/problem+json naming every violation, or
GraphQL errors from a GraphQL mock) and answered with the contract's examples
or data generated from its schemas.

Once every mock is ready, one line per contract is printed: NAME URL. The
mocks serve until interrupted (Ctrl-C, SIGTERM), then finish the requests in
flight and exit 0. With one contract the mock listens on --port; with several,
on consecutive ports from --port (random ports with --port 0).

Records: with --stateful, --seed COLLECTION=FILE (repeatable) fills a
collection before the mock serves, from a .json array, a .yaml list or
.ndjson lines (on a GraphQL mock the collections are types: --seed
Customer=customers.ndjson); each record is checked against the contract
(file:line and field on a refusal), gets an id when it has none, and sends
no webhook. POST /__firedrill/collections/NAME with a JSON object (or an
array) inserts records at run time as a create would: 201, webhooks sent.

Admin API of each mock: GET /__firedrill/health, /__firedrill/requests,
/__firedrill/collections (with --stateful), /__firedrill/auth (with --api-key,
--basic-user or --oauth-client: revoke keys, expire tokens),
/__firedrill/webhooks (queue, pause, resume, drain; on a GraphQL mock with
--webhook). The admin API answers requests to loopback names only
(localhost, 127.0.0.1, [::1]: 403 otherwise, against DNS rebinding) and to
the names given with --admin-host, never with CORS headers, and with
--admin-token only those that carry "Authorization: Bearer TOKEN" (401
otherwise).

In a container: --network private (the default is loopback) lets the mocks
listen on any interface (--listen 0.0.0.0:8080) and deliver webhooks and
callbacks to names on the container's private network (a service's alias:
--webhook http://sync:8080/hooks), each connection checked on the address
the name resolves to: loopback and private addresses (RFC 1918, RFC 4193,
100.64.0.0/10) only, never link-local (cloud metadata) nor public ones.

Vendor behaviours, off unless asked for. For every mock, OpenAPI and GraphQL:
--rate-limit throttles each credential (429 with Retry-After and
X-RateLimit-* headers); --api-key, --basic-user and --oauth-client accept
only those credentials (OAuth2 tokens from the contract's tokenUrl path, else
/oauth/token). On GraphQL contracts only, --rate-limit N/unit,burst=B,by=cost
throttles by calculated query cost as Shopify does: N/unit restores points,
B is the bucket; every answer carries extensions.cost, and a query over the
bucket or past what it holds gets MAX_COST_EXCEEDED or THROTTLED with HTTP
200. A GraphQL mock takes an API key as "Authorization: Bearer KEY"
or in an X-API-Key header, wants credentials for introspection too, and
refuses with GraphQL errors (codes UNAUTHENTICATED, RATE_LIMITED, THROTTLED).
Every GraphQL mock bounds each request, as GitHub and Shopify do, before it
validates or runs it: --graphql-limits depth=20,selections=1000,aliases=100,
tokens=15000,answer-bytes=16777216 (the defaults) changes them; a request
over them gets HTTP 200 and MAX_DEPTH_EXCEEDED, MAX_SELECTIONS_EXCEEDED,
MAX_ALIASES_EXCEEDED, MAX_TOKENS_EXCEEDED or ANSWER_TOO_LARGE.

For every mock too: --idempotency-key honours keys as Stripe does; --webhook
(with --stateful) delivers the changes of stateful collections, signed as
Standard Webhooks says (or scheme=stripe, scheme=github, scheme=hmac-sha256),
retried with backoff, in order per record. A GraphQL mock takes the key on
mutations only, and also from Shopify's @idempotent(key:) directive whenever
its schema declares it (with or without the flag); it refuses a key reused
with other arguments, or one still in flight, with HTTP 200 (mismatch=
sets another) and the codes IDEMPOTENCY_KEY_PARAMETER_MISMATCH and
IDEMPOTENCY_CONCURRENT_REQUEST. Its webhooks are typed after the record's
type: customer.created, customer.updated, customer.deleted.

For the OpenAPI mocks only (refused when every contract is GraphQL): a
contract's own subscription endpoint (webhook_endpoints and the like)
subscribes loopback URLs too; an operation's OpenAPI 3.0 callbacks are called
at the loopback URL the request names ({$request.body#/callback_url} and the
like), signed with --callback-secret (generated when not given) by
--callback-scheme; --references.

HTTP and data faults: --fault KIND,PARAM=VALUE... is active from the start,
KIND one of ` + mockFaultKinds() + `
("firedrill chaos faults" lists their parameters); /__firedrill/faults switches
faults on and off at run time on every mock, OpenAPI and GraphQL.

One declaration: the flags fill the same mock declaration as a scenario's
mock: section, and --config FILE reads one whole, in that very format
(contract: in the file, or as the argument); --config given several times
serves one mock per file, on consecutive ports. Behaviours apply in a fixed
order whatever the order given: faults, auth, rate limit, idempotency,
webhooks.`,
		Example: `  firedrill mock examples/petstore/petstore.yaml --port 8080
  firedrill mock shop.openapi.yaml accounting.openapi.yaml crm.graphql --port 0 --stateful
  curl -H 'X-API-Key: k' http://127.0.0.1:8080/v1/pets/1
  firedrill mock accounting.openapi.yaml --stateful --rate-limit 20/s,burst=5 --api-key sk_test \
    --idempotency-key Idempotency-Key --webhook http://127.0.0.1:9000/hooks,events=create
  firedrill mock shop.openapi.yaml --stateful --callback-secret whsec_ZGVtby1zaG9wLXNlY3JldA==
  firedrill mock crm.graphql --rate-limit 20/s --api-key crm_key --oauth-client sync:s3cret
  firedrill mock crm.graphql --stateful --idempotency-key Idempotency-Key --webhook http://127.0.0.1:9000/hooks
  firedrill mock shop.graphql --rate-limit 50/s,burst=1000,by=cost --api-key shpat_test
  firedrill mock accounting.openapi.yaml --fault status,status=503,rate=0.1,operation=createInvoice
  firedrill mock helpdesk.openapi.yaml --stateful --seed tickets=tickets.ndjson --seed customers=customers.json
  firedrill mock --config accounting.mock.yaml --port 8080
  firedrill mock --network private --listen 0.0.0.0:8080 --config shop.mock.yaml --config crm.mock.yaml`,
		Args: usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runMock(cmd.Context(), st, args, f)
		},
	}
	bindMockFlags(cmd.Flags(), &f)
	return cmd
}

// bindMockFlags binds the flags of firedrill mock to f.
func bindMockFlags(fs *pflag.FlagSet, f *mockFlags) {
	fs.StringVar(&f.webhookRetry, "webhook-retry", "", "how deliveries are retried: ATTEMPTS[,backoff=500ms][,max-backoff=30s], e.g. 1 for none, as GitHub")
	fs.StringArrayVar(&f.config, "config", nil, "read the mock declaration from [NAME=]FILE, in the format of a scenario's mock: section; NAME names the mock (its journal's system) instead of its contract (repeatable: one mock per file, on consecutive ports)")
	fs.StringVar(&f.network, "network", string(toolkit.NetworkLoopback), "loopback: listen on and deliver to loopback only; private (in a container): listen on any interface, deliver to loopback and private addresses")
	fs.StringVar(&f.listen, "listen", "", "HOST:PORT of the first mock, instead of --host and --port (a non-loopback HOST needs --network private)")
	fs.StringArrayVar(&f.adminHosts, "admin-host", nil, "a name, besides loopback, the admin API answers to: the mock's alias on a container network (repeatable)")
	fs.StringArrayVar(&f.faults, "fault", nil, "apply an HTTP or data fault from the start: KIND[,PARAM=VALUE...], e.g. status,status=503,rate=0.1; KIND is one of "+mockFaultKinds()+" (repeatable; firedrill chaos faults lists the parameters)")
	fs.IntVar(&f.port, "port", 0, "port of the first mock (0: a random free port for each)")
	fs.StringVar(&f.host, "host", "127.0.0.1", "loopback address to listen on")
	fs.BoolVar(&f.stateful, "stateful", false, "keep what clients create: collections inferred from the paths (OpenAPI) or the types mutations return (GraphQL)")
	fs.BoolVar(&f.references, "references", false, "with --stateful, refuse (400) a write naming another collection's record the mock does not hold, e.g. an invoice for an unknown customer")
	fs.Var(&f.seed, "seed", "N: seed of the generated answers and the faults' draws (default 1); COLLECTION=FILE: records the collection holds from the start, from a .json, .yaml or .ndjson file (repeatable; with --stateful)")
	fs.StringVar(&f.rateLimit, "rate-limit", "", "throttle each credential like a vendor: N/unit[,burst=B][,by=cost], e.g. 20/s,burst=5; by=cost (GraphQL): 50/s,burst=1000,by=cost")
	fs.StringArrayVar(&f.apiKeys, "api-key", nil, "accept only this API key (repeatable); others get 401")
	fs.StringArrayVar(&f.basicUsers, "basic-user", nil, "accept only this HTTP basic user, USER:PASSWORD (repeatable)")
	fs.StringArrayVar(&f.oauthClients, "oauth-client", nil, "serve OAuth2 tokens to this client, ID:SECRET (repeatable); only its tokens are accepted")
	fs.StringArrayVar(&f.webhooks, "webhook", nil, "deliver changes to URL[,secret=S][,events=create,update,delete][,scheme=standard|stripe|github|hmac-sha256] (repeatable; with --stateful)")
	fs.DurationVar(&f.tokenTTL, "oauth-token-ttl", 0, "life of the access tokens served to --oauth-client clients (default 1h); short, it drills the refresh")
	fs.StringVar(&f.callbackSecret, "callback-secret", "", "secret that signs the contract's callbacks (generated when empty)")
	fs.StringVar(&f.callbackScheme, "callback-scheme", "", "how callbacks are signed: standard (the default), stripe, github or hmac-sha256")
	fs.StringVar(&f.adminToken, "admin-token", "", "require Authorization: Bearer TOKEN on the admin API (/__firedrill/...); a --config file can read it from ${env:NAME}, out of the process list")
	fs.StringVar(&f.serverLimits, "server-limits", "", "bound what a client may send: max-header-bytes=N,read-header-timeout=D,read-timeout=D,idle-timeout=D, each optional (defaults 65536, 10s, 60s, 120s)")
	fs.StringVar(&f.graphQLLimits, "graphql-limits", "", "bound GraphQL requests (GraphQL contracts): depth=N,selections=N,aliases=N,tokens=N,answer-bytes=N, each optional (defaults 20, 1000, 100, 15000, 16777216)")
	fs.StringVar(&f.idempotencyKey, "idempotency-key", "", "honour idempotency keys sent in this header: HEADER[,window=24h][,mismatch=422], e.g. Idempotency-Key")
}

// servedMock is one running mock, whatever its kind.
type servedMock struct {
	name, url string
	close     func()
}

func runMock(ctx context.Context, st *state, paths []string, f mockFlags) error {
	network, err := toolkit.ParseNetwork(f.network)
	if err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --network: %w", err))
	}
	if err := mockAddress(&f, network); err != nil {
		return ci.WithExit(ci.ExitUsage, err)
	}
	if n := max(len(paths), len(f.config), 1); f.port < 0 || f.port+n-1 > 65535 {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --port %d: out of range for %d mock(s)", f.port, n))
	}
	decls, err := declarations(ctx, st, paths, f, network)
	if err != nil {
		return err
	}
	var served []servedMock
	defer func() {
		for _, s := range served {
			s.close()
		}
	}()
	for i, d := range decls {
		port := 0
		if f.port != 0 {
			port = f.port + i
		}
		s, err := startOne(ctx, st, d, net.JoinHostPort(f.host, strconv.Itoa(port)), mocks.Settings{Network: network, AdminHosts: f.adminHosts})
		if err != nil {
			return ci.WithExit(ci.ExitSetup, err)
		}
		served = append(served, s)
	}
	fitMemoryLimit(st.logger)
	for _, s := range served {
		fmt.Fprintf(st.stdout, "%s %s\n", s.name, s.url)
	}
	<-ctx.Done()
	return nil
}

// mockAddress reads --listen into f's host and port, and checks that the
// network allows the host.
func mockAddress(f *mockFlags, network toolkit.Network) error {
	if f.listen != "" {
		if f.set != nil && (f.set("host") || f.set("port")) {
			return errors.New("mock: --listen gives the host and the port: leave out --host and --port")
		}
		host, port, err := net.SplitHostPort(f.listen)
		if err != nil {
			return fmt.Errorf("mock: --listen %q: want HOST:PORT: %w", f.listen, err)
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("mock: --listen %q: port %q is not a number", f.listen, port)
		}
		f.host, f.port = host, n
	}
	if !network.AllowsListen(net.JoinHostPort(f.host, "0")) {
		return fmt.Errorf("mock: %q: mocks listen on loopback only (127.0.0.1, ::1, localhost); in a container, --network private lets them listen on any interface", f.host)
	}
	return nil
}

// declared is one mock to serve: its contract, loaded, and its declaration.
type declared struct {
	name     string
	contract mocks.Contract
	spec     mocks.Spec
}

// declarations reads what each mock is, from --config's file or from the
// flags (the same declaration for every contract given), and loads every
// contract before any port is taken. Every problem is reported at once,
// named by its flag or by its file, line and field (exit 2).
func declarations(ctx context.Context, st *state, paths []string, f mockFlags, network toolkit.Network) ([]declared, error) {
	var specs []mocks.Spec
	var given []string // the names --config NAME=FILE gives, by mock
	if len(f.config) > 0 {
		if len(f.config) > 1 && len(paths) > 0 {
			return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: with several --config files, each names its contract: got %d contract argument(s) too", len(paths)))
		}
		var errs []error
		for _, v := range f.config {
			name, file := configName(v)
			if name != "" && slices.Contains(given, name) {
				errs = append(errs, fmt.Errorf("mock: --config %s: the name %q is given twice", v, name))
			}
			s, err := configSpec(st, paths, f, file)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			specs, given = append(specs, s), append(given, name)
		}
		if len(errs) > 0 {
			return nil, ci.WithExit(ci.ExitUsage, errors.Join(errs...))
		}
		paths = paths[:0]
		for _, s := range specs {
			paths = append(paths, s.Contract)
		}
	} else {
		if len(paths) == 0 {
			return nil, ci.WithExit(ci.ExitUsage, errors.New("mock: give at least one contract, or --config FILE"))
		}
		s, errs := specFromFlags(f, network)
		if len(s.Records) > 0 && len(paths) > 1 {
			errs = append(errs, fmt.Errorf("--seed COLLECTION=FILE: records are one mock's: give one contract (or a --config file per mock), got %d", len(paths)))
		}
		if len(errs) > 0 {
			return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", errors.Join(errs...)))
		}
		for range paths {
			specs = append(specs, s)
		}
	}
	var decls []declared
	var errs []error
	names := map[string]int{}
	for i, p := range paths {
		c, err := mocks.LoadContract(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.OpenAPI != nil && len(c.OpenAPI.Problems) > 0 {
			// Served anyway: real contracts have flaws; lint lists them.
			st.logger.Warn("mock: contract served despite problems", "contract", p, "problems", len(c.OpenAPI.Problems), "details", "firedrill contract lint "+p)
			for _, pr := range c.OpenAPI.Problems {
				st.logger.Debug("mock: contract problem", "problem", pr.String())
			}
		}
		d := declared{name: c.Name(), contract: c, spec: specs[i]}
		if i < len(given) && given[i] != "" {
			d.name = given[i]
		}
		if names[d.name]++; names[d.name] > 1 {
			d.name += "-" + strconv.Itoa(names[d.name])
		}
		decls = append(decls, d)
	}
	if len(errs) > 0 {
		return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", errors.Join(errs...)))
	}
	if err := checkDeclarations(st, decls, len(f.config) == 0, network); err != nil {
		return nil, ci.WithExit(ci.ExitUsage, err)
	}
	return decls, nil
}

// configName splits --config's NAME=FILE; a value that is a file, or whose
// part before '=' is not a name, is a FILE without a name.
func configName(v string) (name, file string) {
	if _, err := os.Stat(v); err == nil {
		return "", v
	}
	name, file, ok := strings.Cut(v, "=")
	if !ok || file == "" || !mockName.MatchString(name) {
		return "", v
	}
	return name, file
}

// mockName is what a mock's name may be: a scenario's system name.
var mockName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// configSpec reads the declaration of one --config file; behaviour flags
// beside it are refused, since the file declares the mock whole.
func configSpec(st *state, paths []string, f mockFlags, file string) (mocks.Spec, error) {
	if len(paths) > 1 {
		return mocks.Spec{}, fmt.Errorf("mock: --config declares one mock: give at most one contract, got %d", len(paths))
	}
	var both []string
	for _, name := range behaviourFlags {
		if f.set != nil && f.set(name) {
			both = append(both, "--"+name)
		}
	}
	if len(both) > 0 {
		return mocks.Spec{}, fmt.Errorf("mock: --config declares the mock whole; %s belongs in the file", strings.Join(both, ", "))
	}
	contract := ""
	if len(paths) == 1 {
		contract = paths[0]
	}
	spec, err := scenarios.ReadMockFile(file, contract)
	if err != nil {
		return mocks.Spec{}, err
	}
	return scenarios.ExpandMock(*spec, func(k string) (string, bool) { v := st.getenv(k); return v, v != "" })
}

// behaviourFlags are the flags that fill a mock declaration.
var behaviourFlags = []string{"stateful", "references", "seed", "rate-limit", "api-key", "basic-user", "oauth-client",
	"oauth-token-ttl", "webhook", "webhook-retry", "fault", "callback-secret", "callback-scheme", "idempotency-key", "admin-token", "graphql-limits", "server-limits"}

// specFromFlags fills a mock declaration from the flags, naming the flag of
// every value that does not parse.
func specFromFlags(f mockFlags, network toolkit.Network) (mocks.Spec, []error) {
	var errs []error
	s := mocks.Spec{Stateful: f.stateful, References: f.references, Seed: f.seed.n, APIKeys: f.apiKeys, OAuthTokenTTL: contracts.Duration(f.tokenTTL), AdminToken: f.adminToken}
	for _, r := range f.seed.records {
		if s.Records == nil {
			s.Records = map[string]mocks.Records{}
		}
		if _, dup := s.Records[r[0]]; dup {
			errs = append(errs, fmt.Errorf("--seed %s=%s: collection %q is given twice: put its records in one file", r[0], r[1], r[0]))
			continue
		}
		s.Records[r[0]] = mocks.Records{File: r[1]}
	}
	pairs := func(flag string, vals []string) map[string]string {
		if len(vals) == 0 {
			return nil
		}
		out := map[string]string{}
		for _, v := range vals {
			k, secret, ok := strings.Cut(v, ":")
			if !ok || k == "" {
				errs = append(errs, fmt.Errorf("--%s %q: want NAME:SECRET", flag, v))
				continue
			}
			out[k] = secret
		}
		return out
	}
	s.BasicUsers = pairs("basic-user", f.basicUsers)
	s.OAuthClients = pairs("oauth-client", f.oauthClients)
	var err error
	if f.rateLimit != "" {
		if s.RateLimit, err = mocks.ParseRateLimit(f.rateLimit); err != nil {
			errs = append(errs, fmt.Errorf("--rate-limit: %w", err))
		}
	}
	if f.idempotencyKey != "" {
		if s.Idempotency, err = mocks.ParseIdempotency(f.idempotencyKey); err != nil {
			errs = append(errs, fmt.Errorf("--idempotency-key: %w", err))
		}
	}
	for _, w := range f.webhooks {
		sub, err := toolkit.ParseWebhookOn(w, network)
		if err != nil {
			errs = append(errs, fmt.Errorf("--webhook: %w", err))
			continue
		}
		scheme := string(sub.Scheme)
		if sub.Scheme == toolkit.SchemeStandard {
			scheme = "" // the default, as a scenario leaves it out
		}
		s.Webhooks = append(s.Webhooks, mocks.Webhook{URL: sub.URL, Secret: sub.Secret, On: sub.Events, Scheme: scheme})
	}
	if f.webhookRetry != "" {
		r, err := parseWebhookRetry(f.webhookRetry)
		if err != nil {
			errs = append(errs, fmt.Errorf("--webhook-retry %q: %w", f.webhookRetry, err))
		}
		s.WebhookRetry = r
	}
	if f.serverLimits != "" {
		l, err := parseServerLimits(f.serverLimits)
		if err != nil {
			errs = append(errs, fmt.Errorf("--server-limits %q: %w", f.serverLimits, err))
		}
		s.Server = l
	}
	if f.graphQLLimits != "" {
		l, err := parseGraphQLLimits(f.graphQLLimits)
		if err != nil {
			errs = append(errs, fmt.Errorf("--graphql-limits %q: %w", f.graphQLLimits, err))
		}
		s.GraphQLLimits = l
	}
	if f.callbackSecret != "" || f.callbackScheme != "" {
		s.Callbacks = &mocks.CallbackSigning{Secret: f.callbackSecret, Scheme: f.callbackScheme}
	}
	for _, v := range f.faults {
		kind, rest, _ := strings.Cut(v, ",")
		fault := mocks.Fault{Fault: strings.TrimSpace(kind)}
		for kv := range strings.SplitSeq(rest, ",") {
			if strings.TrimSpace(kv) == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				errs = append(errs, fmt.Errorf("--fault %q: %q is not PARAM=VALUE", v, kv))
				continue
			}
			if fault.Params == nil {
				fault.Params = map[string]string{}
			}
			fault.Params[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		s.Faults = append(s.Faults, fault)
	}
	return s, errs
}

// parseWebhookRetry reads ATTEMPTS[,backoff=D][,max-backoff=D].
func parseWebhookRetry(v string) (*mocks.WebhookRetry, error) {
	n, rest, _ := strings.Cut(v, ",")
	attempts, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || attempts < 1 {
		return nil, fmt.Errorf("%q is not a number of attempts (1 or more)", n)
	}
	r := &mocks.WebhookRetry{Attempts: attempts}
	for kv := range strings.SplitSeq(rest, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		d, err := contracts.ParseDuration(val)
		switch {
		case err != nil:
			return nil, err
		case strings.TrimSpace(k) == "backoff":
			r.Backoff = contracts.Duration(d)
		case strings.TrimSpace(k) == "max-backoff":
			r.MaxBackoff = contracts.Duration(d)
		default:
			return nil, fmt.Errorf("unknown setting %q (known: backoff, max-backoff)", k)
		}
	}
	return r, nil
}

// parseGraphQLLimits reads KEY=N[,KEY=N...], the keys those of
// graphql_limits without max_ and with dashes: depth, selections, aliases,
// tokens, answer-bytes.
func parseGraphQLLimits(v string) (*mocks.GraphQLLimits, error) {
	l := &mocks.GraphQLLimits{}
	fields := map[string]*int{"depth": &l.MaxDepth, "selections": &l.MaxSelections, "aliases": &l.MaxAliases, "tokens": &l.MaxTokens, "answer-bytes": &l.MaxAnswerBytes}
	for kv := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		dst, ok := fields[strings.TrimSpace(k)]
		if !ok {
			return nil, fmt.Errorf("unknown bound %q (known: depth, selections, aliases, tokens, answer-bytes)", k)
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s=%s: want a number, 1 or more", strings.TrimSpace(k), val)
		}
		*dst = n
	}
	return l, nil
}

// parseServerLimits reads KEY=VALUE[,KEY=VALUE...], the keys those of
// server: with dashes: max-header-bytes (a number), read-header-timeout,
// read-timeout, idle-timeout (durations).
func parseServerLimits(v string) (*mocks.ServerLimits, error) {
	l := &mocks.ServerLimits{}
	durations := map[string]*contracts.Duration{"read-header-timeout": &l.ReadHeaderTimeout, "read-timeout": &l.ReadTimeout, "idle-timeout": &l.IdleTimeout}
	for kv := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if k == "max-header-bytes" {
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s=%s: want a number, 1 or more", k, val)
			}
			l.MaxHeaderBytes = n
			continue
		}
		dst, ok := durations[k]
		if !ok {
			return nil, fmt.Errorf("unknown bound %q (known: max-header-bytes, read-header-timeout, read-timeout, idle-timeout)", k)
		}
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%s: want a duration such as 10s", k, val)
		}
		*dst = contracts.Duration(d)
	}
	return l, nil
}

// specFlags names the flag behind each field of a declaration, for errors.
var specFlags = map[string]string{
	"references": "--references", "rate_limit": "--rate-limit", "idempotency": "--idempotency-key",
	"api_keys": "--api-key", "basic_users": "--basic-user", "oauth_clients": "--oauth-client",
	"oauth_token_ttl": "--oauth-token-ttl", "records": "--seed COLLECTION=FILE", "webhooks": "--webhook", "faults": "--fault", "webhook_retry": "--webhook-retry",
	"callbacks": "--callback-secret/--callback-scheme", "callbacks.scheme": "--callback-scheme", "callbacks.secret": "--callback-secret",
	"graphql_limits": "--graphql-limits", "server": "--server-limits",
}

// checkDeclarations checks each declaration for the kind of its contract.
// From flags, behaviours only OpenAPI mocks have are refused when every
// contract is GraphQL, and left out of the GraphQL mocks (said once) when
// the contracts are mixed.
func checkDeclarations(st *state, decls []declared, fromFlags bool, network toolkit.Network) error {
	gql := 0
	for _, d := range decls {
		if d.contract.Kind() == mocks.KindGraphQL {
			gql++
		}
	}
	var errs []error
	for i := range decls {
		d := &decls[i]
		if fromFlags && d.contract.Kind() == mocks.KindGraphQL && gql < len(decls) {
			if dropped := openAPIOnly(&d.spec); len(dropped) > 0 && gql == 1+countBefore(decls, i) {
				st.logger.Warn("mock: these flags apply to the OpenAPI mocks only, not to the GraphQL ones", "flags", strings.Join(dropped, " "))
			}
		}
		if fromFlags && d.contract.Kind() == mocks.KindOpenAPI && gql > 0 && d.spec.GraphQLLimits != nil {
			// The GraphQL mocks' bounds: said once, with the first OpenAPI mock.
			if i == countBefore(decls, i) {
				st.logger.Warn("mock: --graphql-limits applies to the GraphQL mocks only, not to the OpenAPI ones")
			}
			d.spec.GraphQLLimits = nil
		}
		problems := d.spec.CheckOn(d.contract.Kind(), network)
		if len(problems) == 0 {
			problems = mocks.CheckRecords(d.contract, d.spec)
		}
		for _, e := range problems {
			if !fromFlags {
				errs = append(errs, fmt.Errorf("mock: %s: %w", d.name, e))
				continue
			}
			if e.File != "" && e.Line > 0 {
				e.Message = fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
			}
			field := e.Field
			if flag, ok := specFlags[field]; ok {
				field = flag
			} else if flag, ok := specFlags[strings.FieldsFunc(field, func(r rune) bool { return r == '[' || r == '.' })[0]]; ok {
				field = flag + " (" + e.Field + ")"
			}
			msg := strings.ReplaceAll(e.Message, "add stateful: true", "add --stateful")
			errs = append(errs, fmt.Errorf("mock: %s: %s: %s", field, filepath.Base(d.contract.Path), msg))
		}
		if len(errs) > 0 && fromFlags {
			break // the same flags: the same problems for every contract
		}
	}
	return errors.Join(errs...)
}

// seedFlag is --seed: an integer, the seed of generated data, or
// COLLECTION=FILE, records the collection holds from the start
// (repeatable).
type seedFlag struct {
	n       int64
	records [][2]string // collection, file, in the order given
}

func (s *seedFlag) String() string {
	if s == nil || s.n == 0 {
		return "0"
	}
	return strconv.FormatInt(s.n, 10)
}

func (s *seedFlag) Set(v string) error {
	if coll, file, ok := strings.Cut(v, "="); ok {
		if strings.TrimSpace(coll) == "" || strings.TrimSpace(file) == "" {
			return fmt.Errorf("%q: want COLLECTION=FILE", v)
		}
		s.records = append(s.records, [2]string{strings.TrimSpace(coll), strings.TrimSpace(file)})
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
	if err != nil {
		return fmt.Errorf("%q: want an integer seed or COLLECTION=FILE", v)
	}
	s.n = n
	return nil
}

func (s *seedFlag) Type() string { return "N|COLLECTION=FILE" }

// countBefore counts the GraphQL declarations before index i.
func countBefore(decls []declared, i int) int {
	n := 0
	for _, d := range decls[:i] {
		if d.contract.Kind() == mocks.KindGraphQL {
			n++
		}
	}
	return n
}

// openAPIOnly takes out of a declaration the behaviours a GraphQL mock does
// not have, and returns their flags. Idempotency keys and webhooks it has.
func openAPIOnly(s *mocks.Spec) []string {
	var dropped []string
	if s.References {
		dropped, s.References = append(dropped, "--references"), false
	}
	if s.Callbacks != nil {
		dropped, s.Callbacks = append(dropped, "--callback-secret/--callback-scheme"), nil
	}
	return dropped
}

// startOne builds and serves one mock.
func startOne(ctx context.Context, st *state, d declared, addr string, set mocks.Settings) (servedMock, error) {
	set.Name, set.Logger = d.name, st.logger
	v, err := mocks.New(d.contract, d.spec, set)
	if err != nil {
		return servedMock{}, fmt.Errorf("mock: %w", err)
	}
	srv, err := mocks.Serve(ctx, v, addr, st.logger)
	if err != nil {
		v.Close()
		return servedMock{}, fmt.Errorf("mock: %s: %w", d.name, err)
	}
	if v.Store != nil {
		st.logger.Info("mock: stateful collections", append([]any{"mock", d.name}, collectionsSummary(v.Store, d.spec.References)...)...)
	}
	if d.contract.OpenAPI != nil && (d.spec.Callbacks == nil || d.spec.Callbacks.Secret == "") && declaresCallbacks(d.contract.OpenAPI) {
		// A receiver cannot verify the callbacks without it.
		scheme, secret := v.Webhooks.CallbackSigning()
		st.logger.Warn("mock: the contract's callbacks are signed with a generated secret; choose one with --callback-secret", "mock", d.name,
			"scheme", scheme, "secret", secret)
	}
	return servedMock{name: d.name, url: srv.URL, close: func() { srv.Close(); v.Close() }}, nil
}

// declaresCallbacks reports whether an operation of c declares callbacks.
func declaresCallbacks(c *contracts.OpenAPI) bool {
	if c.Doc.Paths == nil {
		return false
	}
	for _, item := range c.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			if len(op.Callbacks) > 0 {
				return true
			}
		}
	}
	return false
}

// collectionsSummary says what a stateful mock keeps, for the log a user
// reads at start: how many collections, the first of their names, and with
// --references how many references between them are checked.
func collectionsSummary(st *store.Store, references bool) []any {
	names := st.Collections()
	shown := names
	if len(shown) > 8 {
		shown = append(slices.Clone(shown[:8]), fmt.Sprintf("and %d more", len(names)-8))
	}
	out := []any{"collections", len(names), "names", strings.Join(shown, ", ")}
	if references {
		n := 0
		for _, name := range names {
			c, _ := st.Collection(name)
			n += len(c.References)
		}
		out = append(out, "references", n)
	}
	return out
}
