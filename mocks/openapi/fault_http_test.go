package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The proof over real HTTP on loopback: each fault, at 30% of 2,000
// requests to a stateful petstore, produces exactly its effect on exactly
// the requests its seeded draw picks (so the same seed hits the same
// requests), and the journal names the fault on exactly those answers.

const (
	proofRequests = 2000
	proofRate     = 0.3
	proofSeed     = 99
	// variantRequests is the count for the other modes of a kind.
	variantRequests = 300
)

// faultyPetstore serves a stateful petstore with fs on loopback, with three
// pets stored before any fault is added.
func faultyPetstore(tb testing.TB, fs *toolkit.FaultSet, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(petstoreContract(tb), append([]Option{WithStateful(true), WithFaults(fs)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	for _, name := range []string{"Rex", "Tom", "Kiwi"} {
		resp := send(tb, http.DefaultClient, "POST", s.URL+"/pets", `{"name":"`+name+`","species":"dog"}`, key, "k")
		if resp.StatusCode != http.StatusCreated {
			tb.Fatalf("seed pet %s: %d %s", name, resp.StatusCode, resp.body)
		}
	}
	return s
}

// answer is what a client got: the response (nil on a transport error)
// and its body as far as it could be read.
type answerSeen struct {
	*http.Response
	body    []byte
	readErr error
	err     error
	elapsed time.Duration
}

func send(tb testing.TB, c *http.Client, method, target, body string, header ...string) answerSeen {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, r)
	if err != nil {
		return answerSeen{err: err} // no Fatal: senders run in goroutines too
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return answerSeen{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	return answerSeen{Response: resp, body: b, readErr: rerr, elapsed: time.Since(start)}
}

func proofClient(tb testing.TB) *http.Client {
	tb.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// predicted is the draw of a fault for the first n requests.
func predicted(seed int64, id string, rate float64, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = toolkit.HTTPFault{ID: id, Rate: rate}.Hits(seed, uint64(i))
	}
	return out
}

func TestFaultsOverLoopbackHitExactlyTheirRate(t *testing.T) {
	t.Parallel()
	c := petstoreContract(t)
	v := contracts.NewValidator(c.Doc)
	validates := func(a answerSeen, target string) bool {
		return len(validatePetAnswer(c, v, target, a)) == 0
	}
	decodes := func(a answerSeen) bool {
		var x any
		return a.err == nil && a.readErr == nil && json.Unmarshal(a.body, &x) == nil
	}
	cases := []struct {
		kind   string
		params map[string]string
		target string // path under the base
		n      int    // requests: proofRequests for one case of each kind
		// faulted says whether the client saw the fault's effect; it
		// must be false for every answer the fault did not pick.
		faulted func(a answerSeen, target string) bool
	}{
		{toolkit.FaultStatus, map[string]string{"status": "503"}, "/pets/1", proofRequests, func(a answerSeen, _ string) bool {
			var p toolkit.Problem
			return a.StatusCode == 503 && a.Header.Get("Content-Type") == toolkit.ProblemContentType &&
				json.Unmarshal(a.body, &p) == nil && p.Status == 503
		}},
		{toolkit.FaultRateLimited, map[string]string{"retry_after": "2", "limit": "100"}, "/pets", proofRequests, func(a answerSeen, _ string) bool {
			h := a.Header
			return a.StatusCode == 429 && h.Get("Retry-After") == "2" && h.Get("X-RateLimit-Limit") == "100" &&
				h.Get("X-RateLimit-Remaining") == "0" && h.Get("X-RateLimit-Reset") == "2"
		}},
		{toolkit.FaultTruncated, map[string]string{"framing": "length"}, "/pets/1", proofRequests, func(a answerSeen, _ string) bool { return a.err == nil && a.readErr != nil && !decodes(a) }},
		{toolkit.FaultTruncated, map[string]string{"framing": "chunked"}, "/pets", variantRequests, func(a answerSeen, _ string) bool { return a.err == nil && a.readErr != nil && !decodes(a) }},
		{toolkit.FaultTruncated, map[string]string{"framing": "clean", "at": "0.9"}, "/pets/2", variantRequests, func(a answerSeen, _ string) bool {
			return a.readErr == nil && a.StatusCode == 200 && !decodes(a)
		}},
		{toolkit.FaultMalformed, map[string]string{"mode": "syntax"}, "/pets", proofRequests, func(a answerSeen, _ string) bool { return a.StatusCode == 200 && !decodes(a) }},
		{toolkit.FaultMalformed, map[string]string{"mode": "html"}, "/pets/1", variantRequests, func(a answerSeen, _ string) bool {
			return a.StatusCode == 200 && !decodes(a) && strings.HasPrefix(a.Header.Get("Content-Type"), "application/json")
		}},
		{toolkit.FaultMalformed, map[string]string{"mode": "empty"}, "/pets/1", variantRequests, func(a answerSeen, _ string) bool { return a.StatusCode == 200 && !decodes(a) }},
		{toolkit.FaultMalformed, map[string]string{"mode": "nan"}, "/pets/3", variantRequests, func(a answerSeen, _ string) bool { return a.StatusCode == 200 && !decodes(a) }},
		{toolkit.FaultBadData, map[string]string{"mode": "missing"}, "/pets", variantRequests, func(a answerSeen, p string) bool { return decodes(a) && !validates(a, p) }},
		{toolkit.FaultBadData, map[string]string{"mode": "type"}, "/pets/1", variantRequests, func(a answerSeen, p string) bool { return decodes(a) && !validates(a, p) }},
		{toolkit.FaultBadData, map[string]string{"mode": "null"}, "/pets/2", variantRequests, func(a answerSeen, p string) bool { return decodes(a) && !validates(a, p) }},
		{toolkit.FaultBadData, nil, "/pets", proofRequests, func(a answerSeen, p string) bool { return decodes(a) && !validates(a, p) }},
	}
	for _, tc := range cases {
		t.Run(tc.kind+" "+fmt.Sprint(tc.params), func(t *testing.T) {
			t.Parallel()
			fs := toolkit.NewFaultSet(proofSeed)
			s := faultyPetstore(t, fs)
			id, err := fs.Add(toolkit.HTTPFault{Kind: tc.kind, Rate: proofRate, Params: tc.params})
			if err != nil {
				t.Fatal(err)
			}
			want := predicted(proofSeed, id, proofRate, tc.n)
			check := tc.kind == toolkit.FaultBadData // kin-openapi validation is slow under -race
			c := proofClient(t)
			hits, wrong := 0, 0
			for n := range tc.n {
				a := send(t, c, "GET", s.URL+tc.target, "", key, "k")
				got := tc.faulted(a, tc.target)
				if got {
					hits++
				}
				if !want[n] && (a.err != nil || a.readErr != nil || a.StatusCode != 200 || !decodes(a) || check && !validates(a, tc.target)) {
					t.Fatalf("request %d was not picked, yet its answer is not a valid 200: %v %v %v %s", n, a.err, a.readErr, a.Response != nil && a.StatusCode == 200, a.body)
				}
				if got != want[n] {
					wrong++
					if wrong < 4 {
						t.Errorf("request %d: fault seen %v, the seeded draw says %v; status %v body %.200q", n, got, want[n], a.Response != nil && a.StatusCode != 0, a.body)
					}
				}
			}
			if lo, hi := proofRate*float64(tc.n)*0.95, proofRate*float64(tc.n)*1.05; float64(hits) < lo || float64(hits) > hi {
				t.Errorf("%d of %d requests faulted, want %v ± 5%%", hits, tc.n, proofRate*float64(tc.n))
			}
			if wrong > 0 {
				t.Errorf("%d requests differ from the seeded draw", wrong)
			}
			journaled := 0
			for _, e := range s.Mock.Journal().Entries(toolkit.Filter{Method: "GET"}) {
				if strings.HasPrefix(e.Fault, tc.kind+" ") || e.Fault == tc.kind {
					journaled++
				}
			}
			if journaled != hits {
				t.Errorf("journal names the fault on %d answers, the client saw %d", journaled, hits)
			}
		})
	}
}

// validatePetAnswer checks an answer to GET target with kin-openapi's
// response validation, as an integration's contract test would.
func validatePetAnswer(c *contracts.OpenAPI, v *contracts.Validator, target string, a answerSeen) []toolkit.Violation {
	if a.Response == nil {
		return []toolkit.Violation{{Message: "no response"}}
	}
	doc := c.Doc
	tmpl, params := "/pets", map[string]string{}
	if rest, ok := strings.CutPrefix(target, "/pets/"); ok {
		tmpl, params = "/pets/{petId}", map[string]string{"petId": rest}
	}
	item := doc.Paths.Value(tmpl)
	req, _ := http.NewRequest("GET", "http://127.0.0.1/v1"+target, nil)
	rt := contracts.Route{Path: tmpl, Method: "GET", PathItem: item, Operation: item.Get, PathParams: params}
	return v.ValidateResponse(context.Background(), req, rt, a.StatusCode, a.Header, a.body)
}

// A second run with the same seed hits the same requests; another seed
// hits others (the negative control).
func TestFaultsHitTheSameRequestsForTheSameSeed(t *testing.T) {
	t.Parallel()
	run := func(seed int64) string {
		fs := toolkit.NewFaultSet(seed)
		s := faultyPetstore(t, fs)
		if _, err := fs.Add(toolkit.HTTPFault{ID: "outage", Kind: toolkit.FaultStatus, Rate: 0.3}); err != nil {
			t.Fatal(err)
		}
		c := proofClient(t)
		var b strings.Builder
		for range 300 {
			if send(t, c, "GET", s.URL+"/pets/1", "", key, "k").StatusCode == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, other := run(5), run(5), run(6)
	if a != b {
		t.Errorf("same seed, different requests hit:\n%s\n%s", a, b)
	}
	if a == other {
		t.Error("seeds 5 and 6 hit the same requests")
	}
}

// Many clients at once: the count stays exact (the draw is per request
// number, whichever client sends it) and every slowed answer took at least
// the delay. At the client, sequentially, exactly the requests the draw
// picks are slow.
func TestSlowFaultRate(t *testing.T) {
	t.Parallel()
	const delay = 20 * time.Millisecond
	fs := toolkit.NewFaultSet(proofSeed)
	s := faultyPetstore(t, fs)
	id, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultSlow, Rate: proofRate, Params: map[string]string{"delay": delay.String()}})
	if err != nil {
		t.Fatal(err)
	}
	// Sequentially first: the client measures.
	const sequential = 100
	c := proofClient(t)
	draw := predicted(proofSeed, id, proofRate, sequential)
	slowPlain := 0
	for n := range sequential {
		a := send(t, c, "GET", s.URL+"/pets/1", "", key, "k")
		switch {
		case a.err != nil || a.StatusCode != 200:
			t.Fatalf("request %d failed: %v", n, a.err)
		case draw[n] && a.elapsed < delay:
			t.Errorf("request %d was picked but took %v at the client, want at least %v", n, a.elapsed, delay)
		case !draw[n] && a.elapsed >= delay:
			slowPlain++ // a busy machine, not the fault
		}
	}
	// A fault that ignored its rate would slow every one of them; a busy
	// machine (the race detector, CI running packages side by side) slows
	// a few, so the bar is a quarter, not zero.
	if slowPlain > sequential/4 {
		t.Errorf("%d of %d requests the draw did not pick took %v or more", slowPlain, sequential, delay)
	}
	// Then many clients at once.
	cc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 10 * time.Second}
	t.Cleanup(cc.CloseIdleConnections)
	jobs := make(chan int)
	failed := make(chan error, proofRequests)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range jobs {
				if a := send(t, cc, "GET", s.URL+"/pets/1", "", key, "k"); a.err != nil || a.StatusCode != 200 {
					failed <- fmt.Errorf("status %v: %v", a.Response != nil, a.err)
				}
			}
		})
	}
	for i := range proofRequests - sequential {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	// The journal records an exchange once its handler returns, which can
	// be just after the client has read the last byte: wait for them all.
	gets := func() []toolkit.Entry { return s.Mock.Journal().Entries(toolkit.Filter{Method: "GET"}) }
	for deadline := time.Now().Add(5 * time.Second); len(gets()) < proofRequests && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	var journaled, fast int
	for _, e := range gets() {
		switch {
		case e.Fault == "slow "+delay.String():
			journaled++
			if e.Duration < delay {
				fast++
			}
		case e.Fault != "":
			t.Fatalf("unexpected fault %q", e.Fault)
		}
	}
	if want := int(proofRate * proofRequests); journaled != want || fast > 0 {
		t.Errorf("%d answers journaled slow (%d of them faster than %v), want exactly %d", journaled, fast, delay, want)
	}
}

// The slow fault holds the headers for delay, then trickles the body
// over trickle, in chunks the client reads one by one.
func TestSlowFaultDelaysHeadersAndTricklesTheBody(t *testing.T) {
	t.Parallel()
	const delay, trickle = 150 * time.Millisecond, 200 * time.Millisecond
	fs := toolkit.NewFaultSet(1)
	s := faultyPetstore(t, fs)
	measure := func() (headers, firstByte, all time.Duration, body []byte) {
		req, _ := http.NewRequest("GET", s.URL+"/pets", nil)
		req.Header.Set(key, "k")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		headers = time.Since(start)
		buf := make([]byte, 1)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		firstByte = time.Since(start)
		rest, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return headers, firstByte, time.Since(start), append(buf, rest...)
	}
	_, _, plain, plainBody := measure() // negative control
	if plain >= delay {
		t.Fatalf("without the fault an answer took %v", plain)
	}
	if _, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultSlow, Params: map[string]string{"delay": delay.String(), "trickle": trickle.String(), "chunks": "4"}}); err != nil {
		t.Fatal(err)
	}
	headers, first, all, body := measure()
	if string(body) != string(plainBody) {
		t.Errorf("slow body differs:\n%s\n%s", body, plainBody)
	}
	if headers < delay || headers > delay+trickle/4 {
		t.Errorf("headers after %v, want %v (before the first chunk, due %v later)", headers, delay, trickle/4)
	}
	if all-first < trickle*3/4-10*time.Millisecond {
		t.Errorf("body read from first byte to last in %v, want about %v (trickled)", all-first, trickle*3/4)
	}
	if all < delay+trickle {
		t.Errorf("whole answer in %v, want at least %v", all, delay+trickle)
	}
	t.Logf("plain %v; slow: headers %v, first byte %v, all %v", plain, headers, first, all)
}

func TestRateLimitedHeadersAreConfigurable(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	s := faultyPetstore(t, fs)
	if _, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultRateLimited, Params: map[string]string{
		"retry_after": "1500ms", "limit": "40", "remaining_header": "", "reset": "epoch", "reset_header": "X-Shopify-Reset", "limit_header": "X-Shopify-Limit",
	}}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	a := send(t, http.DefaultClient, "GET", s.URL+"/pets", "", key, "k")
	h := a.Header
	reset := h.Get("X-Shopify-Reset")
	if a.StatusCode != 429 || h.Get("Retry-After") != "2" || h.Get("X-Shopify-Limit") != "40" || h.Get("X-RateLimit-Remaining") != "" || h.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("429 headers: %d %v", a.StatusCode, h)
	}
	if reset < fmt.Sprint(before+1) || reset > fmt.Sprint(time.Now().Unix()+2) {
		t.Errorf("epoch reset %s, want about %d", reset, before+2)
	}
	if e := s.Mock.Journal().Entries(toolkit.Filter{Status: 429}); len(e) != 1 || !e[0].Throttled || e[0].Fault != "rate_limited 429 retry_after=2s" {
		t.Errorf("journal %+v", e)
	}
}

// expired_credentials: 401 with WWW-Authenticate for the credential in use
// until the client sends a new one, then 200; other clients' credentials
// seen before expire only when the rate picks them.
func TestExpiredCredentialsUntilReauthentication(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	s := faultyPetstore(t, fs)
	get := func(cred string) answerSeen {
		return send(t, http.DefaultClient, "GET", s.URL+"/pets/1", "", key, cred)
	}
	if a := get("old-key"); a.StatusCode != 200 {
		t.Fatalf("before the fault: %d", a.StatusCode)
	}
	if a := get("other-client"); a.StatusCode != 200 {
		t.Fatalf("before the fault: %d", a.StatusCode)
	}
	revert, err := fs.Activate(context.Background(), toolkit.HTTPFault{Kind: toolkit.FaultExpiredCredentials})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a := get("old-key")
		if a.StatusCode != 401 || !strings.Contains(a.Header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(a.Header.Get("WWW-Authenticate"), "ApiKey") {
			t.Fatalf("old key, try %d: %d %q", i, a.StatusCode, a.Header.Get("WWW-Authenticate"))
		}
	}
	for i := range 3 {
		if a := get("new-key"); a.StatusCode != 200 {
			t.Fatalf("new key, try %d: %d %s", i, a.StatusCode, a.body)
		}
	}
	// Another client that used its key before: the rate (1) expires it too.
	if a := get("other-client"); a.StatusCode != 401 {
		t.Fatalf("another client's old key: %d", a.StatusCode)
	}
	if err := revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := get("old-key"); a.StatusCode != 200 {
		t.Fatalf("after revert: %d", a.StatusCode)
	}
	var n401 int
	for _, e := range s.Mock.Journal().Entries(toolkit.Filter{Status: 401}) {
		if e.Fault == "expired_credentials" {
			n401++
		}
	}
	if n401 != 4 {
		t.Errorf("journal: %d answers marked expired_credentials, want 4", n401)
	}
}

// At a rate below 1, about that share of the clients' credentials expire,
// and each of those clients gets back in with a new one.
func TestExpiredCredentialsAtARate(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(3)
	s := faultyPetstore(t, fs)
	if _, err := fs.Add(toolkit.HTTPFault{ID: "expiry", Kind: toolkit.FaultExpiredCredentials, Rate: 0.3}); err != nil {
		t.Fatal(err)
	}
	c := proofClient(t)
	// What the draw predicts: request n of the fault is the first of a
	// client; when picked, the client retries (n+1, refused) and renews
	// (n+2, accepted), and the next client's first request is n+3.
	draw := predicted(3, "expiry", 0.3, 2000)
	want, n := 0, 0
	for range 400 {
		if draw[n] {
			want++
			n += 3
		} else {
			n++
		}
	}
	expired := 0
	for i := range 400 {
		cred := fmt.Sprint("client-", i)
		a := send(t, c, "GET", s.URL+"/pets/1", "", key, cred)
		if a.StatusCode == 401 {
			expired++
			if again := send(t, c, "GET", s.URL+"/pets/1", "", key, cred); again.StatusCode != 401 {
				t.Fatalf("%s: expired, then %d with the same key", cred, again.StatusCode)
			}
			if renewed := send(t, c, "GET", s.URL+"/pets/1", "", key, cred+"-renewed"); renewed.StatusCode != 200 {
				t.Fatalf("%s: renewed key got %d", cred, renewed.StatusCode)
			}
		} else if a.StatusCode != 200 {
			t.Fatalf("%s: %d", cred, a.StatusCode)
		}
	}
	if expired != want {
		t.Errorf("%d of 400 credentials expired, the seeded draw says %d", expired, want)
	}
	t.Logf("%d of 400 clients saw their credential expire at rate 0.3", expired)
}

// bad_data on a contract with allOf and OpenAPI 3.1 types: the accounting
// vendor's invoices.
func TestBadDataOnAccountingInvoices(t *testing.T) {
	t.Parallel()
	c := loadContract(t, filepath.Join("..", "..", "examples", "ordersync", "contracts", "accounting.openapi.yaml"))
	for _, mode := range []string{"missing", "type", "null"} {
		fs := toolkit.NewFaultSet(1)
		s, err := NewServer(c, WithFaults(fs))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		v := contracts.NewValidator(c.Doc)
		item := c.Doc.Paths.Value("/invoices/{invoice_id}")
		rt := contracts.Route{Path: "/invoices/{invoice_id}", Method: "GET", PathItem: item, Operation: item.Get, PathParams: map[string]string{"invoice_id": "in_1"}}
		check := func() ([]toolkit.Violation, answerSeen) {
			a := send(t, http.DefaultClient, "GET", s.URL+"/invoices/in_1", "", "Authorization", "Bearer t")
			req, _ := http.NewRequest("GET", s.URL+"/invoices/in_1", nil)
			return v.ValidateResponse(context.Background(), req, rt, a.StatusCode, a.Header, a.body), a
		}
		if vs, a := check(); len(vs) > 0 || a.StatusCode != 200 {
			t.Fatalf("without the fault: %d %v", a.StatusCode, vs)
		}
		if _, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultBadData, Params: map[string]string{"mode": mode}}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for range 20 {
			vs, a := check()
			if len(vs) == 0 {
				t.Fatalf("%s: a bad_data answer passed validation: %s", mode, a.body)
			}
			seen[s.Mock.Journal().Entries(toolkit.Filter{})[s.Mock.Journal().Total()-1].Fault] = true
		}
		if len(seen) < 3 {
			t.Errorf("%s: 20 requests broke only %v: the field should be drawn per request", mode, seen)
		}
	}
}

func TestAdminFaultsAPI(t *testing.T) {
	t.Parallel()
	fs := toolkit.NewFaultSet(1)
	m := newPetstore(t, WithFaults(fs))
	mux := http.NewServeMux()
	mux.Handle(toolkit.FaultsPath, fs.AdminHandler())
	mux.Handle(toolkit.FaultsPath+"/", fs.AdminHandler())
	mux.Handle("/", m)
	do := func(method, path, body string) answerSeen {
		resp := call(t, mux, method, path, body)
		b := readBody(t, resp)
		return answerSeen{Response: resp, body: b}
	}
	if a := do("POST", toolkit.FaultsPath, `{"id":"outage","kind":"status","rate":1,"params":{"status":503,"retry_after":"2s"}}`); a.StatusCode != 201 || a.Header.Get("Location") != toolkit.FaultsPath+"/outage" {
		t.Fatalf("POST: %d %s", a.StatusCode, a.body)
	}
	if got := call(t, mux, "GET", "/v1/pets/1", "", key, "k"); got.StatusCode != 503 || got.Header.Get("Retry-After") != "2" {
		t.Fatalf("with the fault: %d", got.StatusCode)
	}
	var list []toolkit.ActiveFault
	if a := do("GET", toolkit.FaultsPath, ""); a.StatusCode != 200 || json.Unmarshal(a.body, &list) != nil || len(list) != 1 || list[0].Hits != 1 || list[0].Params["status"] != "503" {
		t.Fatalf("GET: %d %s", a.StatusCode, a.body)
	}
	if a := do("GET", toolkit.FaultsPath+"/outage", ""); a.StatusCode != 200 {
		t.Fatalf("GET one: %d %s", a.StatusCode, a.body)
	}
	if a := do("POST", toolkit.FaultsPath, `{"id":"outage","kind":"status"}`); a.StatusCode != 409 {
		t.Fatalf("duplicate: %d %s", a.StatusCode, a.body)
	}
	bad := do("POST", toolkit.FaultsPath, `{"kind":"status","params":{"status":200,"colour":"red"}}`)
	p := decodeProblem(t, bad.Response)
	if bad.StatusCode != 400 || len(p.Violations) != 2 || !strings.Contains(p.Violations[0].Message+p.Violations[1].Message, "params.colour") || !strings.Contains(p.Violations[0].Message+p.Violations[1].Message, "params.status") {
		t.Fatalf("invalid fault: %d %+v", bad.StatusCode, p)
	}
	syntax := do("POST", toolkit.FaultsPath, "{\n  \"kind\": \"status\",\n  \"rate\": \"high\"\n}")
	if p := decodeProblem(t, syntax.Response); syntax.StatusCode != 400 || !strings.Contains(p.Violations[0].Message, "line 3") || !strings.Contains(p.Violations[0].Message, "rate") {
		t.Fatalf("wrong type: %d %+v", syntax.StatusCode, p)
	}
	if a := do("PUT", toolkit.FaultsPath, ""); a.StatusCode != 405 || a.Header.Get("Allow") == "" {
		t.Fatalf("PUT: %d", a.StatusCode)
	}
	if a := do("DELETE", toolkit.FaultsPath+"/outage", ""); a.StatusCode != 204 {
		t.Fatalf("DELETE one: %d", a.StatusCode)
	}
	if a := do("DELETE", toolkit.FaultsPath+"/outage", ""); a.StatusCode != 404 {
		t.Fatalf("DELETE again: %d", a.StatusCode)
	}
	if got := call(t, mux, "GET", "/v1/pets/1", "", key, "k"); got.StatusCode != 200 {
		t.Fatalf("after removal: %d", got.StatusCode)
	}
	do("POST", toolkit.FaultsPath, `{"kind":"malformed"}`)
	do("POST", toolkit.FaultsPath, `{"kind":"slow","params":{"delay":"1ms"}}`)
	if a := do("DELETE", toolkit.FaultsPath, ""); a.StatusCode != 204 || len(fs.List()) != 0 {
		t.Fatalf("DELETE all: %d, left %v", a.StatusCode, fs.List())
	}
	if a := do("GET", AdminPrefix+"faultsx", ""); a.StatusCode != 404 {
		t.Fatalf("faultsx: %d", a.StatusCode)
	}
}
