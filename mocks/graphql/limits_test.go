package graphql_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// refusalTime is how long a refusal of a request over the bounds may take:
// it is decided before validation and execution, so well under 100 ms
// (more under the race detector, which slows every step).
func refusalTime() time.Duration {
	if raceEnabled {
		return 3 * time.Second
	}
	return 100 * time.Millisecond
}

// maxRefusalAlloc bounds the memory a refusal allocates, the request's own
// bytes (up to 1 MB, read and decoded) included.
const maxRefusalAlloc = 50 << 20

// aliasedIntrospection is n aliases of one introspection selection, each
// spelled out: a small request whose answer, unbounded, is hundreds of MB.
func aliasedIntrospection(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: __schema { types { name kind description fields(includeDeprecated: true) { name description args { name type { name kind ofType { name kind ofType { name kind } } } } type { name kind ofType { name kind ofType { name kind } } } } } }", i)
	}
	b.WriteString(" }")
	return b.String()
}

// fragmentChain is n fragments spreading one another, the last spreading
// the first when cycle is set (an invalid document), else selecting
// __typename.
func fragmentChain(n int, cycle bool) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		next := fmt.Sprintf("...F%d", i+1)
		if i == n-1 {
			next = "__typename"
			if cycle {
				next = "...F0"
			}
		}
		fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", i, next)
	}
	return b.String()
}

// manyTokens is a query of about size bytes, nearly all of them tokens.
func manyTokens(size int) string {
	var b strings.Builder
	b.WriteString("{ version(")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "a%d: 1 ", i)
	}
	b.WriteString(") }")
	return b.String()
}

// deepQuery nests customer { orders { customer ... } } depth levels deep
// (2 or more).
func deepQuery(depth int) string {
	var b strings.Builder
	b.WriteString(`{ customer(id: "1") {`)
	for i := 1; i < depth-1; i++ {
		if i%2 == 1 {
			b.WriteString(" orders {")
		} else {
			b.WriteString(" customer {")
		}
	}
	b.WriteString(" id")
	b.WriteString(strings.Repeat(" }", depth-1))
	b.WriteString(" }")
	return b.String()
}

// postRaw sends one prepared GraphQL POST and measures its time and the
// bytes it allocated.
func postRaw(t *testing.T, h http.Handler, body []byte) (result, time.Duration, uint64) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	h.ServeHTTP(rec, req)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	var r result
	r.raw, r.status = rec.Body.Bytes(), rec.Code
	if err := json.Unmarshal(r.raw, &r); err != nil {
		t.Fatalf("answer is not JSON: %v\n%.500s", err, r.raw)
	}
	return r, took, after.TotalAlloc - before.TotalAlloc
}

func queryBody(t testing.TB, query string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errorCode is the extensions.code of a refusal's first error.
func errorCode(t *testing.T, raw []byte) string {
	t.Helper()
	var r struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Extensions.Code
}

// TestLimitsRefuseFast holds the reproducers of requests that took a
// drill's process down: each is refused with a GraphQL error, quickly and
// in little memory. Not parallel: the allocations measured are the
// process's.
func TestLimitsRefuseFast(t *testing.T) {
	cases := []struct {
		name  string
		opts  []graphql.Option
		query string
		code  string // extensions.code; "" for a validation error
		msg   string // in the first error's message
	}{
		{name: "200 aliased introspections", query: aliasedIntrospection(200), code: graphql.CodeMaxAliasesExceeded, msg: "aliases"},
		{name: "200 aliased introspections, aliases allowed", opts: []graphql.Option{graphql.WithLimits(graphql.Limits{MaxAliases: 1000})},
			query: aliasedIntrospection(200), code: graphql.CodeMaxSelectionsExceeded, msg: "selections"},
		{name: "6000-fragment cycle", query: fragmentChain(6000, true), code: graphql.CodeMaxTokensExceeded, msg: "tokens"},
		{name: "6000-fragment cycle, tokens allowed", opts: []graphql.Option{graphql.WithLimits(graphql.Limits{MaxTokens: 100_000})},
			query: fragmentChain(6000, true), msg: `Cannot spread fragment "F0" within itself via "F1", "F2"`},
		{name: "6000-fragment chain, tokens allowed", opts: []graphql.Option{graphql.WithLimits(graphql.Limits{MaxTokens: 100_000})},
			query: fragmentChain(6000, false), code: graphql.CodeMaxSelectionsExceeded, msg: "selections"},
		{name: "900-fragment chain under the selections", query: fragmentChain(900, false), code: graphql.CodeMaxSelectionsExceeded, msg: "validation"},
		{name: "5000 fields named alike, selections allowed", opts: []graphql.Option{graphql.WithLimits(graphql.Limits{MaxSelections: 4000})},
			query: "{" + strings.Repeat(" version", 5000) + " }", code: graphql.CodeMaxSelectionsExceeded, msg: "5000 selections"},
		{name: "1 MB of tokens", query: manyTokens(1 << 20), code: graphql.CodeMaxTokensExceeded, msg: "tokens"},
		{name: "deep nesting", query: deepQuery(300), code: graphql.CodeMaxDepthExceeded, msg: "deep"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := queryBody(t, c.query)
			// The best of three, each on a mock of its own (nothing
			// cached): the machine's load slows a try, never speeds it.
			var r result
			took, alloc := time.Hour, uint64(1<<63)
			for range 3 {
				m := newMock(t, append([]graphql.Option{graphql.WithJournalSize(4)}, c.opts...)...)
				var d time.Duration
				var a uint64
				r, d, a = postRaw(t, m, body)
				took, alloc = min(took, d), min(alloc, a)
			}
			if r.status != http.StatusOK || len(r.Errors) == 0 || r.Data != nil {
				t.Fatalf("status %d, want 200 with errors and no data:\n%.1000s", r.status, r.raw)
			}
			if got := errorCode(t, r.raw); got != c.code {
				t.Errorf("code %q, want %q: %.1000s", got, c.code, r.raw)
			}
			if !strings.Contains(r.Errors[0].Message, c.msg) {
				t.Errorf("message %q, want it to say %q", r.Errors[0].Message, c.msg)
			}
			if len(r.raw) > 4<<10 {
				t.Errorf("the refusal is %d bytes: %.500s", len(r.raw), r.raw)
			}
			if took > refusalTime() {
				t.Errorf("refused in %v, want within %v (%d-byte request)", took, refusalTime(), len(body))
			}
			if alloc > maxRefusalAlloc {
				t.Errorf("refusal allocated %d MB, want under %d MB (%d-byte request)", alloc>>20, maxRefusalAlloc>>20, len(body))
			}
		})
	}
}

// TestLimitsAllowWhatIsUnder holds the positive controls: what real
// clients send passes the default bounds, and a bound lowered refuses only
// what is over it.
func TestLimitsAllowWhatIsUnder(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	r := do(t, m, introspectionQuery(t), nil).ok(t)
	if n := len(at(r.Data, "__schema", "types").([]any)); n < 10 {
		t.Errorf("introspection lists %d types", n)
	}
	legit := `query Few($id: ID!) {
		first: customer(id: $id) { ...Who orders { ...Bought } }
		second: customer(id: "2") { ...Who }
		third: node(id: "3") { ... on Customer { ...Who } }
	}
	fragment Who on Customer { id name email }
	fragment Bought on Order { id total paid }`
	r = do(t, m, legit, map[string]any{"id": "1"}).ok(t)
	if at(r.Data, "first", "id") != "1" || at(r.Data, "second", "id") != "2" || at(r.Data, "first", "orders", 0, "total") == nil {
		t.Errorf("aliases and fragments answered %s", r.raw)
	}
	do(t, m, deepQuery(graphql.DefaultMaxDepth), nil).ok(t)
	do(t, m, aliasedIntrospection(1), nil).ok(t)
	do(t, m, fragmentChain(30, false), nil).ok(t)
}

// TestLimitsSettable lowers each bound in turn: a query at the bound
// answers, one past it is refused with the bound's code.
func TestLimitsSettable(t *testing.T) {
	t.Parallel()
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " v%d: version", i)
		}
		return b.String() + " }"
	}
	cases := []struct {
		name        string
		limits      graphql.Limits
		under, over string
		code        string
	}{
		{"depth", graphql.Limits{MaxDepth: 3}, deepQuery(3), deepQuery(4), graphql.CodeMaxDepthExceeded},
		{"aliases", graphql.Limits{MaxAliases: 3}, aliases(3), aliases(4), graphql.CodeMaxAliasesExceeded},
		{"selections", graphql.Limits{MaxSelections: 11}, "{" + strings.Repeat(" version", 11) + " }", "{" + strings.Repeat(" version", 12) + " }", graphql.CodeMaxSelectionsExceeded},
		// The validation walk of a chain of n: the operation n+1, F0 n,
		// F1 n-1...: 231 for 20, 276 for 22, over 10 × 25.
		{"validation", graphql.Limits{MaxSelections: 25}, fragmentChain(20, false), fragmentChain(22, false), graphql.CodeMaxSelectionsExceeded},
		{"tokens", graphql.Limits{MaxTokens: 3}, "{ version }", "{ version __typename }", graphql.CodeMaxTokensExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := newMock(t, graphql.WithLimits(c.limits))
			do(t, m, c.under, nil).ok(t)
			r := do(t, m, c.over, nil)
			if r.status != http.StatusOK || r.Data != nil || errorCode(t, r.raw) != c.code {
				t.Errorf("over the bound: status %d, want 200, code %s, no data:\n%s", r.status, c.code, r.raw)
			}
		})
	}
}

// TestLimitsAnswerBytes stops an answer at its byte budget, introspection
// included: the client gets data null and an error, never the answer cut.
func TestLimitsAnswerBytes(t *testing.T) {
	t.Parallel()
	full := do(t, newMock(t), introspectionQuery(t), nil).ok(t)
	budget := len(full.raw) / 2
	m := newMock(t, graphql.WithLimits(graphql.Limits{MaxAnswerBytes: budget}))
	r := do(t, m, introspectionQuery(t), nil)
	if r.status != http.StatusOK || r.Data != nil || len(r.Errors) != 1 || errorCode(t, r.raw) != graphql.CodeAnswerTooLarge {
		t.Fatalf("status %d, want 200 with data null and %s:\n%.1000s", r.status, graphql.CodeAnswerTooLarge, r.raw)
	}
	if !bytes.Contains(r.raw, []byte(`"data":null`)) || len(r.raw) > 1<<10 {
		t.Errorf("the refusal is %d bytes: %.500s", len(r.raw), r.raw)
	}
	// Generated lists, not introspection: the same budget, a small answer passes.
	do(t, m, `{ customers { edges { node { id } } } }`, nil).ok(t)
	// Answers that pass the budget on estimate but not exactly are caught
	// when written: the exact bound is the written data.
	// {"v":"3.9.15","w":"3.9.15","x":"3.9.15"} is 40 bytes.
	query := `{ v: version w: version x: version }`
	do(t, newMock(t, graphql.WithLimits(graphql.Limits{MaxAnswerBytes: 40})), query, nil).ok(t)
	r = do(t, newMock(t, graphql.WithLimits(graphql.Limits{MaxAnswerBytes: 39})), query, nil)
	if errorCode(t, r.raw) != graphql.CodeAnswerTooLarge {
		t.Errorf("an answer over 39 bytes: %s", r.raw)
	}
}

// TestLimitsBadValues refuses bounds that cannot be.
func TestLimitsBadValues(t *testing.T) {
	t.Parallel()
	for _, l := range []graphql.Limits{{MaxDepth: -1}, {MaxSelections: -1}, {MaxAliases: -1}, {MaxTokens: -1}, {MaxAnswerBytes: -1}} {
		if _, err := graphql.NewHandler(shopSchema(t), graphql.WithLimits(l)); err == nil || !strings.Contains(err.Error(), "graphql: limits") {
			t.Errorf("%+v: %v, want a refusal", l, err)
		}
	}
	m := newMock(t, graphql.WithLimits(graphql.Limits{MaxDepth: 7}))
	if got := m.Limits(); got.MaxDepth != 7 || got.MaxTokens != graphql.DefaultMaxTokens || got.MaxAnswerBytes != graphql.DefaultMaxAnswerBytes {
		t.Errorf("limits %+v: want depth 7, the rest defaults", got)
	}
}
