package graphql_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// keyedCRM is a CRM whose upsert cannot find a customer by a unique key,
// so every upsert without an id creates one: a duplicate that ran again
// would show as a second customer.
const keyedCRM = `type Query { customer(id: ID!): Customer }
type Mutation {
  upsertCustomer(input: CustomerInput!): UpsertCustomerPayload!
  deleteCustomer(id: ID!): DeleteCustomerPayload!
}
input CustomerInput { email: String! firstName: String }
type Customer { id: ID! email: String! firstName: String }
type UpsertCustomerPayload { customer: Customer! created: Boolean! }
type DeleteCustomerPayload { deletedId: ID }
`

// idempotentDirective is the declaration of Shopify's @idempotent.
const idempotentDirective = "directive @idempotent(key: String!) on FIELD\n"

// keyForm is one way a client sends an idempotency key: the directive on
// the mutation field, or a header.
type keyForm struct {
	name string
	sdl  string
	opts []graphql.Option
	// send sends the upsert of input with key; other header pairs go along.
	send func(t *testing.T, url, key string, input map[string]any, header ...string) (int, http.Header, []byte)
}

var keyForms = []keyForm{
	{
		name: "directive",
		sdl:  keyedCRM + idempotentDirective,
		send: func(t *testing.T, url, key string, input map[string]any, header ...string) (int, http.Header, []byte) {
			q := fmt.Sprintf(`mutation($input: CustomerInput!) { upsertCustomer(input: $input) @idempotent(key: %q) { customer { id email firstName } created } }`, key)
			return post(t, url, q, map[string]any{"input": input}, header...)
		},
	},
	{
		name: "header",
		sdl:  keyedCRM,
		opts: []graphql.Option{graphql.WithIdempotency(toolkit.IdempotencyOptions{Header: "Idempotency-Key"})},
		send: func(t *testing.T, url, key string, input map[string]any, header ...string) (int, http.Header, []byte) {
			return post(t, url, upsert, map[string]any{"input": input}, append([]string{"Idempotency-Key", key}, header...)...)
		},
	},
}

// code is the extensions.code of an answer's first error, "" without one.
func code(body []byte) string {
	_, rest, ok := strings.Cut(string(body), `"code":"`)
	if !ok {
		return ""
	}
	c, _, _ := strings.Cut(rest, `"`)
	return c
}

// TestIdempotencyKeys: a mutation keyed by the directive or the header
// runs once: its repeat gets the first answer byte for byte, marked
// replayed in the answer and the journal, and sends no webhook; the key
// with other arguments is refused with IDEMPOTENCY_KEY_PARAMETER_MISMATCH
// and changes nothing; another key, or the key from another credential,
// runs anew (the control: the schema really would create twice).
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	for _, form := range keyForms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			sub := newSubscriber(t, func(http.Header, []byte) error { return nil })
			w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: sub.url}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Close)
			srv := crmServer(t, form.sdl, append([]graphql.Option{graphql.WithStateful(true), graphql.WithWebhooks(w)}, form.opts...)...)
			customers := func() int { return srv.Mock.Store().Len("Customer") }
			ada := map[string]any{"email": "ada@example.com", "firstName": "Ada"}

			s1, _, first := form.send(t, srv.URL, "key-1", ada)
			if s1 != 200 || code(first) != "" || customers() != 1 {
				t.Fatalf("first: %d %s, %d customers", s1, first, customers())
			}
			s2, h2, again := form.send(t, srv.URL, "key-1", ada)
			if s2 != 200 || !bytes.Equal(again, first) || h2.Get("Idempotent-Replayed") != "true" {
				t.Errorf("repeat: %d %q %s, want the first answer byte for byte, replayed:\n%s", s2, h2.Get("Idempotent-Replayed"), again, first)
			}
			s3, _, other := form.send(t, srv.URL, "key-1", map[string]any{"email": "ada@example.com", "firstName": "Augusta"})
			if s3 != 200 || code(other) != graphql.CodeIdempotencyMismatch || strings.Contains(string(other), `"data"`) {
				t.Errorf("the key with other arguments: %d %s, want 200 with %s and no data", s3, other, graphql.CodeIdempotencyMismatch)
			}
			if n := customers(); n != 1 {
				t.Fatalf("%d customers after a repeat and a mismatch, want 1", n)
			}
			form.send(t, srv.URL, "key-1", ada, "Authorization", "Bearer someone-else")
			form.send(t, srv.URL, "key-2", ada)
			if n := customers(); n != 3 {
				t.Errorf("%d customers after the key from another credential and another key, want 3", n)
			}

			var replayed, keyed int
			for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
				if e.Replayed {
					replayed++
				}
				if e.IdempotencyKey != "" {
					keyed++
				}
			}
			if replayed != 1 || keyed != 5 {
				t.Errorf("journal: %d replayed, %d keyed; want 1 and 5", replayed, keyed)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := w.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := sub.deliveries(); len(got) != 3 {
				t.Errorf("%d webhooks, want 3: one per customer created, none for the repeat", len(got))
			}
		})
	}
}

// TestIdempotencyConcurrentDuplicates: 50 clients sending the same keyed
// mutation at once make one customer; every other answer is the first one
// replayed or IDEMPOTENCY_CONCURRENT_REQUEST.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	for _, form := range keyForms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			srv := crmServer(t, form.sdl, append([]graphql.Option{graphql.WithStateful(true)}, form.opts...)...)
			ada := map[string]any{"email": "ada@example.com", "firstName": "Ada"}
			answers := make([][]byte, 50)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() { _, _, answers[i] = form.send(t, srv.URL, "same-key", ada) })
			}
			wg.Wait()
			if n := srv.Mock.Store().Len("Customer"); n != 1 {
				t.Fatalf("%d customers from 50 concurrent duplicates, want 1", n)
			}
			var original []byte
			kinds := map[string]int{}
			for _, a := range answers {
				switch c := code(a); {
				case c == graphql.CodeIdempotencyConcurrent:
					kinds["concurrent"]++
				case c != "":
					t.Errorf("answer with code %s: %s", c, a)
				case original == nil:
					original = a
					kinds["answer"]++
				case bytes.Equal(a, original):
					kinds["answer"]++
				default:
					t.Errorf("two different answers:\n%s\n%s", original, a)
				}
			}
			if kinds["answer"] == 0 || kinds["answer"]+kinds["concurrent"] != 50 {
				t.Errorf("answers %v", kinds)
			}
		})
	}
}

// TestIdempotencyNotHonoured: without the directive in the schema the
// directive is refused as unknown, as the vendor's older versions do, and
// nothing runs; without WithIdempotency a header is ignored; queries are
// never keyed, even when the directive is declared.
func TestIdempotencyNotHonoured(t *testing.T) {
	t.Parallel()
	plain := crmServer(t, keyedCRM, graphql.WithStateful(true))
	ada := map[string]any{"email": "ada@example.com", "firstName": "Ada"}
	s, _, body := keyForms[0].send(t, plain.URL, "key-1", ada)
	if s != 200 || !strings.Contains(string(body), `Unknown directive \"@idempotent\"`) || strings.Contains(string(body), `"data"`) {
		t.Errorf("the directive on a schema without it: %d %s, want it refused as unknown", s, body)
	}
	for range 2 {
		keyForms[1].send(t, plain.URL, "key-1", ada)
	}
	if n := plain.Mock.Store().Len("Customer"); n != 2 {
		t.Errorf("%d customers from a header the mock was not told of, sent twice; want 2", n)
	}

	keyed := crmServer(t, keyedCRM+idempotentDirective, graphql.WithStateful(true), graphql.WithIdempotency(toolkit.IdempotencyOptions{}))
	query := `query($id: ID!) { customer(id: $id) @idempotent(key: "q-key") { id } }`
	for _, id := range []string{"1", "2"} {
		if s, h, body := post(t, keyed.URL, query, map[string]any{"id": id}, "Idempotency-Key", "h-key"); s != 200 || code(body) != "" || h.Get("Idempotent-Replayed") != "" {
			t.Errorf("a query with keys: %d %q %s, want it answered, not keyed", s, h.Get("Idempotent-Replayed"), body)
		}
	}
	for _, e := range keyed.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.IdempotencyKey != "" {
			t.Errorf("a query journaled with the key %q", e.IdempotencyKey)
		}
	}
}

// TestIdempotencyMismatchStatus: a mismatch takes the status
// WithIdempotency sets, for vendors that answer it with a 4xx.
func TestIdempotencyMismatchStatus(t *testing.T) {
	t.Parallel()
	srv := crmServer(t, keyedCRM, graphql.WithStateful(true), graphql.WithIdempotency(toolkit.IdempotencyOptions{MismatchStatus: http.StatusConflict}))
	keyForms[1].send(t, srv.URL, "key-1", map[string]any{"email": "a@example.com"})
	if s, _, body := keyForms[1].send(t, srv.URL, "key-1", map[string]any{"email": "b@example.com"}); s != http.StatusConflict || code(body) != graphql.CodeIdempotencyMismatch {
		t.Errorf("mismatch: %d %s, want 409 with %s", s, body, graphql.CodeIdempotencyMismatch)
	}
}
