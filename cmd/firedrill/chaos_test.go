package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/firedrill/firedrill/chaos"
)

var apiLine = regexp.MustCompile(`toxiproxy API on (http://\S+)`)

// waitMatch polls out until re matches, for up to 10 s.
func waitMatch(t *testing.T, out interface{ String() string }, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q in output:\n%s", re, out.String())
	return nil
}

// echoUpstream is a TCP echo server on loopback, closed with the test.
func echoUpstream(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); _, _ = io.Copy(c, c) })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func TestChaosServeIsDrivenByToxiproxyClient(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := echoUpstream(t)
	config := filepath.Join(t.TempDir(), "toxiproxy.json")
	if err := os.WriteFile(config, []byte(`[{"name": "crm", "upstream": "`+up+`"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"chaos", "serve", "--api", "127.0.0.1:0", "--proxy", "shop=" + up, "--config", config}, strings.NewReader(""), &out, &errOut)
	}()
	url := waitMatch(t, &out, apiLine)[1]
	waitMatch(t, &out, regexp.MustCompile(`proxy crm listens on 127\.0\.0\.1:\d+, forwards to `+regexp.QuoteMeta(up)))
	waitMatch(t, &out, regexp.MustCompile(`proxy shop listens on 127\.0\.0\.1:\d+, forwards to 127\.0\.0\.1:\d+`))

	cl := toxiclient.NewClient(url)
	p, err := cl.Proxy("shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("", "latency", "", 1, toxiclient.Attributes{"latency": 250}); err != nil {
		t.Fatal(err)
	}
	c, listOut, _ := runCLI(t, ctx, "chaos", "list", "--toxiproxy", url)
	if c != 0 || !strings.Contains(listOut, "shop") || !strings.Contains(listOut, "latency_downstream (latency downstream latency=250 jitter=0)") {
		t.Errorf("list: exit %d\n%s", c, listOut)
	}
	if c, _, errs := runCLI(t, ctx, "chaos", "reset", "--toxiproxy", url); c != 0 {
		t.Fatalf("reset: exit %d: %s", c, errs)
	}
	if toxics, err := p.Toxics(); err != nil || len(toxics) != 0 {
		t.Errorf("after reset: %v %v", toxics, err)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("serve: exit %d: %s", c, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	if _, err := cl.Proxies(); err == nil {
		t.Error("API still answers after serve stopped")
	}
}

// embeddedForCLI starts a Toxiproxy for commands to drive.
func embeddedForCLI(t *testing.T) *chaos.Toxiproxy {
	t.Helper()
	tp, err := chaos.Embedded(context.Background())
	t.Cleanup(func() { _ = tp.Close() })
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func TestChaosApplyForRemovesWhenTimeIsUp(t *testing.T) {
	t.Parallel()
	tp := embeddedForCLI(t)
	up := echoUpstream(t)
	code, out, errOut := runCLI(t, context.Background(), "chaos", "apply", "--toxiproxy", tp.URL(),
		"--proxy", "acct", "--upstream", up, "--toxic", "latency", "--set", "latency=50ms", "--set", "jitter=5ms",
		"--direction", "upstream", "--toxicity", "0.5", "--for", "300ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "proxy acct listens on 127.0.0.1:") || !strings.Contains(out, "latency removed from acct after 300ms") {
		t.Errorf("stdout:\n%s", out)
	}
	for _, want := range []string{`"action":"apply"`, `"action":"revert"`, `"reason":"ended"`, `"direction":"upstream"`, `"latency":"50ms"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("audit log lacks %s:\n%s", want, errOut)
		}
	}
	p, err := tp.Lookup(context.Background(), "acct")
	if err != nil || len(p.Toxics) != 0 || p.Upstream != up {
		t.Errorf("after --for: %+v, %v; want the proxy without toxics", p, err)
	}
}

func TestChaosApplyInterruptedRemovesAndExits130(t *testing.T) {
	t.Parallel()
	tp := embeddedForCLI(t)
	if _, err := tp.Proxy(context.Background(), "crm", echoUpstream(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"chaos", "apply", "--toxiproxy", tp.URL(), "--proxy", "crm", "--toxic", "down", "--for", "1h"},
			strings.NewReader(""), &out, &errOut)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for p, _ := tp.Lookup(ctx, "crm"); p == nil || p.Enabled; p, _ = tp.Lookup(ctx, "crm") {
		if time.Now().After(deadline) {
			t.Fatalf("proxy never went down:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if c := <-code; c != 130 {
		t.Errorf("exit %d, want 130\n%s", c, errOut.String())
	}
	if p, err := tp.Lookup(context.Background(), "crm"); err != nil || !p.Enabled {
		t.Errorf("after interrupt: %+v, %v; want enabled", p, err)
	}
	if !strings.Contains(errOut.String(), `"reason":"cancelled"`) {
		t.Errorf("audit log lacks the cancelled revert:\n%s", errOut.String())
	}
}

func TestChaosApplyWithoutForStaysUntilRemoved(t *testing.T) {
	t.Parallel()
	tp := embeddedForCLI(t)
	if _, err := tp.Proxy(context.Background(), "pay", echoUpstream(t)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code, out, errOut := runCLI(t, ctx, "chaos", "apply", "--toxiproxy", tp.URL(), "--proxy", "pay", "--toxic", "timeout", "--name", "hang")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`firedrill chaos remove (.*)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("apply does not say how to remove the toxic:\n%s", out)
	}
	if p, _ := tp.Lookup(ctx, "pay"); p == nil || len(p.Toxics) != 1 || p.Toxics[0].Name != "hang" {
		t.Fatalf("toxic not kept: %+v", p)
	}
	if code, _, errOut := runCLI(t, ctx, append([]string{"chaos", "remove"}, strings.Fields(m[1])...)...); code != 0 {
		t.Fatalf("the printed remove command: exit %d: %s", code, errOut)
	}
	if p, _ := tp.Lookup(ctx, "pay"); p == nil || len(p.Toxics) != 0 {
		t.Errorf("toxic left after remove: %+v", p)
	}
}

func TestChaosExitCodes(t *testing.T) {
	t.Parallel()
	tp := embeddedForCLI(t)
	badConfig := filepath.Join(t.TempDir(), "toxiproxy.json")
	if err := os.WriteFile(badConfig, []byte("[\n {\"name\": \"a\",\n  \"upstreem\": \"127.0.0.1:1\"}]"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"apply", "--proxy", "p", "--toxic", "latency", "--set", "latency=fast"}, 2, `parameter latency="fast"`},
		{[]string{"apply", "--proxy", "p", "--toxic", "latency"}, 2, "parameter latency is required"},
		{[]string{"apply", "--proxy", "p", "--toxic", "lag"}, 2, `unknown toxic "lag"`},
		{[]string{"apply", "--proxy", "p", "--toxic", "latency", "--set", "latency"}, 2, `--set "latency": want name=value`},
		{[]string{"apply", "--proxy", "p", "--toxic", "latency", "--set", "latency=1s", "--direction", "sideways"}, 2, `direction="sideways"`},
		{[]string{"apply", "--proxy", "p", "--toxic", "latency", "--set", "latency=1s", "--toxicity", "2"}, 2, `toxicity="2"`},
		{[]string{"apply", "--proxy", "p", "--toxic", "latency", "--set", "latency=1s", "--for", "-1s"}, 2, "--for -1s"},
		{[]string{"apply", "--toxic", "latency"}, 2, `"proxy" not set`},
		{[]string{"apply", "--proxy", "nope", "--toxic", "latency", "--set", "latency=1s", "--toxiproxy", tp.URL()}, 2, "proxy not found"},
		{[]string{"apply", "--proxy", "p", "--toxic", "down", "--toxiproxy", "ftp://x"}, 2, "want http://host:port"},
		{[]string{"list", "--toxiproxy", "http://127.0.0.1:1"}, 3, "connection refused"},
		{[]string{"reset", "--toxiproxy", "http://127.0.0.1:1"}, 3, "connection refused"},
		{[]string{"serve", "--api", strings.TrimPrefix(tp.URL(), "http://")}, 3, "address already in use"},
		{[]string{"remove", "--proxy", "nope", "--name", "x", "--toxiproxy", tp.URL()}, 2, "proxy not found"},
		{[]string{"serve", "--api", "127.0.0.1:0", "--proxy", "a=127.0.0.1:1", "--proxy", "a=127.0.0.1:2", "--proxy", "b"}, 2, "--proxy a given twice\n--proxy \"b\": want name=host:port"},
		{[]string{"serve", "--api", "127.0.0.1:0", "--proxy", "a=nope"}, 2, `upstream "nope": want host:port`},
		{[]string{"serve", "--api", "127.0.0.1:0", "--config", "testdata/no-such-file.json"}, 2, "--config: open testdata/no-such-file.json"},
		{[]string{"serve", "--api", "127.0.0.1:0", "--config", badConfig}, 2, badConfig + `:3: json: unknown field "upstreem"`},
	} {
		code, _, errOut := runCLI(t, context.Background(), append([]string{"chaos"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

func TestChaosToxicsListsTheCatalogue(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, context.Background(), "chaos", "toxics")
	for _, s := range chaos.Catalogue() {
		if !strings.Contains(out, s.Kind) {
			t.Errorf("toxics lacks %s", s.Kind)
		}
	}
	if code != 0 || !strings.Contains(out, "--set average_size=") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
