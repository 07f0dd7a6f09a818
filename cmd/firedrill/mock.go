package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// mockFlags are the options of `firedrill mock`.
type mockFlags struct {
	port       int
	host       string
	stateful   bool
	references bool
	seed       int64

	// Vendor behaviours: rate limit and credentials for every mock, the rest
	// for the OpenAPI mocks only.
	rateLimit      string
	apiKeys        []string
	basicUsers     []string
	oauthClients   []string
	webhooks       []string
	callbackSecret string
	callbackScheme string
	idempotencyKey string

	callbackGenerated bool // callbackSecret was generated, not given

	tokenTTL time.Duration
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

Admin API of each mock: GET /__firedrill/health, /__firedrill/requests,
/__firedrill/collections (with --stateful), /__firedrill/auth (with --api-key,
--basic-user or --oauth-client: revoke keys, expire tokens); of each OpenAPI
mock also /__firedrill/webhooks (queue, pause, resume, drain).

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

For the OpenAPI mocks only (refused when every contract is GraphQL):
--idempotency-key honours keys as Stripe does; --webhook delivers the changes
of stateful collections, signed as Standard Webhooks says (or scheme=stripe,
scheme=github, scheme=hmac-sha256), retried with backoff. A contract's own
subscription endpoint (webhook_endpoints and the like) subscribes loopback
URLs too. An operation's OpenAPI 3.0 callbacks are called at the loopback URL
the request names ({$request.body#/callback_url} and the like), signed with
--callback-secret (generated when not given) by --callback-scheme.`,
		Example: `  firedrill mock examples/petstore/petstore.yaml --port 8080
  firedrill mock shop.openapi.yaml accounting.openapi.yaml crm.graphql --port 0 --stateful
  curl -H 'X-API-Key: k' http://127.0.0.1:8080/v1/pets/1
  firedrill mock accounting.openapi.yaml --stateful --rate-limit 20/s,burst=5 --api-key sk_test \
    --idempotency-key Idempotency-Key --webhook http://127.0.0.1:9000/hooks,events=create
  firedrill mock shop.openapi.yaml --stateful --callback-secret whsec_ZGVtby1zaG9wLXNlY3JldA==
  firedrill mock crm.graphql --rate-limit 20/s --api-key crm_key --oauth-client sync:s3cret
  firedrill mock shop.graphql --rate-limit 50/s,burst=1000,by=cost --api-key shpat_test`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMock(cmd.Context(), st, args, f)
		},
	}
	cmd.Flags().IntVar(&f.port, "port", 0, "port of the first mock (0: a random free port for each)")
	cmd.Flags().StringVar(&f.host, "host", "127.0.0.1", "loopback address to listen on")
	cmd.Flags().BoolVar(&f.stateful, "stateful", false, "keep what clients create: collections inferred from the paths")
	cmd.Flags().BoolVar(&f.references, "references", false, "with --stateful, refuse (400) a write naming another collection's record the mock does not hold, e.g. an invoice for an unknown customer")
	cmd.Flags().Int64Var(&f.seed, "seed", openapi.DefaultSeed, "seed of the generated answers")
	cmd.Flags().StringVar(&f.rateLimit, "rate-limit", "", "throttle each credential like a vendor: N/unit[,burst=B][,by=cost], e.g. 20/s,burst=5; by=cost (GraphQL): 50/s,burst=1000,by=cost")
	cmd.Flags().StringArrayVar(&f.apiKeys, "api-key", nil, "accept only this API key (repeatable); others get 401")
	cmd.Flags().StringArrayVar(&f.basicUsers, "basic-user", nil, "accept only this HTTP basic user, USER:PASSWORD (repeatable)")
	cmd.Flags().StringArrayVar(&f.oauthClients, "oauth-client", nil, "serve OAuth2 tokens to this client, ID:SECRET (repeatable); only its tokens are accepted")
	cmd.Flags().StringArrayVar(&f.webhooks, "webhook", nil, "deliver changes to URL[,secret=S][,events=create,update,delete][,scheme=standard|stripe|github|hmac-sha256] (repeatable; with --stateful)")
	cmd.Flags().DurationVar(&f.tokenTTL, "oauth-token-ttl", 0, "life of the access tokens served to --oauth-client clients (default 1h); short, it drills the refresh")
	cmd.Flags().StringVar(&f.callbackSecret, "callback-secret", "", "secret that signs the contract's callbacks (generated when empty)")
	cmd.Flags().StringVar(&f.callbackScheme, "callback-scheme", "standard", "how callbacks are signed: standard, stripe, github or hmac-sha256")
	cmd.Flags().StringVar(&f.idempotencyKey, "idempotency-key", "", "honour idempotency keys sent in this header: HEADER[,window=24h][,mismatch=422], e.g. Idempotency-Key")
	return cmd
}

// servedMock is one running mock, whatever its kind.
type servedMock struct {
	name, url string
	close     func()
}

func runMock(ctx context.Context, st *state, paths []string, f mockFlags) error {
	if ip := net.ParseIP(f.host); f.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --host %q: mocks listen on loopback only (127.0.0.1, ::1, localhost)", f.host))
	}
	if f.port < 0 || f.port+len(paths)-1 > 65535 {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: --port %d: out of range for %d contract(s)", f.port, len(paths)))
	}
	if f.references && !f.stateful {
		return ci.WithExit(ci.ExitUsage, errors.New("mock: --references checks references between stateful collections: add --stateful"))
	}
	if err := openAPIOnly(st, paths, f); err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", err))
	}
	if err := costOnGraphQLOnly(paths, f); err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", err))
	}
	_, stop, err := behaviours(f)
	stop()
	if err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", err))
	}
	if f.callbackSecret == "" { // one generated secret for every mock, said once
		probe, _ := toolkit.NewWebhooks(toolkit.WebhookOptions{CallbackScheme: toolkit.WebhookScheme(f.callbackScheme)})
		_, f.callbackSecret = probe.CallbackSigning()
		f.callbackGenerated = true
		probe.Close()
	}
	served, err := startMocks(ctx, st, paths, f)
	defer func() {
		for _, s := range served {
			s.close()
		}
	}()
	if err != nil {
		return err
	}
	for _, s := range served {
		fmt.Fprintf(st.stdout, "%s %s\n", s.name, s.url)
	}
	<-ctx.Done()
	return nil
}

// startMocks loads every contract first (bad input is reported before any
// port is taken), then starts one mock per contract.
func startMocks(ctx context.Context, st *state, paths []string, f mockFlags) ([]servedMock, error) {
	type loaded struct {
		openapi *contracts.OpenAPI
		graphql *contracts.GraphQL
		name    string
	}
	var all []loaded
	var errs []error
	names := map[string]int{}
	for _, p := range paths {
		var l loaded
		var err error
		if isGraphQL(p) {
			l.graphql, err = contracts.LoadGraphQL(ctx, p)
			l.name = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		} else if l.openapi, err = contracts.LoadOpenAPI(ctx, p); err == nil {
			l.name = l.openapi.Name()
			if n := len(l.openapi.Problems); n > 0 {
				// Served anyway: real contracts have flaws; lint lists them.
				st.logger.Warn("mock: contract served despite problems", "contract", p, "problems", n, "details", "firedrill contract lint "+p)
			}
			for _, pr := range l.openapi.Problems {
				st.logger.Debug("mock: contract problem", "problem", pr.String())
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if names[l.name]++; names[l.name] > 1 {
			l.name += "-" + strconv.Itoa(names[l.name])
		}
		all = append(all, l)
	}
	if len(errs) > 0 {
		return nil, ci.WithExit(ci.ExitUsage, fmt.Errorf("mock: %w", errors.Join(errs...)))
	}
	var served []servedMock
	for i, l := range all {
		port := 0
		if f.port != 0 {
			port = f.port + i
		}
		addr := net.JoinHostPort(f.host, strconv.Itoa(port))
		s, err := startOne(ctx, st, l.openapi, l.graphql, l.name, addr, f)
		if err != nil {
			return served, ci.WithExit(ci.ExitSetup, err)
		}
		served = append(served, s)
	}
	return served, nil
}

// openAPIOnly refuses the flags of behaviours a GraphQL mock does not have
// when every contract is GraphQL, and says once that they skip the GraphQL
// mocks when the contracts are mixed.
func openAPIOnly(st *state, paths []string, f mockFlags) error {
	var set []string
	if f.idempotencyKey != "" {
		set = append(set, "--idempotency-key")
	}
	if len(f.webhooks) > 0 {
		set = append(set, "--webhook")
	}
	if f.references {
		set = append(set, "--references")
	}
	if f.callbackSecret != "" {
		set = append(set, "--callback-secret")
	}
	if f.callbackScheme != "" && f.callbackScheme != string(toolkit.SchemeStandard) {
		set = append(set, "--callback-scheme")
	}
	gql := 0
	for _, p := range paths {
		if isGraphQL(p) {
			gql++
		}
	}
	switch {
	case len(set) == 0 || gql == 0:
		return nil
	case gql == len(paths):
		return fmt.Errorf("%s: only OpenAPI mocks have this behaviour, and every contract given is GraphQL", strings.Join(set, ", "))
	}
	st.logger.Warn("mock: these flags apply to the OpenAPI mocks only, not to the GraphQL ones", "flags", strings.Join(set, " "))
	return nil
}

// costOnGraphQLOnly refuses --rate-limit by=cost when a contract is not
// GraphQL: the rate limit applies to every mock, and an OpenAPI mock has
// requests to count, not query costs.
func costOnGraphQLOnly(paths []string, f mockFlags) error {
	if f.rateLimit == "" {
		return nil
	}
	o, err := toolkit.ParseRateLimit(f.rateLimit)
	if err != nil || !o.Cost {
		return nil // a bad value is reported with the other flags
	}
	for _, p := range paths {
		if !isGraphQL(p) {
			return fmt.Errorf("--rate-limit %s: %s is an OpenAPI contract: %w", f.rateLimit, filepath.Base(p), toolkit.ErrCostLimit)
		}
	}
	return nil
}

func startOne(ctx context.Context, st *state, o *contracts.OpenAPI, g *contracts.GraphQL, name, addr string, f mockFlags) (servedMock, error) {
	if g != nil {
		vendor, err := graphqlBehaviours(f)
		if err != nil {
			return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
		}
		s, err := graphql.NewServer(g, append([]graphql.Option{graphql.WithAddr(addr), graphql.WithName(name), graphql.WithSeed(f.seed),
			graphql.WithStateful(f.stateful), graphql.WithLogger(st.logger)}, vendor...)...)
		if err != nil {
			return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
		}
		return servedMock{name: name, url: s.URL, close: func() { s.Close() }}, nil
	}
	vendor, closeVendor, err := behaviours(f)
	if err != nil {
		return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
	}
	s, err := openapi.NewUnstartedServer(o, append([]openapi.Option{openapi.WithAddr(addr), openapi.WithName(name), openapi.WithSeed(f.seed),
		openapi.WithStateful(f.stateful), openapi.WithReferences(f.references), openapi.WithLogger(st.logger)}, vendor...)...)
	if err != nil {
		closeVendor()
		return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
	}
	// The server outlives ctx's cancellation only until runMock closes it:
	// Close waits for the requests in flight.
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		closeVendor()
		return servedMock{}, fmt.Errorf("mock: %s: %w", name, err)
	}
	if f.stateful {
		st.logger.Info("mock: stateful collections", append([]any{"mock", name}, collectionsSummary(s.Mock.Store(), f.references)...)...)
	}
	if f.callbackGenerated && declaresCallbacks(o) {
		// A receiver cannot verify the callbacks without it.
		st.logger.Warn("mock: the contract's callbacks are signed with a generated secret; choose one with --callback-secret", "mock", name,
			"scheme", f.callbackScheme, "secret", f.callbackSecret)
	}
	return servedMock{name: name, url: s.URL, close: func() { s.Close(); closeVendor() }}, nil
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

// vendor are the behaviours of the flags every kind of mock takes: an Auth
// (nil without credential flags; one per mock) and a rate limit.
type vendor struct {
	auth  *toolkit.Auth
	limit *toolkit.RateLimitOptions
}

// parseVendor reads the credential and rate-limit flags; every bad flag is
// reported.
func parseVendor(f mockFlags) (vendor, []error) {
	var v vendor
	var errs []error
	pairs := func(flag string, vals []string) map[string]string {
		out := map[string]string{}
		for _, s := range vals {
			k, secret, ok := strings.Cut(s, ":")
			if !ok || k == "" {
				errs = append(errs, fmt.Errorf("--%s %q: want NAME:SECRET", flag, s))
				continue
			}
			out[k] = secret
		}
		return out
	}
	ao := toolkit.AuthOptions{APIKeys: f.apiKeys, BasicUsers: pairs("basic-user", f.basicUsers)}
	if clients := pairs("oauth-client", f.oauthClients); len(clients) > 0 {
		ao.OAuth2 = &toolkit.OAuth2Options{Clients: clients, TokenTTL: f.tokenTTL}
	}
	switch {
	case f.tokenTTL < 0:
		errs = append(errs, fmt.Errorf("--oauth-token-ttl %s: want a positive duration", f.tokenTTL))
	case f.tokenTTL > 0 && len(f.oauthClients) == 0:
		errs = append(errs, errors.New("--oauth-token-ttl: tokens are served to OAuth2 clients: add --oauth-client"))
	}
	if len(ao.APIKeys) > 0 || len(ao.BasicUsers) > 0 || ao.OAuth2 != nil {
		a, err := toolkit.NewAuth(ao)
		if err != nil {
			errs = append(errs, err)
		}
		v.auth = a
	}
	if f.rateLimit != "" {
		limit, err := toolkit.ParseRateLimit(f.rateLimit)
		if err != nil {
			errs = append(errs, fmt.Errorf("--rate-limit: %w", err))
		}
		v.limit = &limit
	}
	return v, errs
}

// graphqlBehaviours turns the flags into the options of one GraphQL mock,
// in the order they apply (see behaviours).
func graphqlBehaviours(f mockFlags) ([]graphql.Option, error) {
	v, errs := parseVendor(f)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var opts []graphql.Option
	if v.auth != nil {
		opts = append(opts, graphql.WithAuth(v.auth))
	}
	if v.limit != nil {
		opts = append(opts, graphql.WithRateLimit(*v.limit))
	}
	return opts, nil
}

// behaviours turns the vendor-behaviour flags into the options of one
// OpenAPI mock (an Auth and a Webhooks serve one mock each), in the order
// they apply: auth, then rate limit, idempotency and webhooks; auth first so
// that only requests that authenticated spend a budget, and a bad
// credential is told 401, its real problem. stop ends what they started.
// Every bad flag is reported at once.
func behaviours(f mockFlags) (opts []openapi.Option, stop func(), err error) {
	stop = func() {}
	v, errs := parseVendor(f)
	if v.auth != nil {
		opts = append(opts, openapi.WithAuth(v.auth))
	}
	if v.limit != nil {
		opts = append(opts, openapi.WithRateLimit(*v.limit))
	}
	if f.idempotencyKey != "" {
		io, err := toolkit.ParseIdempotency(f.idempotencyKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("--idempotency-key: %w", err))
		}
		opts = append(opts, openapi.WithIdempotency(io))
	}
	var subs []toolkit.WebhookSubscriber
	for _, w := range f.webhooks {
		s, err := toolkit.ParseWebhook(w)
		if err != nil {
			errs = append(errs, fmt.Errorf("--webhook: %w", err))
		}
		subs = append(subs, s)
	}
	if len(subs) > 0 && !f.stateful {
		errs = append(errs, errors.New("--webhook: events are changes of stateful collections: add --stateful"))
	}
	signing := toolkit.WebhookOptions{CallbackSecret: f.callbackSecret, CallbackScheme: toolkit.WebhookScheme(f.callbackScheme)}
	if probe, err := toolkit.NewWebhooks(signing); err != nil {
		errs = append(errs, fmt.Errorf("--callback-secret, --callback-scheme: %w", err))
	} else {
		probe.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, stop, err
	}
	// Always: a contract's own subscription endpoint and its callbacks
	// work even without --webhook.
	signing.Subscribers = subs
	w, err := toolkit.NewWebhooks(signing)
	if err != nil {
		return nil, stop, err
	}
	return append(opts, openapi.WithWebhooks(w)), w.Close, nil
}

func isGraphQL(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".graphql", ".gql", ".graphqls":
		return true
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
