package ci

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// throttledBody is a GraphQL mock's answer to a query it throttled by cost.
func throttledBody(requested, available, rate float64) []byte {
	return []byte(fmt.Sprintf(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":%v,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":100,"currentlyAvailable":%v,"restoreRate":%v}}}}`, requested, available, rate))
}

// costJournal is a GraphQL client throttled by cost (HTTP 200, no
// Retry-After) that retries the same query after retry.
func costJournal(retry time.Duration) []toolkit.Entry {
	q := []byte(`{"query":"{ customers(first: 10) { nodes { id } } }"}`)
	e := func(seq uint64, at time.Duration, throttled bool, body []byte) toolkit.Entry {
		return toolkit.Entry{Seq: seq, System: "shop", Time: t0.Add(at), Duration: ms10, Direction: "inbound", Client: "127.0.0.1:6000",
			Method: http.MethodPost, Path: "/graphql", Operation: "customers", Body: q, Status: http.StatusOK, Valid: true,
			Throttled: throttled, ResponseBody: body, ResponseHeader: http.Header{"Content-Type": {"application/json"}}}
	}
	// Asked to wait (28 - 16) / 10 = 1.2 s.
	return []toolkit.Entry{
		e(1, time.Second, false, []byte(`{"data":{}}`)),
		e(2, 2*time.Second, true, throttledBody(28, 16, 10)),
		e(3, 2*time.Second+ms10+retry, false, []byte(`{"data":{}}`)),
	}
}

// TestRetryAfterCost: a throttled GraphQL answer without Retry-After asks
// for (requestedQueryCost - currentlyAvailable) / restoreRate; a client
// waiting that long passes the gate, one retrying after 200 ms fails it
// (the negative control), and a throttled answer with no cost to read is
// not judged.
func TestRetryAfterCost(t *testing.T) {
	t.Parallel()
	if g := RetryAfter(costJournal(1250*time.Millisecond), RetryAfterOptions{}); !g.Passed || !strings.Contains(g.Measured, "1 of 1") {
		t.Fatalf("waited 1.25 s of 1.2 s: %s: %s %s", g.Status(), g.Measured, g.Reason)
	}
	g := RetryAfter(costJournal(200*time.Millisecond), RetryAfterOptions{})
	if g.Passed || g.Skipped || len(g.Detail) != 1 || !strings.Contains(g.Detail[0], "THROTTLED asked to wait 1.2s, next request after 200ms") {
		t.Fatalf("retried after 200 ms of 1.2 s: %s: %s %v", g.Status(), g.Measured, g.Detail)
	}
	es := costJournal(200 * time.Millisecond)
	es[1].ResponseBody = []byte(`{"errors":[{"message":"Throttled"}]}`)
	if g := RetryAfter(es, RetryAfterOptions{}); !g.Skipped {
		t.Fatalf("a throttled answer without a cost: %s: %s", g.Status(), g.Measured)
	}
	es = costJournal(200 * time.Millisecond)
	es[1].ResponseHeader.Set("Retry-After", "0")
	if g := RetryAfter(es, RetryAfterOptions{}); !g.Skipped {
		t.Fatalf("a 200 with Retry-After is not a refusal to judge: %s: %s", g.Status(), g.Measured)
	}
	for _, body := range []string{"", "{", `{"extensions":{"cost":{"requestedQueryCost":5,"throttleStatus":{"currentlyAvailable":1,"restoreRate":0}}}}`} {
		if d, ok := costWait([]byte(body)); ok {
			t.Errorf("costWait(%q) = %s", body, d)
		}
	}
}

// costSDL is a connection whose generated pages are exactly as long as
// asked for up to 2: a query of first: 2 costs 4, requested and actual.
const costSDL = `
type Item { id: ID! }
type ItemEdge { cursor: String! node: Item! }
type ItemConnection { edges: [ItemEdge!]! }
type Query { items(first: Int): ItemConnection! }
`

// TestRetryAfterCostMockJournal: the gate over the journals of a real
// GraphQL mock throttling by cost (a bucket of 4 restoring 8 a second, a
// query of 4): a client that reads extensions.cost and waits passes, one
// that retries at once fails.
func TestRetryAfterCostMockJournal(t *testing.T) {
	t.Parallel()
	c, err := contracts.ParseGraphQL(context.Background(), "items.graphql", []byte(costSDL))
	if err != nil {
		t.Fatal(err)
	}
	for _, honour := range []bool{true, false} {
		s, err := graphql.NewServer(c, graphql.WithName("items"),
			graphql.WithRateLimit(toolkit.RateLimitOptions{Requests: 8, Per: time.Second, Burst: 4, Cost: true}))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		throttled := false
		for i := 0; i < 3; i++ {
			cost, code := askItems(t, s.URL)
			if code != graphql.CodeThrottled {
				continue
			}
			throttled = true
			if honour {
				time.Sleep(time.Duration((cost.Requested - cost.Throttle.Available) / cost.Throttle.RestoreRate * float64(time.Second)))
			}
		}
		if !throttled {
			t.Fatal("the mock never throttled a client at 3 queries of 4 against a bucket of 4")
		}
		g := RetryAfter(s.Mock.Journal().Entries(toolkit.Filter{}), RetryAfterOptions{System: "items"})
		if g.Skipped || g.Passed != honour {
			t.Errorf("client honouring the cost %v: %s: %s %s %v", honour, g.Status(), g.Measured, g.Reason, g.Detail)
		}
	}
}

// itemsCost is the extensions.cost a client reads.
type itemsCost struct {
	Requested float64 `json:"requestedQueryCost"`
	Throttle  struct {
		Available   float64 `json:"currentlyAvailable"`
		RestoreRate float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

func askItems(t *testing.T, endpoint string) (itemsCost, string) {
	t.Helper()
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"query":"{ items(first: 2) { edges { node { id } } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var a struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
		Extensions struct {
			Cost itemsCost `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || resp.StatusCode != http.StatusOK || a.Extensions.Cost.Requested != 4 {
		t.Fatalf("%d %s (%v)", resp.StatusCode, raw, err)
	}
	code := ""
	if len(a.Errors) > 0 {
		code = a.Errors[0].Extensions.Code
	}
	return a.Extensions.Cost, code
}

// TestBackoffSeesCostThrottles: a query throttled by cost is answered 200,
// yet it is a failed attempt; a client that retries it at a fixed pace
// fails the backoff gate, one that doubles its waits passes.
func TestBackoffSeesCostThrottles(t *testing.T) {
	t.Parallel()
	// chain is a first success, then a query throttled and retried after
	// each of waits in turn, the last retry going through.
	chain := func(waits ...time.Duration) []toolkit.Entry {
		es := costJournal(0)[:1]
		at := 2 * time.Second
		for i := range len(waits) + 1 {
			e := costJournal(0)[1] // throttled
			if i == len(waits) {
				e = costJournal(0)[2] // through
			}
			e.Seq, e.Time = uint64(i+2), t0.Add(at)
			es = append(es, e)
			if i < len(waits) {
				at += waits[i]
			}
		}
		return es
	}
	fixed := chain(500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond)
	if g := Backoff(fixed, BackoffOptions{}); g.Passed || g.Skipped {
		t.Errorf("fixed 500 ms retries of a throttled query: %s: %s", g.Status(), g.Measured)
	}
	doubling := chain(500*time.Millisecond, time.Second, 2*time.Second, 4*time.Second)
	if g := Backoff(doubling, BackoffOptions{}); !g.Passed {
		t.Errorf("doubling retries of a throttled query: %s: %s %s", g.Status(), g.Measured, g.Reason)
	}
}
