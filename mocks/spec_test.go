package mocks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

// TestRateLimitForms: the shorthand and the mapping read as the same rate
// limit, through the one parser, and both write back as the shorthand.
func TestRateLimitForms(t *testing.T) {
	t.Parallel()
	same := [][2]string{
		{`"20/s,burst=5"`, `{rate: 20/s, burst: 5}`},
		{`"5000/h,limit-header=X-Max,reset=epoch"`, `{rate: 5000/h, limit_header: X-Max, reset: epoch}`},
		{`"50/s,burst=1000,by=cost"`, `{rate: 50/s, burst: 1000, by: cost}`},
		{`0.5/s`, `{rate: 0.5/s}`},
	}
	for _, pair := range same {
		var a, b struct {
			R *RateLimit `yaml:"r"`
		}
		if err := yaml.Unmarshal([]byte("r: "+pair[0]), &a); err != nil {
			t.Fatalf("%s: %v", pair[0], err)
		}
		if err := yaml.Unmarshal([]byte("r: "+pair[1]), &b); err != nil {
			t.Fatalf("%s: %v", pair[1], err)
		}
		if a.R.Options.Requests != b.R.Options.Requests || a.R.Options.Per != b.R.Options.Per || a.R.Options.Burst != b.R.Options.Burst ||
			a.R.Options.Headers != b.R.Options.Headers || a.R.Options.Cost != b.R.Options.Cost {
			t.Errorf("%s and %s differ: %+v, %+v", pair[0], pair[1], a.R.Options, b.R.Options)
		}
		out, _ := yaml.Marshal(b)
		var again struct {
			R *RateLimit `yaml:"r"`
		}
		if err := yaml.Unmarshal(out, &again); err != nil || again.R.String() != b.R.String() {
			t.Errorf("%s writes %q, which reads back as %v (%v)", pair[1], out, again.R, err)
		}
		j, _ := json.Marshal(b.R)
		var fromJSON RateLimit
		if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON.String() != b.R.String() {
			t.Errorf("JSON %s reads back as %v (%v)", j, fromJSON.String(), err)
		}
	}
	var r RateLimit
	if err := json.Unmarshal([]byte(`{"rate":"20/s","burst":2}`), &r); err != nil || r.Options.Burst != 2 {
		t.Errorf("the JSON mapping: %+v %v", r.Options, err)
	}
	for in, want := range map[string]string{
		"40":                      "no unit",
		"{burst: 5}":              "rate_limit.rate: required",
		"{rate: 20/s, bursts: 5}": `rate_limit.bursts: unknown field`,
		"{rate: 20/s, burst: 0}":  `burst "0"`,
		"[20/s]":                  "want the shorthand text or a mapping",
		"{rate: 20}":              "no unit",
	} {
		var v struct {
			R *RateLimit `yaml:"r"`
		}
		err := yaml.Unmarshal([]byte("r: "+in), &v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", in, err, want)
		}
	}
}

// TestIdempotencyForms: the same for idempotency keys.
func TestIdempotencyForms(t *testing.T) {
	t.Parallel()
	var a, b struct {
		I *Idempotency `yaml:"i"`
	}
	if err := yaml.Unmarshal([]byte(`i: "Idempotency-Key,window=1h,mismatch=409"`), &a); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(`i: {header: Idempotency-Key, window: 1h, mismatch: 409}`), &b); err != nil {
		t.Fatal(err)
	}
	if a.I.Options.Header != b.I.Options.Header || a.I.Options.Window != time.Hour || b.I.Options.Window != time.Hour || b.I.Options.MismatchStatus != 409 {
		t.Errorf("the forms differ: %+v, %+v", a.I.Options, b.I.Options)
	}
	if out, _ := yaml.Marshal(b); string(out) != "i: Idempotency-Key,window=1h,mismatch=409\n" {
		t.Errorf("writes %q", out)
	}
	for in, want := range map[string]string{
		"{window: 1h}": "idempotency.header: required",
		"{header: Idempotency-Key, mismatch: 200}": `mismatch "200"`,
		"{header: Idempotency-Key, windows: 1h}":   "unknown field",
	} {
		var v struct {
			I *Idempotency `yaml:"i"`
		}
		if err := yaml.Unmarshal([]byte("i: "+in), &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

// TestSpecCheck: every problem of a declaration, each with its field, and
// what depends on the kind of mock.
func TestSpecCheck(t *testing.T) {
	t.Parallel()
	cost, _ := ParseRateLimit("50/s,by=cost")
	idem, _ := ParseIdempotency("Idempotency-Key")
	s := Spec{
		References:    true,
		RateLimit:     cost,
		APIKeys:       []string{" "},
		BasicUsers:    map[string]string{"a:b": "x"},
		OAuthTokenTTL: contracts.Duration(time.Minute),
		Webhooks:      []Webhook{{URL: "http://example.com/hooks", On: []string{"create", "upsert"}, Scheme: "sha1"}},
		WebhookRetry:  &WebhookRetry{Attempts: -1, Backoff: contracts.Duration(time.Minute), MaxBackoff: contracts.Duration(time.Second)},
		Callbacks:     &CallbackSigning{Secret: "not base64!"},
		Faults:        []Fault{{Fault: "sttaus"}},
		GraphQLLimits: &GraphQLLimits{MaxDepth: 5},
	}
	var fields []string
	for _, e := range s.Check(KindOpenAPI) {
		fields = append(fields, e.Field)
	}
	want := "references rate_limit api_keys[0] basic_users oauth_token_ttl graphql_limits callbacks.secret webhooks webhooks[0].url webhooks[0].on[1] webhooks[0].scheme webhook_retry.attempts webhook_retry.max_backoff faults[0]"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("fields:\n got %s\nwant %s", got, want)
	}
	// A GraphQL mock has idempotency keys and webhooks (stateful), cost
	// throttling, and no callbacks.
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Idempotency: idem, Webhooks: []Webhook{{URL: "http://127.0.0.1:1/h"}}, RateLimit: cost, WebhookRetry: &WebhookRetry{Attempts: 2}}, "webhooks"},
		{Spec{Stateful: true, Idempotency: idem, Webhooks: []Webhook{{URL: "http://127.0.0.1:1/h"}}, RateLimit: cost, WebhookRetry: &WebhookRetry{Attempts: 2}}, ""},
		{Spec{Stateful: true, Callbacks: &CallbackSigning{Scheme: "github"}, References: true}, "references callbacks"},
		{Spec{GraphQLLimits: &GraphQLLimits{MaxDepth: 30, MaxAnswerBytes: 1 << 20}}, ""},
		{Spec{GraphQLLimits: &GraphQLLimits{MaxDepth: -1, MaxTokens: -5}}, "graphql_limits.max_depth graphql_limits.max_tokens"},
	} {
		var got []string
		for _, e := range tc.spec.Check(KindGraphQL) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("GraphQL %+v: fields %v, want %q", tc.spec, got, tc.want)
		}
	}
	if errs := (&Spec{Stateful: true, References: true, RateLimit: func() *RateLimit { r, _ := ParseRateLimit("0.5/s"); return r }()}).Check(KindOpenAPI); len(errs) > 0 {
		t.Errorf("a good declaration: %v", errs)
	}
	if _, err := New(Contract{}, s, Settings{}); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "webhooks[0].url") {
		t.Errorf("New takes a bad declaration: %v", err)
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]Kind{"crm.graphql": KindGraphQL, "a/b.GQL": KindGraphQL, "x.sdl": KindGraphQL,
		"shop.openapi.yaml": KindOpenAPI, "spec.json": KindOpenAPI, "noext": KindOpenAPI} {
		if got := KindOf(path); got != want {
			t.Errorf("%s: %v", path, got)
		}
	}
}

// TestNewGraphQLVendor: a GraphQL mock built from a Spec gets the
// idempotency keys and the webhooks it declares, in the fixed order, and
// the Vendor carries its Webhooks for the runner to settle on; without
// them it has none.
func TestNewGraphQLVendor(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	idem, _ := ParseIdempotency("Idempotency-Key")
	got := make(chan string, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
	}))
	defer recv.Close()
	v, err := New(c, Spec{Stateful: true, Idempotency: idem, Webhooks: []Webhook{{URL: recv.URL, On: []string{"create"}}}}, Settings{Name: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Webhooks == nil || len(v.Webhooks.Subscribers()) != 1 {
		t.Fatalf("Vendor.Webhooks = %v, want the declared subscriber", v.Webhooks)
	}
	srv, err := Serve(context.Background(), v, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var answers []string
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"query":"mutation { upsertCustomer(input: {email: \"ada@example.com\"}) { customer { id } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		answers = append(answers, resp.Header.Get("Idempotent-Replayed"))
	}
	if strings.Join(answers, ",") != ",true" {
		t.Errorf("Idempotent-Replayed on the two answers: %v, want the second replayed", answers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Webhooks.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(<-got, `"type":"customer.created"`) {
		t.Errorf("webhooks: want one customer.created")
	}
	plain, err := New(c, Spec{Stateful: true}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Webhooks != nil {
		t.Error("a GraphQL mock without webhooks has a Webhooks")
	}
}

// TestNewGraphQLVendorLimits: the bounds a Spec declares reach the GraphQL
// mock; those it leaves out keep their defaults.
func TestNewGraphQLVendorLimits(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(c, Spec{GraphQLLimits: &GraphQLLimits{MaxDepth: 2}}, Settings{Name: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if l := v.GraphQL.Limits(); l.MaxDepth != 2 || l.MaxTokens != graphql.DefaultMaxTokens {
		t.Errorf("limits %+v: want depth 2, the rest defaults", l)
	}
	post := func(query string) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"`+query+`"}`))
		req.Header.Set("Content-Type", "application/json")
		v.Handler.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	if got := post("{ customers { edges { node { id } } } }"); !strings.Contains(got, graphql.CodeMaxDepthExceeded) {
		t.Errorf("a query 4 deep: %s", got)
	}
	if got := post("{ __typename }"); strings.Contains(got, "errors") {
		t.Errorf("a query 1 deep: %s", got)
	}
}

// A declaration's server limits reach the Vendor, and ones out of range
// are refused at their field.
func TestSpecServerLimits(t *testing.T) {
	t.Parallel()
	c, err := LoadContract(context.Background(), filepath.Join("..", "examples", "ordersync", "contracts", "accounting.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(c, Spec{Server: &ServerLimits{MaxHeaderBytes: 2048, IdleTimeout: contracts.Duration(time.Second)}}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Limits.MaxHeaderBytes != 2048 || v.Limits.IdleTimeout != time.Second {
		t.Errorf("Vendor.Limits %+v, want the declaration's", v.Limits)
	}
	errs := (&Spec{Server: &ServerLimits{MaxHeaderBytes: -1}}).Check(KindOpenAPI)
	if len(errs) != 1 || errs[0].Field != "server.max_header_bytes" {
		t.Errorf("a negative header bound: %v", errs)
	}
}
