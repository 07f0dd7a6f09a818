package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/scenarios"
)

// doorsContract is a small billing vendor: customers, invoices that name
// their customer, and orders whose creation calls the callback_url given.
const doorsContract = `openapi: 3.0.3
info: {title: billing, version: "1"}
paths:
  /customers:
    post:
      operationId: createCustomer
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}}}
  /customers/{id}:
    get:
      operationId: getCustomer
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {type: object, required: [id, name], properties: {id: {type: string}, name: {type: string}}}}}}}
  /invoices:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {customer_id: {type: string}}}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}, customer_id: {type: string}}}}}}}
  /invoices/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
  /orders:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {callback_url: {type: string}}}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}}}
      callbacks:
        orderCreated:
          '{$request.body#/callback_url}':
            post:
              requestBody: {content: {application/json: {schema: {type: object}}}}
              responses: {"200": {description: ok}}
`

// receiver counts the deliveries it gets and answers them with status;
// with a secret, it counts only those signed GitHub's way with it. It
// keeps the event type of each, in arrival order.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    int
	types  []string
	status int
	secret string
}

func newReceiver(t *testing.T, status int, secret string) *receiver {
	r := &receiver{status: status, secret: secret}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if r.secret != "" {
			mac := hmac.New(sha256.New, []byte(r.secret))
			mac.Write(body)
			if req.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		var ev struct{ Type string }
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		r.got++
		r.types = append(r.types, ev.Type)
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

// count waits until the receiver has had want deliveries (or a while), and
// says how many it had.
func (r *receiver) count(want int, wait time.Duration) int {
	deadline := time.Now().Add(wait)
	for {
		r.mu.Lock()
		n := r.got
		r.mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// doorBehaviour is one behaviour declared three ways: the YAML of a mock:
// section (a scenario's, and --config's file), and firedrill mock's flags.
// probe drives the served mock over HTTP and writes what it saw.
type doorBehaviour struct {
	name    string
	graphql bool
	yaml    func(recv string) string
	flags   func(recv string) []string
	// receiver, when set, is where webhooks and callbacks go: one per door.
	receiver func(t *testing.T) *receiver
	probe    func(t *testing.T, c *doorClient, recv *receiver) string
	want     string
}

// doorClient sends requests to a served mock and returns their statuses.
type doorClient struct {
	t        *testing.T
	base     string // the contract's operations
	admin    string // http://host:port
	lastHead http.Header
	lastBody string
}

func (c *doorClient) do(method, path, body string, header ...string) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if strings.HasPrefix(path, "/__firedrill/") {
		req.URL, _ = req.URL.Parse(c.admin + path)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.lastHead, c.lastBody = resp.Header, string(b)
	return resp.StatusCode
}

func (c *doorClient) statuses(codes ...int) string {
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprint(code)
	}
	return strings.Join(parts, " ")
}

var doorBehaviours = []doorBehaviour{
	{
		name:  "stateful",
		yaml:  func(string) string { return "stateful: true\n" },
		flags: func(string) []string { return []string{"--stateful"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			created := c.do("POST", "/customers", `{}`)
			id := strings.Split(strings.Split(c.lastBody, `"id":"`)[1], `"`)[0]
			return c.statuses(created, c.do("GET", "/customers/"+id, ""), c.do("GET", "/customers/nobody", ""))
		},
		want: "201 200 404",
	},
	{
		name:  "references",
		yaml:  func(string) string { return "stateful: true\nreferences: true\n" },
		flags: func(string) []string { return []string{"--stateful", "--references"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return c.statuses(c.do("POST", "/invoices", `{"customer_id":"c-404"}`))
		},
		want: "400",
	},
	{
		name:  "api keys",
		yaml:  func(string) string { return "api_keys: [k1]\n" },
		flags: func(string) []string { return []string{"--api-key", "k1"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return c.statuses(c.do("POST", "/customers", `{}`), c.do("POST", "/customers", `{}`, "X-API-Key", "k1"), c.do("POST", "/customers", `{}`, "X-API-Key", "k2"))
		},
		want: "401 201 401",
	},
	{
		name:  "admin token",
		yaml:  func(string) string { return "admin_token: adm-1\n" },
		flags: func(string) []string { return []string{"--admin-token", "adm-1"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return c.statuses(c.do("GET", "/__firedrill/health", ""), c.do("GET", "/__firedrill/health", "", "Authorization", "Bearer adm-1"),
				c.do("GET", "/__firedrill/health", "", "Authorization", "Bearer adm-2"), c.do("POST", "/customers", `{}`))
		},
		want: "401 200 401 201",
	},
	{
		name:  "basic users",
		yaml:  func(string) string { return "basic_users: {ann: pw}\n" },
		flags: func(string) []string { return []string{"--basic-user", "ann:pw"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return c.statuses(c.do("POST", "/customers", `{}`, "Authorization", "Basic YW5uOnB3"), c.do("POST", "/customers", `{}`, "Authorization", "Basic YW5uOng="))
		},
		want: "201 401",
	},
	{
		name:  "oauth clients",
		yaml:  func(string) string { return "oauth_clients: {sync: s3cret}\noauth_token_ttl: 1h\n" },
		flags: func(string) []string { return []string{"--oauth-client", "sync:s3cret", "--oauth-token-ttl", "1h"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			req, _ := http.NewRequest("POST", c.admin+"/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=sync&client_secret=s3cret"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			token := strings.Split(strings.Split(string(body), `"access_token":"`)[1], `"`)[0]
			return c.statuses(resp.StatusCode, c.do("POST", "/customers", `{}`, "Authorization", "Bearer "+token), c.do("POST", "/customers", `{}`, "Authorization", "Bearer forged"))
		},
		want: "200 201 401",
	},
	{
		name:  "rate limit, mapping and shorthand",
		yaml:  func(string) string { return "rate_limit: {rate: 2/m, burst: 2}\n" },
		flags: func(string) []string { return []string{"--rate-limit", "2/m,burst=2"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			a, b, third := c.do("POST", "/customers", `{}`), c.do("POST", "/customers", `{}`), c.do("POST", "/customers", `{}`)
			return c.statuses(a, b, third) + " retry-after=" + c.lastHead.Get("Retry-After")
		},
		want: "201 201 429 retry-after=30",
	},
	{
		name:  "fractional rate",
		yaml:  func(string) string { return "rate_limit: 0.5/s\n" },
		flags: func(string) []string { return []string{"--rate-limit", "0.5/s"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return c.statuses(c.do("POST", "/customers", `{}`), c.do("POST", "/customers", `{}`)) + " retry-after=" + c.lastHead.Get("Retry-After")
		},
		want: "201 429 retry-after=2",
	},
	{
		name: "idempotency, mapping and shorthand",
		yaml: func(string) string { return "stateful: true\nidempotency: {header: Idempotency-Key, mismatch: 409}\n" },
		flags: func(string) []string {
			return []string{"--stateful", "--idempotency-key", "Idempotency-Key,mismatch=409"}
		},
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			first := c.do("POST", "/customers", `{}`, "Idempotency-Key", "key-0001")
			again := c.do("POST", "/customers", `{}`, "Idempotency-Key", "key-0001")
			replayed := c.lastHead.Get("Idempotent-Replayed")
			return c.statuses(first, again) + " replayed=" + replayed + " " + c.statuses(c.do("POST", "/customers", `{"x":1}`, "Idempotency-Key", "key-0001"))
		},
		want: "201 201 replayed=true 409",
	},
	{
		name: "webhooks",
		yaml: func(recv string) string {
			return "stateful: true\nwebhooks: [{url: " + recv + "/hooks, on: [create]}]\n"
		},
		flags:    func(recv string) []string { return []string{"--stateful", "--webhook", recv + "/hooks,events=create"} },
		receiver: func(t *testing.T) *receiver { return newReceiver(t, http.StatusNoContent, "") },
		probe: func(t *testing.T, c *doorClient, recv *receiver) string {
			return c.statuses(c.do("POST", "/customers", `{}`)) + fmt.Sprintf(" delivered=%d", recv.count(1, 5*time.Second))
		},
		want: "201 delivered=1",
	},
	{
		name: "webhook retry",
		yaml: func(recv string) string {
			return "stateful: true\nwebhooks: [{url: " + recv + "/hooks}]\nwebhook_retry: {attempts: 2, backoff: 20ms}\n"
		},
		flags: func(recv string) []string {
			return []string{"--stateful", "--webhook", recv + "/hooks", "--webhook-retry", "2,backoff=20ms"}
		},
		receiver: func(t *testing.T) *receiver { return newReceiver(t, http.StatusInternalServerError, "") },
		probe: func(t *testing.T, c *doorClient, recv *receiver) string {
			created := c.do("POST", "/customers", `{}`)
			recv.count(3, time.Second) // a third attempt would come within this
			return c.statuses(created) + fmt.Sprintf(" attempts=%d", recv.count(2, 0))
		},
		want: "201 attempts=2",
	},
	{
		name: "callbacks",
		yaml: func(string) string { return "callbacks: {secret: cb-secret, scheme: github}\n" },
		flags: func(string) []string {
			return []string{"--callback-secret", "cb-secret", "--callback-scheme", "github"}
		},
		receiver: func(t *testing.T) *receiver { return newReceiver(t, http.StatusOK, "cb-secret") },
		probe: func(t *testing.T, c *doorClient, recv *receiver) string {
			return c.statuses(c.do("POST", "/orders", `{"callback_url":"`+recv.URL+`/cb"}`)) + fmt.Sprintf(" verified=%d", recv.count(1, 5*time.Second))
		},
		want: "201 verified=1",
	},
	{
		name:  "faults, and the faults API",
		yaml:  func(string) string { return "faults: [{fault: status, status: 503, operation: createCustomer}]\n" },
		flags: func(string) []string { return []string{"--fault", "status,status=503,operation=createCustomer"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			faulted, other := c.do("POST", "/customers", `{}`), c.do("POST", "/invoices", `{}`)
			cleared := c.do("DELETE", "/__firedrill/faults", "")
			return c.statuses(faulted, other, cleared, c.do("POST", "/customers", `{}`))
		},
		want: "503 201 204 201",
	},
	{
		name:    "faults on a GraphQL mock",
		graphql: true,
		yaml:    func(string) string { return "faults: [{fault: status, status: 502}]\n" },
		flags:   func(string) []string { return []string{"--fault", "status,status=502"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			faulted := c.do("POST", "", `{"query":"{ customers { edges { node { id } } } }"}`)
			listed := c.do("GET", "/__firedrill/faults", "")
			n := strings.Count(c.lastBody, `"kind":"status"`)
			c.do("DELETE", "/__firedrill/faults", "")
			return c.statuses(faulted, listed) + fmt.Sprintf(" listed=%d ", n) + c.statuses(c.do("POST", "", `{"query":"{ customers { edges { node { id } } } }"}`))
		},
		want: "502 200 listed=1 200",
	},
	{
		name:    "webhooks on a GraphQL mock",
		graphql: true,
		yaml: func(recv string) string {
			return "stateful: true\nwebhooks: [{url: " + recv + "/hooks, on: [create, delete]}]\n"
		},
		flags: func(recv string) []string {
			return []string{"--stateful", "--webhook", recv + "/hooks,events=create,delete"}
		},
		receiver: func(t *testing.T) *receiver { return newReceiver(t, http.StatusNoContent, "") },
		probe: func(t *testing.T, c *doorClient, recv *receiver) string {
			const upsert = `{"query":"mutation { upsertCustomer(input: {email: \"ada@example.com\"}) { customer { id } } }"}`
			created := c.do("POST", "", upsert)
			id := strings.Split(strings.Split(c.lastBody, `"id":"`)[1], `"`)[0]
			updated := c.do("POST", "", upsert) // an update: not subscribed
			c.do("POST", "", `{"query":"mutation { deleteCustomer(id: \"nobody\") { deletedId } }"}`)
			failed := strings.Contains(c.lastBody, `"errors"`)
			deleted := c.do("POST", "", `{"query":"mutation { deleteCustomer(id: \"`+id+`\") { deletedId } }"}`)
			recv.count(2, 5*time.Second)
			n := recv.count(3, 300*time.Millisecond) // a third, for the failed delete, would come within this
			recv.mu.Lock()
			types := strings.Join(recv.types, ",")
			recv.mu.Unlock()
			return c.statuses(created, updated, deleted) + fmt.Sprintf(" failed=%v delivered=%d %s", failed, n, types)
		},
		want: "200 200 200 failed=true delivered=2 customer.created,customer.deleted",
	},
	{
		name:    "idempotency on a GraphQL mock",
		graphql: true,
		yaml:    func(string) string { return "stateful: true\nidempotency: Idempotency-Key\n" },
		flags:   func(string) []string { return []string{"--stateful", "--idempotency-key", "Idempotency-Key"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			upsert := func(name string) int {
				return c.do("POST", "", `{"query":"mutation { upsertCustomer(input: {email: \"ada@example.com\", firstName: \"`+name+`\"}) { customer { id firstName } } }"}`, "Idempotency-Key", "key-0001")
			}
			first := upsert("Ada")
			body := c.lastBody
			again := upsert("Ada")
			replayed := c.lastHead.Get("Idempotent-Replayed") + fmt.Sprintf(",same=%v", c.lastBody == body)
			other := upsert("Augusta")
			code := strings.Split(strings.Split(c.lastBody+`"code":"`, `"code":"`)[1], `"`)[0]
			c.do("POST", "", `{"query":"{ customerByEmail(email: \"ada@example.com\") { firstName } }"}`)
			return c.statuses(first, again) + " replayed=" + replayed + " " + c.statuses(other) + " " + code + " " + strings.TrimSpace(c.lastBody)
		},
		want: `200 200 replayed=true,same=true 200 IDEMPOTENCY_KEY_PARAMETER_MISMATCH {"data":{"customerByEmail":{"firstName":"Ada"}}}`,
	},
	{
		name:    "graphql limits",
		graphql: true,
		yaml:    func(string) string { return "graphql_limits: {max_depth: 3, max_aliases: 1, max_answer_bytes: 1024}\n" },
		flags:   func(string) []string { return []string{"--graphql-limits", "depth=3,aliases=1,answer-bytes=1024"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			code := func() string { return strings.Split(strings.Split(c.lastBody+`"code":"`, `"code":"`)[1], `"`)[0] }
			var out []string
			for _, q := range []string{
				`{"query":"{ customers { edges { cursor } } }"}`,          // 3 deep, no alias: answered
				`{"query":"{ customers { edges { node { id } } } }"}`,     // 4 deep
				`{"query":"{ a: __typename b: __typename }"}`,             // 2 aliases
				`{"query":"{ __schema { types { name description } } }"}`, // an answer over 1 KB
			} {
				out = append(out, c.statuses(c.do("POST", "", q))+":"+code())
			}
			return strings.Join(out, " ")
		},
		want: "200: 200:MAX_DEPTH_EXCEEDED 200:MAX_ALIASES_EXCEEDED 200:ANSWER_TOO_LARGE",
	},
	{
		name: "server limits",
		yaml: func(string) string {
			return "server: {max_header_bytes: 1024, read_header_timeout: 2s, idle_timeout: 30s}\n"
		},
		flags: func(string) []string {
			return []string{"--server-limits", "max-header-bytes=1024,read-header-timeout=2s,idle-timeout=30s"}
		},
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			return "big header " + c.statuses(c.do("GET", "/invoices", "", "X-Big", strings.Repeat("a", 8<<10)))
		},
		want: "big header 431",
	},
	{
		name:  "records",
		yaml:  func(string) string { return "stateful: true\nrecords: {customers: $DIR/customers.ndjson}\n" },
		flags: func(string) []string { return []string{"--stateful", "--seed", "customers=$DIR/customers.ndjson"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			listed := c.do("GET", "/__firedrill/collections/customers", "")
			var recs []map[string]any
			if err := json.Unmarshal([]byte(c.lastBody), &recs); err != nil {
				t.Fatalf("the collection: %v: %s", err, c.lastBody)
			}
			names := make([]string, len(recs))
			for i, r := range recs {
				names[i] = fmt.Sprint(r["name"])
			}
			inserted := c.do("POST", "/__firedrill/collections/customers", `{"name": "Cy"}`)
			return c.statuses(listed, c.do("GET", "/customers/c-1", ""), inserted) + " " + strings.Join(names, ",")
		},
		want: "200 200 201 Ada,Bob",
	},
	{
		name:  "seed",
		yaml:  func(string) string { return "seed: 7\n" },
		flags: func(string) []string { return []string{"--seed", "7"} },
		probe: func(t *testing.T, c *doorClient, _ *receiver) string {
			code := c.do("GET", "/customers/abc", "")
			sum := sha256.Sum256([]byte(c.lastBody))
			return c.statuses(code) + " body=" + hex.EncodeToString(sum[:4])
		},
		want: "", // the generated body: only the doors' agreement is checked
	},
}

// TestMockThreeDoors holds the three doors to one mock declaration: the
// same behaviour declared in a scenario's mock: section, with firedrill
// mock's flags, and in a --config file reads as the same mocks.Spec and,
// served, behaves the same over real HTTP, and as it should.
func TestMockThreeDoors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	billing := filepath.Join(dir, "billing.openapi.yaml")
	if err := os.WriteFile(billing, []byte(doorsContract), 0o644); err != nil {
		t.Fatal(err)
	}
	crm, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	// Records a behaviour names as $DIR/FILE.
	if err := os.WriteFile(filepath.Join(dir, "customers.ndjson"), []byte("{\"id\": \"c-1\", \"name\": \"Ada\"}\n{\"name\": \"Bob\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inDir := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
	for i, b := range doorBehaviours {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			contract := billing
			if b.graphql {
				contract = crm
			}
			recvs := map[string]*receiver{}
			url := func(door string) string {
				if b.receiver == nil {
					return "http://127.0.0.1:9/unused"
				}
				if recvs[door] == nil {
					recvs[door] = b.receiver(t)
				}
				return recvs[door].URL
			}
			doors := map[string]func() (mocks.Spec, string, func()){
				"scenario": func() (mocks.Spec, string, func()) {
					return scenarioDoor(t, dir, i, contract, inDir(b.yaml(url("scenario"))))
				},
				"flags": func() (mocks.Spec, string, func()) {
					flags := b.flags(url("flags"))
					for j := range flags {
						flags[j] = inDir(flags[j])
					}
					return flagsDoor(t, contract, flags)
				},
				"config": func() (mocks.Spec, string, func()) {
					return configDoor(t, dir, i, contract, inDir(b.yaml(url("config"))))
				},
			}
			seen := map[string]string{}
			specs := map[string]string{}
			for _, door := range []string{"scenario", "flags", "config"} {
				spec, base, stop := doors[door]()
				u, err := neturl.Parse(base)
				if err != nil {
					t.Fatal(err)
				}
				c := &doorClient{t: t, base: base, admin: u.Scheme + "://" + u.Host}
				seen[door] = b.probe(t, c, recvs[door])
				stop()
				spec.Contract = ""
				for j := range spec.Webhooks {
					spec.Webhooks[j].URL = strings.Replace(spec.Webhooks[j].URL, url(door), "RECV", 1)
				}
				out, err := yaml.Marshal(spec)
				if err != nil {
					t.Fatal(err)
				}
				specs[door] = string(out)
			}
			if b.want != "" && seen["scenario"] != b.want {
				t.Errorf("through the scenario: %q, want %q", seen["scenario"], b.want)
			}
			for _, door := range []string{"flags", "config"} {
				if seen[door] != seen["scenario"] {
					t.Errorf("through %s: %q; through the scenario: %q", door, seen[door], seen["scenario"])
				}
				if specs[door] != specs["scenario"] {
					t.Errorf("the declaration through %s:\n%s\nthrough the scenario:\n%s", door, specs[door], specs["scenario"])
				}
			}
		})
	}
}

// scenarioDoor reads the behaviour as a scenario's mock: section, builds
// the mock as the runner does (references expanded, mocks.New) and serves
// it.
func scenarioDoor(t *testing.T, dir string, i int, contract, mockYAML string) (mocks.Spec, string, func()) {
	t.Helper()
	file := filepath.Join(dir, fmt.Sprintf("scenario-%d.yaml", i))
	text := "name: doors\nsystems:\n  vendor:\n    contract: " + contract + "\n    mock:\n" + indent(mockYAML, "      ")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.ReadFile(file)
	if err != nil {
		t.Fatalf("scenario:\n%s\n%v", text, err)
	}
	spec, err := scenarios.ExpandMock(*s.Systems["vendor"].Mock, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c, err := mocks.LoadContract(context.Background(), contract)
	if err != nil {
		t.Fatal(err)
	}
	v, err := mocks.New(c, spec, mocks.Settings{Name: "vendor"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mocks.Serve(context.Background(), v, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return spec, srv.URL, func() { srv.Close(); v.Close() }
}

// flagsDoor serves the behaviour with firedrill mock's flags.
func flagsDoor(t *testing.T, contract string, flags []string) (mocks.Spec, string, func()) {
	t.Helper()
	lines, stop := startMockCLI(t, 1, append([]string{contract, "--port", "0"}, flags...)...)
	var f mockFlags
	fs := pflag.NewFlagSet("mock", pflag.ContinueOnError)
	bindMockFlags(fs, &f)
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	spec, errs := specFromFlags(f, "")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return spec, strings.Fields(lines[0])[1], func() { stop() }
}

// configDoor serves the behaviour from a --config file.
func configDoor(t *testing.T, dir string, i int, contract, mockYAML string) (mocks.Spec, string, func()) {
	t.Helper()
	file := filepath.Join(dir, fmt.Sprintf("mock-%d.yaml", i))
	if err := os.WriteFile(file, []byte("contract: "+contract+"\n"+mockYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := scenarios.ReadMockFile(file, "")
	if err != nil {
		t.Fatal(err)
	}
	lines, stop := startMockCLI(t, 1, "--config", file, "--port", "0")
	return *spec, strings.Fields(lines[0])[1], func() { stop() }
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}
