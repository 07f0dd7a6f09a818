package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMockCLI runs `firedrill mock` in-process until the returned cancel is
// called; it waits for one printed line per contract and returns them.
func startMockCLI(t *testing.T, n int, args ...string) (lines []string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"mock"}, args...), strings.NewReader(""), &out, &errb) }()
	stop = func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errb.String()
		case <-time.After(15 * time.Second):
			t.Fatal("firedrill mock did not stop after its context was cancelled")
			return -1, ""
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		lines = lines[:0]
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) >= n {
			return lines, stop
		}
		select {
		case code := <-done:
			t.Fatalf("firedrill mock exited %d before it was ready: %s", code, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	t.Fatalf("firedrill mock printed %q, want %d lines", out.String(), n)
	return nil, nil
}

func petstorePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", "petstore", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMockServesUntilCancelled(t *testing.T) {
	t.Parallel()
	lines, stop := startMockCLI(t, 1, petstorePath(t), "--port", "0", "--stateful")
	name, url, ok := strings.Cut(lines[0], " ")
	if !ok || name != "petstore" || !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/v1") {
		t.Fatalf("printed %q, want \"petstore http://127.0.0.1:PORT/v1\"", lines[0])
	}
	req, _ := http.NewRequest("GET", url+"/pets", nil)
	req.Header.Set("X-API-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /pets: %d", resp.StatusCode)
	}
	health, err := http.Get(strings.TrimSuffix(url, "/v1") + "/__firedrill/health")
	if err != nil || health.StatusCode != 200 {
		t.Fatalf("health: %v %v", health, err)
	}
	health.Body.Close()
	if code, stderr := stop(); code != 0 {
		t.Fatalf("exit %d after cancel, want 0: %s", code, stderr)
	}
	if _, err := http.Get(url + "/pets"); err == nil {
		t.Fatal("the mock still answers after firedrill mock returned")
	}
}

func TestMockSeveralContractsOnConsecutivePorts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gql := filepath.Join(dir, "crm.graphql")
	if err := os.WriteFile(gql, []byte("type Query { customer(id: ID!): Customer }\ntype Customer { id: ID! name: String }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, stop := startMockCLI(t, 3, petstorePath(t), petstorePath(t), gql, "--port", "0")
	defer stop()
	want := []string{"petstore ", "petstore-2 ", "crm "}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
	resp, err := http.Post(strings.SplitN(lines[2], " ", 2)[1], "application/json", strings.NewReader(`{"query":"{ customer(id: \"1\") { id name } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GraphQL mock answered %d", resp.StatusCode)
	}
}

func TestMockBadInputExits2WithLocation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.yaml")
	os.WriteFile(bad, []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}\n"), 0o600)
	config := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	badField := config("field.yaml", "contract: "+petstorePath(t)+"\nstateful: true\nrate_limits: 20/s\n")
	badValue := config("value.yaml", "contract: "+petstorePath(t)+"\n\nidempotency: {header: Idempotency-Key, mismatch: 200}\n")
	badCheck := config("check.yaml", "contract: "+petstorePath(t)+"\nwebhooks:\n  - url: http://example.com/hooks\n")
	noContract := config("none.yaml", "stateful: true\n")
	pets := config("pets.ndjson", "{\"name\": \"Rex\", \"species\": \"dog\"}\n{\"name\": \"Tom\", \"species\": \"lion\"}\n")
	badTimes := config("times.ndjson", "{\"name\": \"${now-5x}\", \"species\": \"dog\"}\n")
	badRecords := config("records.yaml", "contract: "+petstorePath(t)+"\nstateful: true\nrecords: {pets: pets.ndjson}\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"mock", bad}, "broken.yaml:"},
		{[]string{"mock", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"mock", petstorePath(t), "--host", "0.0.0.0"}, "loopback"},
		{[]string{"mock"}, "give at least one contract, or --config FILE"},
		{[]string{"mock", "--config", badField}, "field.yaml:3:1: rate_limits: unknown field \"rate_limits\" (did you mean \"rate_limit\"?)"},
		{[]string{"mock", "--config", badValue}, `value.yaml:3:14: idempotency: `},
		{[]string{"mock", "--config", badCheck}, "check.yaml:3:10: webhooks[0].url: webhooks go to loopback only"},
		{[]string{"mock", "--config", noContract}, "none.yaml:1:1: contract: required"},
		{[]string{"mock", "--config", badField, "--stateful"}, "--stateful belongs in the file"},
		{[]string{"mock", "--config", filepath.Join(dir, "absent.yaml")}, "absent.yaml"},
		{[]string{"mock", petstorePath(t), "--port", "70000"}, "out of range"},
		{[]string{"mock", petstorePath(t), "--stateful", "--seed", "pet=" + pets}, `--seed COLLECTION=FILE (records.pet): petstore.yaml: the mock has no collection "pet"`},
		{[]string{"mock", petstorePath(t), "--stateful", "--seed", "pet=" + pets}, `did you mean "pets"?`},
		{[]string{"mock", petstorePath(t), "--seed", "pets=" + pets}, "--seed COLLECTION=FILE: petstore.yaml: records are loaded into stateful collections: add --stateful"},
		{[]string{"mock", petstorePath(t), "--stateful", "--seed", "pets=" + pets}, pets + ":2: value is not one of the allowed values"},
		{[]string{"mock", "--config", badRecords}, "records.pets[1].species (" + pets + ":2)"},
		{[]string{"mock", petstorePath(t), "--stateful", "--seed", "pets=" + badTimes}, badTimes + `:1: "${now-5x}": "5x" is not a duration`},
		{[]string{"mock", petstorePath(t), petstorePath(t), "--stateful", "--seed", "pets=" + pets}, "give one contract"},
		{[]string{"mock", petstorePath(t), "--seed", "seven"}, "want an integer seed or COLLECTION=FILE"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, context.Background(), tt.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tt.args, code, stderr)
		}
		if !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: stderr %q should name %q, without a stack trace", tt.args, stderr, tt.want)
		}
	}
}

func TestMockPortInUseExits3(t *testing.T) {
	t.Parallel()
	lines, stop := startMockCLI(t, 1, petstorePath(t), "--port", "0")
	defer stop()
	url := strings.SplitN(lines[0], " ", 2)[1]
	port := strings.TrimSuffix(strings.TrimPrefix(url, "http://127.0.0.1:"), "/v1")
	code, _, stderr := runCLI(t, context.Background(), "mock", petstorePath(t), "--port", port)
	if code != 3 || !strings.Contains(stderr, port) {
		t.Fatalf("a port in use: exit %d, stderr %q; want 3 naming the port", code, stderr)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, context.Background(), "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	for _, want := range []string{"401 Unauthorized", "201 Created", "200 OK", "400 Bad Request", `"pointer": "/colour"`, "204 No Content", "404 Not Found", "405 Method Not Allowed", "journal: 10 requests, 4 refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestMockServesAContractWithProblemsAndSaysSo(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "lookahead.yaml")
	os.WriteFile(p, []byte(`openapi: 3.0.3
info: {title: x, version: "1"}
paths:
  /codes/{code}:
    get:
      parameters: [{name: code, in: path, required: true, schema: {type: string, pattern: "^(?=A)[A-Z]+$"}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: string, pattern: "^(?!x).+$"}}}}}
`), 0o600)
	lines, stop := startMockCLI(t, 1, p)
	url := strings.SplitN(lines[0], " ", 2)[1]
	resp, err := http.Get(url + "/codes/ABC")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, stderr := stop()
	if resp.StatusCode != 200 || code != 0 {
		t.Fatalf("status %d, exit %d", resp.StatusCode, code)
	}
	if !strings.Contains(stderr, "served despite problems") || !strings.Contains(stderr, "contract lint") {
		t.Fatalf("stderr %q does not warn about the contract's problems", stderr)
	}
}
