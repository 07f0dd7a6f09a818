package graphql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// costSchema is testdata/cost.graphql.
func costSchema(t testing.TB) *contracts.GraphQL {
	t.Helper()
	c, err := contracts.LoadGraphQL(context.Background(), "testdata/cost.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// costOf is extensions.cost of an answer.
type costOf struct {
	Requested int  `json:"requestedQueryCost"`
	Actual    *int `json:"actualQueryCost"`
	Throttle  struct {
		Maximum     float64 `json:"maximumAvailable"`
		Available   float64 `json:"currentlyAvailable"`
		RestoreRate float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// costAnswer decodes the cost of a, failing the test when it has none.
func costAnswer(t *testing.T, a answer) costOf {
	t.Helper()
	var out struct {
		Extensions struct {
			Cost *costOf `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal([]byte(a.raw), &out); err != nil || out.Extensions.Cost == nil {
		t.Fatalf("no extensions.cost in %d %s (%v)", a.status, a.raw, err)
	}
	return *out.Extensions.Cost
}

// costServer runs the cost schema's mock throttled by cost.
func costServer(t *testing.T, o toolkit.RateLimitOptions, opts ...graphql.Option) *graphql.Server {
	t.Helper()
	o.Cost = true
	s, err := graphql.NewServer(costSchema(t), append(opts, graphql.WithRateLimit(o))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCostRequested: the requested cost of queries over objects,
// connections (first, last, the schema's default, none), scalars, enums,
// an interface, a union, fragments, directives, variables and mutations,
// by Shopify's rules, to the point.
func TestCostRequested(t *testing.T) {
	t.Parallel()
	s := costServer(t, toolkit.RateLimitOptions{Requests: 1_000_000, Per: time.Second, Burst: 1_000_000})
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"scalar", `{ shopName }`, 0},
		{"object with scalars and an enum", `{ customer(id: "1") { id name status } }`, 1},
		{"nested object", `{ customer(id: "1") { address { city } } }`, 2},
		{"connection by first", `{ customers(first: 10) { edges { cursor node { id } } } }`, 2 + 10*1},
		{"connection by last, nodes", `{ customers(last: 4) { nodes { id } pageInfo { hasNextPage } } }`, 2 + 4*1},
		{"first and last: the larger", `{ customers(first: 3, last: 7) { nodes { id } } }`, 2 + 7*1},
		{"edges and nodes both", `{ customers(first: 3) { edges { node { id } } nodes { id } } }`, 2 + 3*2},
		{"connection without items", `{ customers(first: 10) { pageInfo { hasNextPage } } }`, 2},
		{"the schema's default page", `{ recentOrders { nodes { id } } }`, 2 + 5*1},
		{"no page size: the largest page", `{ customers { edges { node { id } } } }`, 2 + graphql.DefaultPageSize*1},
		{"nested connections", `{ customers(first: 10) { edges { node { name orders(first: 5) { edges { node { total } } } } } } }`, 2 + 10*(1+2+5*1)},
		{"variables", `query Q($n: Int = 3) { customers(first: $n) { nodes { id address { city } } } }`, 2 + 3*2},
		{"interface: the dearest type", `{ node(id: "1") { id ... on Customer { address { city } } ... on Order { customer { address { city } } } } }`, 1 + 2},
		{"union list: one item", `{ search(q: "x") { ... on Customer { id } ... on Order { customer { id } } } }`, 1 + 1},
		{"fragments", `query { ...F } fragment F on Query { customer(id: "1") { ...A } } fragment A on Customer { address { city } }`, 2},
		{"skipped", `{ customer(id: "1") @skip(if: true) { id } shopName }`, 0},
		{"aliases count twice", `{ a: customer(id: "1") { id } b: customer(id: "2") { id } }`, 2},
		{"mutation: its selection is not charged", `mutation { customerCreate(name: "a") { customer { id orders(first: 50) { nodes { id } } } userErrors { message } } }`, graphql.MutationCost},
		{"two mutations", `mutation { a: customerCreate(name: "a") { customer { id } } customerDelete(id: "1") }`, 2 * graphql.MutationCost},
		{"typename", `{ __typename }`, 0},
	} {
		a := query(t, s.URL, c.query)
		got := costAnswer(t, a)
		if a.status != http.StatusOK || len(a.Errors) > 0 {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
		if got.Requested != c.want {
			t.Errorf("%s: requestedQueryCost %d, want %d", c.name, got.Requested, c.want)
		}
		if got.Actual == nil || *got.Actual > got.Requested || *got.Actual < 0 {
			t.Errorf("%s: actualQueryCost %v of %d requested", c.name, got.Actual, got.Requested)
		}
	}
}

// TestCostActual: the actual cost counts what the answer holds: the items
// a connection returned, an object that came out null as its own point,
// the concrete type of an interface, a mutation as requested.
func TestCostActual(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := costServer(t, toolkit.RateLimitOptions{Requests: 1000, Per: time.Second, Burst: 1000, Now: clock.Now}, graphql.WithStateful(true))
	mustCost := func(q string, wantRequested int) (costOf, answer) {
		t.Helper()
		a := query(t, s.URL, q)
		c := costAnswer(t, a)
		if c.Requested != wantRequested || c.Actual == nil {
			t.Fatalf("%s: requested %d (want %d), actual %v: %s", q, c.Requested, wantRequested, c.Actual, a.raw)
		}
		return c, a
	}
	if c, _ := mustCost(`{ customer(id: "404") { address { city } } }`, 2); *c.Actual != 1 {
		t.Errorf("a null customer: actual %d, want 1 (its own point, not its address's)", *c.Actual)
	}
	for _, name := range []string{"ann", "bob", "cy"} {
		if c, a := mustCost(`mutation { customerCreate(name: "`+name+`") { customer { id } } }`, 10); *c.Actual != 10 || len(a.Errors) > 0 {
			t.Fatalf("a mutation: actual %d: %s", *c.Actual, a.raw)
		}
	}
	c, a := mustCost(`{ customers(first: 10) { edges { node { id address { city } } } } }`, 2+10*2)
	if n := len(at(a.Data, "customers", "edges").([]any)); n != 3 || *c.Actual != 2+3*2 {
		t.Errorf("3 stored customers of 10 asked for: actual %d, want %d (%d edges)", *c.Actual, 2+3*2, n)
	}
	if c.Throttle.Available != c.Throttle.Maximum-1-3*10-float64(*c.Actual) {
		t.Errorf("the unused points were not refunded: %+v after actual %d", c.Throttle, *c.Actual)
	}
	c, a = mustCost(`{ customers(first: 2) { nodes { id } } }`, 2+2)
	if *c.Actual != 2+2 {
		t.Errorf("2 of 3 stored customers: actual %d: %s", *c.Actual, a.raw)
	}
	c, a = mustCost(`{ node(id: "1") { __typename ... on Customer { address { city } } ... on Order { customer { address { city } } } } }`, 1+2)
	want := 1 + 1 // a Customer: its address
	if at(a.Data, "node", "__typename") == "Order" {
		want = 1 + 2
	}
	if *c.Actual != want {
		t.Errorf("a %v node: actual %d, want %d", at(a.Data, "node", "__typename"), *c.Actual, want)
	}
}

// exactQuery costs 28, requested and actual alike: each generated list has
// at least 2 items, and first: 2 caps it there.
const exactQuery = `{ a: customers(first: 2) { edges { node { id address { city } orders(first: 2) { nodes { id } } } } }
  b: customers(first: 2) { edges { node { id address { city } orders(first: 2) { nodes { id } } } } } }`

// TestCostThrottle: over real HTTP, a bucket of 100 points restoring 10 a
// second. Three queries of 28 pass; the fourth is THROTTLED with HTTP 200,
// no data, no Retry-After and the bucket's state; a retry at once is
// throttled again (the control); waiting (requested - currentlyAvailable) /
// restoreRate gets through. A query over the bucket size is
// MAX_COST_EXCEEDED and costs nothing; another credential has a bucket of
// its own; the journal marks exactly the THROTTLED answers.
func TestCostThrottle(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := costServer(t, toolkit.RateLimitOptions{Requests: 10, Per: time.Second, Burst: 100, Now: clock.Now})
	ask := func(q, key string) (answer, costOf) {
		t.Helper()
		a := query(t, s.URL, q, "Authorization", "Bearer "+key)
		for _, h := range []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if a.header.Get(h) != "" {
				t.Errorf("%s sent in cost mode: %v", h, a.header)
			}
		}
		return a, costAnswer(t, a)
	}
	for i, left := range []float64{72, 44, 16} {
		a, c := ask(exactQuery, "shop-1")
		if a.status != http.StatusOK || len(a.Errors) > 0 || c.Requested != 28 || c.Actual == nil || *c.Actual != 28 || c.Throttle.Available != left {
			t.Fatalf("query %d: %d, cost %+v, want 28 with %v left: %s", i+1, a.status, c, left, a.raw)
		}
	}
	a, c := ask(exactQuery, "shop-1")
	if a.status != http.StatusOK || a.code() != graphql.CodeThrottled || a.Errors[0].Message != "Throttled" || a.Data != nil {
		t.Fatalf("fourth query: %d %s, want 200 THROTTLED without data", a.status, a.raw)
	}
	if c.Requested != 28 || c.Actual != nil || c.Throttle.Maximum != 100 || c.Throttle.Available != 16 || c.Throttle.RestoreRate != 10 {
		t.Fatalf("throttled cost %+v: want 28 requested, actual null, 16 of 100 at 10/s", c)
	}
	if strings.Contains(a.raw, `"data"`) {
		t.Errorf("a throttled answer holds data: %s", a.raw)
	}
	if again, _ := ask(exactQuery, "shop-1"); again.code() != graphql.CodeThrottled {
		t.Fatalf("a retry at once: %s, want THROTTLED", again.raw)
	}
	if other, oc := ask(exactQuery, "shop-2"); other.code() != "" || oc.Throttle.Available != 72 {
		t.Fatalf("another credential: %s, want its own full bucket", other.raw)
	}
	big, bc := ask(`{ customers(first: 200) { nodes { id } } }`, "shop-1")
	if big.status != http.StatusOK || big.code() != graphql.CodeMaxCostExceeded || big.Data != nil || bc.Requested != 202 || bc.Actual != nil || bc.Throttle.Available != 16 {
		t.Fatalf("a query over the bucket size: %d %s", big.status, big.raw)
	}
	if big.Errors[0].Extensions["cost"] != float64(202) || big.Errors[0].Extensions["maxCost"] != float64(100) {
		t.Errorf("MAX_COST_EXCEEDED extensions: %v", big.Errors[0].Extensions)
	}
	wait := time.Duration((float64(c.Requested) - c.Throttle.Available) / c.Throttle.RestoreRate * float64(time.Second))
	clock.Advance(wait)
	if after, ac := ask(exactQuery, "shop-1"); after.status != http.StatusOK || len(after.Errors) > 0 || ac.Throttle.Available != 0 {
		t.Fatalf("after waiting %s: %s", wait, after.raw)
	}
	if bad, bc := ask(`{ nope }`, "shop-1"); bad.status != http.StatusOK || bc.Requested != 0 || bc.Actual == nil || *bc.Actual != 0 {
		t.Errorf("an invalid query: %d %s, want 200 costing nothing", bad.status, bad.raw)
	}
	var throttled []uint64
	for _, e := range s.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Throttled != strings.Contains(string(e.ResponseBody), `"THROTTLED"`) || e.Status != http.StatusOK {
			t.Errorf("journal entry %d: status %d, throttled %v: %s", e.Seq, e.Status, e.Throttled, e.ResponseBody)
		}
		if e.Throttled {
			throttled = append(throttled, e.Seq)
		}
	}
	if len(throttled) != 2 {
		t.Errorf("journal marks %v throttled, want the 4th and 5th queries", throttled)
	}
}

// TestCostAfterAuth: in cost mode a request refused by WithAuth is 401,
// whatever the order of the options, and spends nothing.
func TestCostAfterAuth(t *testing.T) {
	t.Parallel()
	auth, err := toolkit.NewAuth(toolkit.AuthOptions{APIKeys: []string{"good"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := graphql.NewServer(costSchema(t), graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 1, Per: time.Second, Burst: 28, Cost: true}), graphql.WithAuth(auth))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if a := query(t, s.URL, exactQuery, "Authorization", "Bearer bad"); a.status != http.StatusUnauthorized {
		t.Fatalf("a bad key: %d %s", a.status, a.raw)
	}
	if a := query(t, s.URL, exactQuery, "Authorization", "Bearer good"); a.status != http.StatusOK || len(a.Errors) > 0 {
		t.Fatalf("the good key after a refused one: %d %s", a.status, a.raw)
	}
}

func TestCostOptionRefusedTwice(t *testing.T) {
	t.Parallel()
	o := toolkit.RateLimitOptions{Requests: 50, Per: time.Second, Burst: 1000, Cost: true}
	if _, err := graphql.NewHandler(costSchema(t), graphql.WithRateLimit(o), graphql.WithRateLimit(o)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("two cost limits: %v", err)
	}
	o.Cost = false
	if _, err := graphql.NewHandler(costSchema(t), graphql.WithRateLimit(o), graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 50, Per: time.Second, Cost: true})); err != nil {
		t.Errorf("a request limit and a cost limit: %v", err)
	}
}

// FuzzCostQuery sends arbitrary queries to a mock throttling by cost:
// never a 5xx, always extensions.cost, an actual cost never above the
// requested one, and never a negative cost.
func FuzzCostQuery(f *testing.F) {
	for _, q := range []string{exactQuery, `{ customers { edges { node { id } } } }`, `{ node(id: "1") { ... on Order { customer { id } } } }`,
		`mutation { customerCreate(name: "a") { customer { id } } }`, `query Q($n: Int) { customers(first: $n) { nodes { id } } }`,
		`{ customers(first: -5, last: 99999999999) { nodes { orders(first: 250) { nodes { id } } } } }`, `{ __schema { types { name } } }`} {
		f.Add(q)
	}
	m, err := graphql.NewHandler(costSchema(f), graphql.WithJournalSize(16),
		graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 1_000_000, Per: time.Second, Burst: 1_000_000, Cost: true}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": 3}})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		start := time.Now()
		m.ServeHTTP(rec, req)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%v to answer %q", d, q)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, q, rec.Body)
		}
		var out struct {
			Extensions struct {
				Cost *costOf `json:"cost"`
			} `json:"extensions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Extensions.Cost == nil {
			t.Fatalf("no extensions.cost for %q: %s", q, rec.Body)
		}
		c := out.Extensions.Cost
		if c.Requested < 0 || (c.Actual != nil && (*c.Actual < 0 || *c.Actual > c.Requested)) {
			t.Fatalf("cost %+v for %q", c, q)
		}
	})
}
