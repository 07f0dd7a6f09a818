package ci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/openapi"
)

// testEnv is the environment the verifications read credentials from.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// fastRate keeps the tests quick where spacing is not what they test.
var fastRate = contracts.MustRate("1000/s")

// TestVerifyPassesAgainstAMockOfTheContract: a firedrill mock of a
// contract keeps it, writes included, for the example contracts and
// vendor contracts of the corpus (an API key in a header, OAuth2 bearer,
// HTTP basic), reached at the mock's URL and at its root (the contract's
// base path appended); the mock, which checks credentials, refuses none
// (no 401 or 403 noted), so each went where its scheme says.
func TestVerifyPassesAgainstAMockOfTheContract(t *testing.T) {
	t.Parallel()
	files := []string{
		"../examples/ordersync/contracts/accounting.openapi.yaml",
		"../examples/ordersync/contracts/shop.openapi.yaml",
		"../contracts/testdata/corpus/openapi/hubspot__business-units-v3.openapi.yaml",
		"../contracts/testdata/corpus/openapi/twilio__twilio_chat_v3.json",
		"../contracts/testdata/corpus/openapi/postmark__account-0.9.0.swagger.yaml",
		"../contracts/testdata/corpus/openapi/paypal__catalogs_products_v1.json",
	}
	env := testEnv(map[string]string{EnvAPIKey: "k-123", EnvBearerToken: "t-123", EnvBasicUser: "u", EnvBasicPassword: "p"})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			c, err := contracts.LoadOpenAPI(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := openapi.NewServer(c)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			root := strings.TrimSuffix(srv.URL, c.BasePath())
			for _, base := range []string{srv.URL, root} {
				v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: base, AllowWrites: true, Rate: fastRate, Getenv: env, Seed: 7})
				if err != nil {
					t.Fatal(err)
				}
				if v.Err() != nil || v.Passed != len(v.Operations) || v.Passed == 0 || len(v.Notes) > 0 {
					var b bytes.Buffer
					_ = v.WriteText(&b)
					t.Errorf("against %s: want every operation to pass, credentials accepted (no note):\n%s", base, b.String())
				}
			}
		})
	}
}

// driftContract declares what the drifting server gets wrong.
const driftContract = "testdata/verify-drift.openapi.yaml"

// driftServer answers each operation of driftContract wrongly but one
// (fine), and records the methods it was sent.
type driftServer struct {
	*httptest.Server
	mu      sync.Mutex
	methods []string
}

func newDriftServer(t testing.TB) *driftServer {
	t.Helper()
	d := &driftServer{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.methods = append(d.methods, r.Method)
		d.mu.Unlock()
		json := func(code int, body string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}
		switch p := strings.TrimPrefix(r.URL.Path, "/v1"); {
		case p == "/orders" && r.Method == http.MethodGet:
			json(200, `[{"id":"a","total":12},{"id":"b","total":"12.50"}]`) // wrong type
		case p == "/orders" && r.Method == http.MethodPost:
			json(201, `{"id":"c","total":1}`)
		case strings.HasPrefix(p, "/orders/") && r.Method == http.MethodDelete:
			w.WriteHeader(204)
		case strings.HasPrefix(p, "/orders/"):
			json(200, `{"id":"a"}`) // a required field missing
		case p == "/health":
			w.WriteHeader(202) // a status not declared
		case p == "/report":
			json(500, `{"error":"boom"}`) // an undeclared 5xx
		case p == "/maintenance":
			w.WriteHeader(503) // a declared 5xx, still drift
		case p == "/ping":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "pong") // a content type not declared
		case p == "/limits":
			json(200, `{}`) // the required header missing
		case p == "/fine":
			json(200, `{"id":"a","total":1}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *driftServer) sent() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.methods...)
}

func loadContract(t testing.TB, path string) *contracts.OpenAPI {
	t.Helper()
	c, err := contracts.LoadOpenAPI(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifyNamesEachDrift: a server that drifts from its contract is
// caught, each drift named with its operation, kind and pointer, and only
// the operation that keeps the contract passes; no write is sent.
func TestVerifyNamesEachDrift(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	srv := newDriftServer(t)
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Getenv: testEnv(map[string]string{EnvAPIKey: "k"})})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		outcome string
		drift   string // Drift.String() contains it
	}{
		"listOrders":  {OutcomeDrift, "body /1/total: value must be a number"},
		"getOrder":    {OutcomeDrift, `property "total" is missing`},
		"health":      {OutcomeDrift, "status: answered 202, which the operation does not declare (it declares 200)"},
		"report":      {OutcomeDrift, "server-error: answered 500 Internal Server Error (not declared)"},
		"maintenance": {OutcomeDrift, "server-error: answered 503 Service Unavailable (declared): any 5xx is drift"},
		"ping":        {OutcomeDrift, `content-type: "text/plain" is not declared for 200 (it declares application/json)`},
		"limits":      {OutcomeDrift, "header X-Request-Id:"},
		"fine":        {OutcomePass, ""},
		"createOrder": {OutcomeSkipped, ""},
		"deleteOrder": {OutcomeSkipped, ""},
	}
	var text bytes.Buffer
	if err := v.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + text.String())
	if len(v.Operations) != len(want) {
		t.Fatalf("%d operations checked, want %d", len(v.Operations), len(want))
	}
	for _, o := range v.Operations {
		w := want[o.Operation]
		var drifts []string
		for _, d := range o.Drifts {
			drifts = append(drifts, d.String())
		}
		if o.Outcome != w.outcome || !strings.Contains(strings.Join(drifts, "\n"), w.drift) {
			t.Errorf("%s: %s %q, want %s with a drift containing %q", o.Operation, o.Outcome, drifts, w.outcome, w.drift)
		}
		if o.Outcome == OutcomeDrift && !strings.HasPrefix(o.Request, "GET "+srv.URL+"/v1/") {
			t.Errorf("%s: request %q does not say what was sent", o.Operation, o.Request)
		}
	}
	if v.Drifted != 7 || v.Passed != 1 || v.Skipped != 2 || CodeOf(v.Err()) != ExitFail {
		t.Errorf("counts %d drift %d pass %d skipped, exit %v; want 7, 1, 2 and fail", v.Drifted, v.Passed, v.Skipped, CodeOf(v.Err()))
	}
	for _, m := range srv.sent() {
		if m != http.MethodGet {
			t.Errorf("a %s was sent without AllowWrites", m)
		}
	}
}

// TestVerifySendsWritesWhenAllowed: AllowWrites sends the POST and the
// DELETE, and judges their answers.
func TestVerifySendsWritesWhenAllowed(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	srv := newDriftServer(t)
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, AllowWrites: true, Rate: fastRate,
		Operations: []string{"createOrder", "delete /orders/{id}"}, Getenv: testEnv(map[string]string{EnvAPIKey: "k"})})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(srv.sent(), ","); got != "POST,DELETE" {
		t.Errorf("sent %s, want POST,DELETE", got)
	}
	if v.Passed != 2 || len(v.Operations) != 2 {
		t.Errorf("%d of %d passed, want 2 of 2: %+v", v.Passed, len(v.Operations), v.Operations)
	}
}

// TestVerifyHonoursRetryAfter: a 429 with Retry-After: 1 is retried no
// sooner than a second later, and the answer then judged.
func TestVerifyHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	var (
		mu    sync.Mutex
		times []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"a","total":1}`)
	}))
	defer srv.Close()
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Operations: []string{"fine"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("retried %s after the 429, want at least the 1s Retry-After asked", gap)
	}
	if o := v.Operations[0]; o.Outcome != OutcomePass || o.Attempts != 2 {
		t.Errorf("%s after %d attempts, want pass after 2", o.Outcome, o.Attempts)
	}
}

// TestVerifyGivesUpOnARetryAfterPastTheTimeout: a Retry-After longer
// than the time the operation has left is not waited for; the operation
// is not judged.
func TestVerifyGivesUpOnARetryAfterPastTheTimeout(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	start := time.Now()
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Timeout: 2 * time.Second, Operations: []string{"fine"}})
	if err != nil {
		t.Fatal(err)
	}
	if o := v.Operations[0]; o.Outcome != OutcomeError || !strings.Contains(o.Reason, "throttled") || o.Attempts != 1 {
		t.Errorf("%s %q after %d attempts, want a throttled error after 1", o.Outcome, o.Reason, o.Attempts)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s: waited for the Retry-After", time.Since(start))
	}
}

// TestVerifyKeepsToTheRate: at 4/s the requests arrive about 250ms apart
// (each gap at least 150ms, wide of the arrival jitter of a busy machine,
// and 8 requests over at least 1.65s).
func TestVerifyKeepsToTheRate(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	var (
		mu    sync.Mutex
		times []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer srv.Close()
	if _, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: contracts.MustRate("4/s")}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 8 {
		t.Fatalf("%d requests, want the 8 reads", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 150*time.Millisecond {
			t.Errorf("request %d came %s after the one before, want about 250ms at 4/s", i+1, gap)
		}
	}
	if span := times[7].Sub(times[0]); span < 1650*time.Millisecond {
		t.Errorf("8 requests in %s, want at least 1.65s at 4/s", span)
	}
}

// TestVerifyNeverShowsTheCredential: the API key read from the
// environment is sent, and appears in no report, even in the error of a
// request that got no answer (Go's url.Error quotes the whole URL).
func TestVerifyNeverShowsTheCredential(t *testing.T) {
	t.Parallel()
	const key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	c := loadContract(t, driftContract)
	var (
		mu  sync.Mutex
		got string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.URL.Query().Get("access")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"total":%q}`, key, key) // echoed back, in a drift
	}))
	defer srv.Close()
	env := testEnv(map[string]string{"VENDOR_KEY": key})
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Operations: []string{"fine"}, Auth: map[string]string{"key": "VENDOR_KEY"}, Getenv: env})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got != key {
		t.Errorf("the API got access=%q, want the key from VENDOR_KEY", got)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	gone, err := Verify(context.Background(), c, VerifyOptions{BaseURL: down.URL, Rate: fastRate, Operations: []string{"fine"}, Auth: map[string]string{"key": "VENDOR_KEY"}, Getenv: env})
	if !errors.Is(err, ErrUnreachable) || CodeOf(err) != ExitSetup {
		t.Errorf("an API that answers nothing: %v (exit %v), want ErrUnreachable carrying ExitSetup", err, CodeOf(err))
	}
	for _, vv := range []*Verification{v, gone} {
		var out bytes.Buffer
		for _, write := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error { return vv.WriteText(b) },
			func(b *bytes.Buffer) error { return vv.WriteJSON(b) },
			func(b *bytes.Buffer) error { return vv.WriteJUnit(b) },
		} {
			if err := write(&out); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(out.String(), key) || strings.Contains(out.String(), "sk_live") {
			t.Errorf("the key is in the reports:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "access=***") {
			t.Errorf("the request is not shown with its key masked:\n%s", out.String())
		}
	}
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("the error shows the key: %v", err)
	}
}

// TestVerifyRefusesBadOptions: each bad option is named, all at once,
// with ExitUsage.
func TestVerifyRefusesBadOptions(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	_, err := Verify(context.Background(), c, VerifyOptions{BaseURL: "api.example.com", Operations: []string{"nope"},
		Auth: map[string]string{"key": "EMPTY", "other": "X"}, Getenv: testEnv(nil)})
	if CodeOf(err) != ExitUsage {
		t.Fatalf("exit %v, want usage: %v", CodeOf(err), err)
	}
	for _, want := range []string{`base URL "api.example.com"`, `operation "nope": not in the contract`, "auth key=EMPTY: the environment variable EMPTY is empty", `auth other=X: the contract has no security scheme "other"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nsays nothing of %q", err, want)
		}
	}
}

// TestVerifyStopsCallingAnAbsentAPI: when the first requests get no
// answer, the rest are not sent (at a gentle rate a large contract would
// take minutes to fail otherwise), and the verification is a set-up
// failure. TestVerifyKeepsToTheRate is the control: an API that answers
// gets every read.
func TestVerifyStopsCallingAnAbsentAPI(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close() // no answer
		}
	}()
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: "http://" + ln.Addr().String(), Rate: fastRate})
	if !errors.Is(err, ErrUnreachable) || CodeOf(err) != ExitSetup {
		t.Fatalf("%v (exit %v), want ErrUnreachable carrying ExitSetup", err, CodeOf(err))
	}
	if n := accepted.Load(); n < unreachableAfter || n > unreachableAfter+1 {
		t.Errorf("%d connections, want the first %d requests and no more", n, unreachableAfter)
	}
	if v.Errors != 8 || !strings.Contains(v.Operations[len(v.Operations)-1].Reason, "not sent: the first 3 requests got no answer") {
		t.Errorf("%d not judged, last says %q; want the 8 reads, the last not sent", v.Errors, v.Operations[len(v.Operations)-1].Reason)
	}
}

// TestVerifyNotesRefusedCredentials: an API that refuses the credentials
// gets a note saying so, for the operations whose work went unjudged.
func TestVerifyNotesRefusedCredentials(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Operations: []string{"fine", "getOrder"},
		Getenv: testEnv(map[string]string{EnvAPIKey: "wrong"})})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "2 operations answered 401 or 403") {
		t.Errorf("notes %q, want one saying 2 operations answered 401 or 403", v.Notes)
	}
}

// TestVerifyShortCredentialKeepsTheReportReadable: a one-letter test
// token is not searched for in the report (it would mask every "t"),
// while a real one is (TestVerifyNeverShowsTheCredential).
func TestVerifyShortCredentialKeepsTheReportReadable(t *testing.T) {
	t.Parallel()
	c := loadContract(t, driftContract)
	srv := newDriftServer(t)
	v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: srv.URL, Rate: fastRate, Operations: []string{"fine"},
		Getenv: testEnv(map[string]string{EnvAPIKey: "t"})})
	if err != nil {
		t.Fatal(err)
	}
	if want := "GET " + srv.URL + "/v1/fine?access=***"; v.Operations[0].Request != want {
		t.Errorf("request %q, want %q", v.Operations[0].Request, want)
	}
}
