package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/openapi"
)

// driftContract is the contract the drifting server breaks.
const driftContract = "../../ci/testdata/verify-drift.openapi.yaml"

// verifyCLI runs firedrill with env as its environment.
func verifyCLI(t testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	st := &state{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] },
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), interrupted: func() bool { return false }}
	code = st.execute(context.Background(), args)
	return code, out.String(), errb.String()
}

// TestContractVerifyPassesAgainstAMock: firedrill's own mock of the
// accounting contract keeps it, writes included: exit 0, every operation
// passes, the JUnit file has no failure.
func TestContractVerifyPassesAgainstAMock(t *testing.T) {
	t.Parallel()
	path := "../../examples/ordersync/contracts/accounting.openapi.yaml"
	c, err := contracts.LoadOpenAPI(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := openapi.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	junit := filepath.Join(t.TempDir(), "verify.xml")
	code, out, errOut := verifyCLI(t, map[string]string{"FIREDRILL_BEARER_TOKEN": "t"},
		"contract", "verify", path, "--base-url", srv.URL, "--allow-writes", "--rate", "500/s", "--junit", junit)
	if code != 0 || !strings.Contains(out, " 0 drift,") || strings.Contains(out, "\ndrift") {
		t.Fatalf("exit %d, want 0 with every operation passing:\n%s%s", code, out, errOut)
	}
	if s := readVerifyJUnit(t, junit); s.Failures != 0 || s.Tests == 0 {
		t.Errorf("JUnit: %d tests, %d failures; want some and none", s.Tests, s.Failures)
	}
}

// driftHandler answers the read operations of driftContract: a wrong
// status, a missing required field, a wrong type, an undeclared 5xx; the
// rest keep the contract. It records the methods it gets.
func driftHandler(methods *[]string, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*methods = append(*methods, r.Method)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r1")
		switch p := strings.TrimPrefix(r.URL.Path, "/v1"); {
		case p == "/health":
			w.WriteHeader(http.StatusAccepted)
		case p == "/report":
			w.WriteHeader(http.StatusBadGateway)
		case p == "/orders" && r.Method == http.MethodGet:
			fmt.Fprint(w, `[{"id":"a","total":"12"}]`)
		case strings.HasPrefix(p, "/orders/") && r.Method == http.MethodGet:
			fmt.Fprint(w, `{"id":"a"}`)
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"a","total":1}`)
		default:
			fmt.Fprint(w, `{"id":"a","total":1}`)
		}
	})
}

type verifyJUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suite    struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readVerifyJUnit(t testing.TB, path string) verifyJUnit {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s verifyJUnit
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return s
}

// TestContractVerifyFailsAgainstADriftingServer: exit 1, each drift named
// on stdout with its operation and pointer, in the JSON and the JUnit
// files too; the writes are skipped and never sent; the API key read from
// the environment appears in no output.
func TestContractVerifyFailsAgainstADriftingServer(t *testing.T) {
	t.Parallel()
	const key = "vendor-key-9f8e7d6c5b4a"
	var (
		mu      sync.Mutex
		methods []string
	)
	srv := httptest.NewServer(driftHandler(&methods, &mu))
	defer srv.Close()
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "verify.json"), filepath.Join(dir, "verify.xml")
	code, out, errOut := verifyCLI(t, map[string]string{"VENDOR_KEY": key},
		"contract", "verify", driftContract, "--base-url", srv.URL, "--rate", "500/s", "--auth", "key=VENDOR_KEY",
		"--json", jsonPath, "--junit", junitPath)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"drift    health",
		"status: answered 202, which the operation does not declare",
		"drift    report",
		"server-error: answered 502 Bad Gateway (not declared)",
		"drift    listOrders",
		"body /0/total: value must be a number",
		"drift    getOrder",
		`body /total: property "total" is missing`,
		"skipped  createOrder",
		"pass     fine",
		"GET " + srv.URL + "/v1/fine?access=***",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout says nothing of %q:\n%s", want, out)
		}
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Drifted    int `json:"drifted"`
		Operations []struct {
			Operation string `json:"operation"`
			Drifts    []struct{ Kind, Pointer string }
		} `json:"operations"`
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	if report.Drifted != 4 {
		t.Errorf("JSON: %d operations drifted, want 4:\n%s", report.Drifted, raw)
	}
	if s := readVerifyJUnit(t, junitPath); s.Failures != 4 || s.Skipped != 2 || s.Tests != 10 {
		t.Errorf("JUnit: %d tests, %d failures, %d skipped; want 10, 4, 2", s.Tests, s.Failures, s.Skipped)
	}
	junit, _ := os.ReadFile(junitPath)
	for name, text := range map[string]string{"stdout": out, "stderr": errOut, "JSON": string(raw), "JUnit": string(junit)} {
		if strings.Contains(text, key) {
			t.Errorf("the API key is in %s:\n%s", name, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range methods {
		if m != http.MethodGet {
			t.Errorf("a %s was sent without --allow-writes", m)
		}
	}
}

// TestContractVerifyUnreachableExits3: an API that answers nothing is a
// set-up failure, said on stderr.
func TestContractVerifyUnreachableExits3(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	code, out, errOut := verifyCLI(t, nil, "contract", "verify", driftContract, "--base-url", down.URL, "--rate", "500/s", "--operation", "fine")
	if code != 3 || !strings.Contains(errOut, "the API answered no request") {
		t.Errorf("exit %d, want 3 saying the API answered nothing:\n%s%s", code, out, errOut)
	}
}

// TestContractVerifyBadInputExits2: each bad flag or contract exits 2 and
// says what is wrong.
func TestContractVerifyBadInputExits2(t *testing.T) {
	t.Parallel()
	base := []string{"contract", "verify", driftContract, "--base-url", "http://127.0.0.1:1"}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no base URL":        {[]string{"contract", "verify", driftContract}, `"base-url" not set`},
		"relative base URL":  {[]string{"contract", "verify", driftContract, "--base-url", "api.example.com"}, `base URL "api.example.com"`},
		"bad rate":           {append(base, "--rate", "5"), contracts.RateGrammar},
		"bad timeout":        {append(base, "--timeout", "0s"), "--timeout 0s: want a positive duration"},
		"bad auth":           {append(base, "--auth", "key"), `--auth "key": want SCHEME=VAR`},
		"unknown scheme":     {append(base, "--auth", "nope=X"), `the contract has no security scheme "nope"`},
		"empty variable":     {append(base, "--auth", "key=UNSET"), "the environment variable UNSET is empty"},
		"unknown operation":  {append(base, "--operation", "nope"), `operation "nope": not in the contract`},
		"missing contract":   {[]string{"contract", "verify", "no/such.yaml", "--base-url", "http://127.0.0.1:1"}, "no/such.yaml"},
		"a GraphQL contract": {[]string{"contract", "verify", "../../examples/ordersync/contracts/crm.graphql", "--base-url", "http://127.0.0.1:1"}, "not a GraphQL schema"},
		"two contracts":      {append(base, driftContract), "want one contract; got 2"},
	} {
		code, out, errOut := verifyCLI(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q (stdout %q)", name, code, errOut, tc.want, out)
		}
	}
}
