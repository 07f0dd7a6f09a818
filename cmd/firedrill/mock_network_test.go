package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestMockNetworkRefusals: without --network private a mock stays on
// loopback, listening and delivering; the flags that would leave it are
// refused with exit 2, saying how to opt in.
func TestMockNetworkRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	alias := config("alias.yaml", "contract: "+petstorePath(t)+"\nstateful: true\nwebhooks:\n  - url: http://sync:8080/hooks\n")
	metadata := config("metadata.yaml", "contract: "+petstorePath(t)+"\nstateful: true\nwebhooks:\n  - url: http://169.254.169.254/hooks\n")
	plain := config("plain.yaml", "contract: "+petstorePath(t)+"\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"mock", petstorePath(t), "--host", "0.0.0.0"}, "--network private"},
		{[]string{"mock", petstorePath(t), "--listen", "0.0.0.0:0"}, "--network private"},
		{[]string{"mock", petstorePath(t), "--listen", "10.0.0.2:0"}, "loopback only"},
		{[]string{"mock", petstorePath(t), "--network", "lan"}, `network "lan"`},
		{[]string{"mock", petstorePath(t), "--listen", "127.0.0.1:0", "--port", "9"}, "leave out --host and --port"},
		{[]string{"mock", petstorePath(t), "--listen", "127.0.0.1"}, "want HOST:PORT"},
		{[]string{"mock", petstorePath(t), "--stateful", "--webhook", "http://sync:8080/hooks"}, "only receivers on loopback"},
		{[]string{"mock", petstorePath(t), "--network", "private", "--stateful", "--webhook", "http://169.254.169.254/x"}, "private addresses"},
		{[]string{"mock", petstorePath(t), "--network", "private", "--stateful", "--webhook", "http://1.1.1.1/x"}, "private addresses"},
		{[]string{"mock", "--config", alias}, "--network private"},
		{[]string{"mock", "--network", "private", "--config", metadata}, "webhooks[0].url"},
		{[]string{"mock", "--config", plain, "--config", plain, petstorePath(t)}, "each names its contract"},
		{[]string{"mock", "--config", "a=" + plain, "--config", "a=" + plain}, `the name "a" is given twice`},
	} {
		code, _, stderr := runCLI(t, context.Background(), tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestMockNetworkPrivate: with --network private, mocks listen on every
// interface, take webhooks to a container's alias, serve one mock per
// --config file on consecutive ports (named by NAME= when given), and their admin API answers the
// names given with --admin-host besides loopback, and no other.
func TestMockNetworkPrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shop := filepath.Join(dir, "shop.yaml")
	os.WriteFile(shop, []byte("contract: "+petstorePath(t)+"\nstateful: true\nwebhooks:\n  - url: http://sync:8080/hooks\n"), 0o600)
	crm := filepath.Join(dir, "crm.yaml")
	os.WriteFile(crm, []byte("contract: "+petstorePath(t)+"\n"), 0o600)
	port := freePort(t)
	lines, stop := startMockCLI(t, 2, "--network", "private", "--listen", "0.0.0.0:"+port, "--admin-host", "petstore", "--admin-host", "pets.internal",
		"--config", shop, "--config", "crm="+crm)
	var once sync.Once
	code, stderr := 0, ""
	stopOnce := func() (int, string) { once.Do(func() { code, stderr = stop() }); return code, stderr }
	defer stopOnce()
	next, _ := strconv.Atoi(port)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "petstore http://") || !strings.HasSuffix(lines[0], ":"+port+"/v1") ||
		!strings.HasPrefix(lines[1], "crm http://") || !strings.HasSuffix(lines[1], ":"+strconv.Itoa(next+1)+"/v1") {
		t.Fatalf("printed %q, want one NAME URL line per --config on consecutive ports from %s", lines, port)
	}
	base := "http://127.0.0.1:" + port
	for host, want := range map[string]int{"": 200, "petstore": 200, "pets.internal:8080": 200, "PETSTORE.": 200, "sync": 403, "evil.example": 403} {
		req, _ := http.NewRequest(http.MethodGet, base+"/__firedrill/health", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("admin API with Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
	if code, stderr := stopOnce(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// freePort returns a port free on every interface whose next one is free
// too, for two mocks on consecutive ports.
func freePort(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", "0.0.0.0:"+strconv.Itoa(p+1))
		l.Close()
		if err == nil {
			next.Close()
			return strconv.Itoa(p)
		}
	}
	t.Fatal("no two consecutive free ports")
	return ""
}
