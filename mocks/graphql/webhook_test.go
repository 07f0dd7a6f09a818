package graphql_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// delivery is one webhook a subscriber accepted, signature verified.
type delivery struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// subscriber is a loopback webhook receiver that verifies each delivery
// with verify and keeps those that verify, in arrival order.
type subscriber struct {
	mu     sync.Mutex
	got    []delivery
	forged []string
	url    string
}

func newSubscriber(t *testing.T, verify func(h http.Header, body []byte) error) *subscriber {
	t.Helper()
	s := &subscriber{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := verify(r.Header, body); err != nil {
			s.forged = append(s.forged, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d delivery
		if err := json.Unmarshal(body, &d); err != nil {
			s.forged = append(s.forged, "not JSON: "+string(body))
		}
		s.got = append(s.got, d)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/hooks"
	return s
}

func (s *subscriber) deliveries() ([]delivery, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...), append([]string(nil), s.forged...)
}

// verifyStandard checks a Standard Webhooks signature with the toolkit's
// reference signer (itself checked against the specification's vector).
func verifyStandard(secret string) func(http.Header, []byte) error {
	return func(h http.Header, body []byte) error {
		ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
		if err != nil {
			return fmt.Errorf("webhook-timestamp %q", h.Get("webhook-timestamp"))
		}
		want := toolkit.StandardSignature(secret, h.Get("webhook-id"), ts, body)
		if want == "" || h.Get("webhook-signature") != want {
			return fmt.Errorf("webhook-signature %q, want %q", h.Get("webhook-signature"), want)
		}
		return nil
	}
}

// verifyGitHub checks GitHub's X-Hub-Signature-256, written from its
// documentation.
func verifyGitHub(secret string) func(http.Header, []byte) error {
	return func(h http.Header, body []byte) error {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if got := h.Get("X-Hub-Signature-256"); !hmac.Equal([]byte(got), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
			return fmt.Errorf("X-Hub-Signature-256 %q does not verify", got)
		}
		return nil
	}
}

// crmServer serves the example CRM schema over loopback with opts.
func crmServer(t *testing.T, sdl string, opts ...graphql.Option) *graphql.Server {
	t.Helper()
	var c *contracts.GraphQL
	var err error
	if sdl == "" {
		c, err = contracts.LoadGraphQL(context.Background(), filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	} else {
		c, err = contracts.ParseGraphQL(context.Background(), "crm.graphql", []byte(sdl))
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, err := graphql.NewServer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// post sends one GraphQL request over HTTP, with header pairs, and returns
// the answer.
func post(t *testing.T, url, query string, vars map[string]any, header ...string) (int, http.Header, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

const deleteCustomer = `mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }`

// TestWebhooksOnChanges: a stateful GraphQL mock tells its subscribers of
// each change it made, over real HTTP, signed by each one's scheme: an
// upsert that creates, one that updates and a delete give
// customer.created, customer.updated and customer.deleted, in that order,
// each with the record as a query reads it; a mutation that fails sends
// nothing.
func TestWebhooksOnChanges(t *testing.T) {
	t.Parallel()
	const standardSecret, githubSecret = "whsec_ZGVtby1jcm0tc2VjcmV0LWtleQ==", "gh-secret"
	for _, tc := range []struct {
		scheme toolkit.WebhookScheme
		secret string
		verify func(http.Header, []byte) error
	}{
		{toolkit.SchemeStandard, standardSecret, verifyStandard(standardSecret)},
		{toolkit.SchemeGitHub, githubSecret, verifyGitHub(githubSecret)},
	} {
		t.Run(string(tc.scheme), func(t *testing.T) {
			t.Parallel()
			sub := newSubscriber(t, tc.verify)
			w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: sub.url, Secret: tc.secret, Scheme: tc.scheme}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Close)
			srv := crmServer(t, "", graphql.WithStateful(true), graphql.WithWebhooks(w))
			drain := func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := w.Drain(ctx); err != nil {
					t.Fatalf("drain: %v", err)
				}
			}

			if s, _, body := post(t, srv.URL, deleteCustomer, map[string]any{"id": "nobody"}); s != 200 || !strings.Contains(string(body), "no Customer") {
				t.Fatalf("deleting a customer never created: %d %s", s, body)
			}
			input := map[string]any{"email": "ada@example.com", "firstName": "Ada"}
			_, _, created := post(t, srv.URL, upsert, map[string]any{"input": input})
			id := strings.Split(strings.Split(string(created), `"id":"`)[1], `"`)[0]
			input["firstName"] = "Augusta"
			post(t, srv.URL, upsert, map[string]any{"input": input})
			_, _, read := post(t, srv.URL, `query($id: ID!) { customer(id: $id) { id email firstName lastName source orderCount createdAt } }`, map[string]any{"id": id})
			post(t, srv.URL, deleteCustomer, map[string]any{"id": id})
			post(t, srv.URL, deleteCustomer, map[string]any{"id": id}) // gone: fails, sends nothing
			drain()

			got, forged := sub.deliveries()
			if len(forged) > 0 {
				t.Errorf("deliveries that did not verify: %v", forged)
			}
			var types []string
			for _, d := range got {
				types = append(types, d.Type)
			}
			if strings.Join(types, " ") != "customer.created customer.updated customer.deleted" {
				t.Fatalf("events %v, want customer.created customer.updated customer.deleted and nothing for the failed mutations", types)
			}
			var asRead struct {
				Data struct{ Customer map[string]any } `json:"data"`
			}
			if err := json.Unmarshal(read, &asRead); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got[1].Data) != fmt.Sprint(asRead.Data.Customer) {
				t.Errorf("the update's data %v, want the record as a query reads it %v", got[1].Data, asRead.Data.Customer)
			}
			if got[0].Data["firstName"] != "Ada" || got[2].Data["firstName"] != "Augusta" || got[2].Data["id"] != id {
				t.Errorf("data of the create %v and the delete %v", got[0].Data, got[2].Data)
			}
			q := w.Queue()
			if q.Delivered != 3 || q.Pending != 0 {
				t.Errorf("queue %+v, want 3 delivered", q)
			}
		})
	}
}

// TestWebhooksNeedState: webhooks tell the changes of stateful mode; a
// mock without it has none to tell and says so.
func TestWebhooksNeedState(t *testing.T) {
	t.Parallel()
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c, err := contracts.LoadGraphQL(context.Background(), filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graphql.NewHandler(c, graphql.WithWebhooks(w)); err == nil || !strings.Contains(err.Error(), "WithStateful") {
		t.Errorf("webhooks without stateful mode: %v", err)
	}
	if _, err := graphql.NewHandler(c, graphql.WithWebhooks(nil)); err == nil {
		t.Error("nil webhooks accepted")
	}
}

// TestWebhookEventTypes: an event's type is the record's GraphQL type in
// snake case, then the past tense of the change.
func TestWebhookEventTypes(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]string{"Customer": "customer.created", "LineItem": "line_item.created", "HTTPLog": "http_log.created", "Order2Line": "order2_line.created"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			sub := newSubscriber(t, func(http.Header, []byte) error { return nil })
			w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: sub.url}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Close)
			sdl := strings.ReplaceAll(`type Query { one(id: ID!): T }
type Mutation { createT(name: String!): T! }
type T { id: ID! name: String! }`, "T", typ)
			srv := crmServer(t, sdl, graphql.WithStateful(true), graphql.WithWebhooks(w))
			if s, _, body := post(t, srv.URL, `mutation { create`+typ+`(name: "x") { id } }`, nil); s != 200 || strings.Contains(string(body), "errors") {
				t.Fatalf("create: %d %s", s, body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := w.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := sub.deliveries(); len(got) != 1 || got[0].Type != want || got[0].Data["name"] != "x" {
				t.Errorf("deliveries %+v, want one %s", got, want)
			}
		})
	}
}
