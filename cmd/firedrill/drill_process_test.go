package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/firedrill/firedrill/chaos"
)

// staging is loopback "staging" made of real processes: the accounting
// vendor's sandbox (a firedrill mock process) and the example service
// (examples/ordersync/service, built with go build) calling it.
type staging struct {
	accounting string // its API, http://127.0.0.1:PORT/v1
	admin      string // its admin API's root, http://127.0.0.1:PORT
	sync       string // the service, http://127.0.0.1:PORT
	// toxiproxy is the API of the team's Toxiproxy (firedrill chaos serve).
	toxiproxy string
}

var syncBin struct {
	once sync.Once
	path string
	err  error
}

// buildSync builds the example service once per test binary.
func buildSync(t *testing.T) string {
	t.Helper()
	syncBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "firedrill-sync-")
		if err != nil {
			syncBin.err = err
			return
		}
		syncBin.path = filepath.Join(dir, "ordersync")
		out, err := exec.Command("go", "build", "-o", syncBin.path, "../../examples/ordersync/service").CombinedOutput()
		if err != nil {
			syncBin.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if syncBin.err != nil {
		t.Fatal(syncBin.err)
	}
	return syncBin.path
}

// startStaging starts the vendor's mock, the service and the team's
// Toxiproxy as processes, stopped at the end of the test.
func startStaging(t *testing.T, bin string) staging {
	t.Helper()
	st := staging{toxiproxy: startTeamToxiproxy(t, bin), accounting: startMock(t, bin, "../../examples/ordersync/contracts/accounting.openapi.yaml")}
	st.admin = strings.TrimSuffix(st.accounting, "/v1")
	port := freePort(t)
	svc := exec.Command(buildSync(t))
	svc.Env = append(os.Environ(), "PORT="+port, "ACCOUNTING_URL="+st.accounting, "CRM_URL=http://127.0.0.1:1", "SHOP_WEBHOOK_SECRET=whsec_dGVzdHNlY3JldA==")
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Process.Kill(); _ = svc.Wait() })
	st.sync = "http://127.0.0.1:" + port
	waitServiceHealthy(t, st.sync)
	return st
}

// startTeamToxiproxy starts firedrill chaos serve, the team's Toxiproxy,
// and returns its API's URL.
func startTeamToxiproxy(t *testing.T, bin string) string {
	t.Helper()
	_, out, stderr := startProcess(t, bin, "chaos", "serve", "--api", "127.0.0.1:0")
	if !out.Scan() {
		t.Fatalf("chaos serve printed nothing: %s", stderr.String())
	}
	m := apiLine.FindStringSubmatch(out.Text())
	if m == nil {
		t.Fatalf("chaos serve: %q", out.Text())
	}
	return m[1]
}

// startMock starts a stateful firedrill mock of contract and returns the
// address it prints.
func startMock(t *testing.T, bin, contract string) string {
	t.Helper()
	_, out, _ := startProcess(t, bin, "mock", contract, "--port", "0", "--stateful")
	if !out.Scan() {
		t.Fatalf("the %s mock printed no address", contract)
	}
	fields := strings.Fields(out.Text())
	return fields[len(fields)-1]
}

// waitServiceHealthy waits up to 15 s for the service's /healthz to answer 200.
func waitServiceHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service never got healthy: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drillFile writes a drill against st: a 503 at rate 1 on the vendor
// from 1s for 25s, a latency toxic on the service's proxy, the load on
// the vendor through the drill's proxies, the safeguards given. With
// remote, its proxies live in the team's Toxiproxy, else in an embedded one.
func drillFile(t *testing.T, st staging, allow, safeguards string, remote bool) string {
	t.Helper()
	toxiproxy := ""
	if remote {
		toxiproxy = "\n  toxiproxy: " + st.toxiproxy
	}
	src := fmt.Sprintf(`name: accounting sandbox outage
runtime: staging
drill:
  allow: [%q]%s
  max_fault_rate: 1
  safeguards: %s
systems:
  accounting: {url: %q}
  sync: {url: %q}
load:
  flow:
    - {name: list invoices, method: GET, url: "${accounting.url}/invoices", headers: {Authorization: "Bearer drill"}}
  peak: 10/s
  multiplier: 1
  duration: 30s
chaos:
  - {at: 0s, for: 28s, proxy: sync, toxic: latency, latency: 5ms, toxicity: 0.5}
  - {at: 1s, for: 25s, system: accounting, fault: status, status: 503, rate: 1}
`, allow, toxiproxy, safeguards, st.accounting, st.sync)
	path := filepath.Join(t.TempDir(), "drill.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// requestsSeen counts the requests the vendor's mock journaled.
func (st staging) requestsSeen(t *testing.T) int {
	t.Helper()
	var entries []json.RawMessage
	getJSON(t, st.admin+"/__firedrill/requests", &entries)
	return len(entries)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// assertNothingLeft checks what a drill must leave behind: nothing. The
// vendor has no fault on and answers as before, the service is healthy,
// every fault the audit log applied was reverted, and the fault proxy
// and the proxies the drill named no longer listen: the team's
// Toxiproxy has none left.
func assertNothingLeft(t *testing.T, st staging, dir, progress string) {
	t.Helper()
	var faults []json.RawMessage
	getJSON(t, st.admin+"/__firedrill/faults", &faults)
	if len(faults) != 0 {
		t.Errorf("the vendor has faults on: %s", faults)
	}
	req, _ := http.NewRequest(http.MethodGet, st.accounting+"/invoices", nil)
	req.Header.Set("Authorization", "Bearer after")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the vendor does not answer as before: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Get(st.sync + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the service is not healthy after the drill: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	on := map[int]string{}
	applied := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var rec chaos.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Event == nil || rec.Outcome != chaos.OutcomeOK:
		case rec.Action == chaos.ActionApply:
			on[*rec.Event] = rec.Fault
			applied++
		case rec.Action == chaos.ActionRevert:
			delete(on, *rec.Event)
		}
	}
	if applied == 0 || len(on) > 0 {
		t.Errorf("%d faults applied, never reverted: %v", applied, on)
	}
	proxies, err := toxiclient.NewClient(st.toxiproxy).Proxies()
	if err != nil || len(proxies) != 0 {
		t.Errorf("the team's Toxiproxy keeps the drill's proxies: %v %v", proxies, err)
	}
	addrs := regexp.MustCompile(`(?:fault proxy |up +\S+ +http://)(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(progress, -1)
	if len(addrs) != 3 {
		t.Fatalf("want the fault proxy and two proxies in the progress, got %v:\n%s", addrs, progress)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a[1], time.Second); err == nil {
			c.Close()
			t.Errorf("%s still listens after the drill", a[1])
		}
	}
}

// TestDrillAgainstStagingProcesses is the drill's proof against loopback
// staging made of real processes: the error-ratio safeguard breaks under
// the 503 fault, the load stops, every fault is rolled back, and the
// report names the safeguard, when it broke and what it read.
func TestDrillAgainstStagingProcesses(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("loopback processes and signals")
	}
	bin := buildFiredrill(t)
	st := startStaging(t, bin)
	file := drillFile(t, st, "127.0.0.1", `[{name: error ratio stays low, error_ratio: 0.5}, {name: sync healthy, url: "${sync.url}/healthz", json: "body.status == 'ok'"}]`, true)
	dir := filepath.Join(t.TempDir(), "run")
	start := time.Now()
	cmd := exec.Command(bin, "drill", file, "--yes", "--out", dir, "--metrics-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "FIREDRILL_OPERATOR=dana@example.com")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d (%v), want 1:\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the 30s drill took %s: the load did not stop when the safeguard broke", took)
	}
	var summary struct {
		Gates []struct{ Name, Kind, Reason string }
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &summary); err != nil {
		t.Fatal(err)
	}
	var reason string
	for _, g := range summary.Gates {
		if g.Kind == "safeguard" && g.Name == "error ratio stays low" {
			reason = g.Reason
		}
	}
	if !regexp.MustCompile(`broke at \d+\.\ds into the attack \(20\d\d-\d\d-\d\dT[\d:]+Z\): read error ratio (0\.[5-9]\d\d|1\.000) \(\d+ of \d+ requests`).MatchString(reason) {
		t.Errorf("the report does not say which safeguard broke, when and what it read: %q", reason)
	}
	if !strings.Contains(stdout.String(), `safeguard "error ratio stays low" broke`) {
		t.Errorf("the terminal does not name the safeguard:\n%s", stdout.String())
	}
	metrics := regexp.MustCompile(`metrics http://(127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(stderr.String())
	if metrics == nil {
		t.Errorf("--metrics-addr served nothing:\n%s", stderr.String())
	} else if c, err := net.DialTimeout("tcp", metrics[1], time.Second); err == nil {
		c.Close()
		t.Errorf("the metrics endpoint outlives the drill")
	}
	report, err := os.ReadFile(filepath.Join(dir, "drill.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"run by **dana@example.com**", "| safeguard broke | error ratio stays low | ok |", "| rollback |  | ok | every fault reverted |", `- [ ] Safeguard "error ratio stays low" broke`} {
		if !strings.Contains(string(report), want) {
			t.Errorf("drill.md lacks %q:\n%s", want, report)
		}
	}
	assertNothingLeft(t, st, dir, stderr.String())
}

// TestDrillRefusedOffTheAllowList: a drill whose endpoints are not on its
// allow-list exits 2 before anything changes: no request reached the
// vendor, no run folder. The dry run changes nothing either.
func TestDrillRefusedOffTheAllowList(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	st := startStaging(t, bin)
	for _, c := range []struct {
		name, allow string
		args        []string
		code        int
		says        string
	}{
		{"off the allow-list", "*.staging.example.com", []string{"--yes"}, 2, `host "127.0.0.1" is not on the drill's allow-list`},
		{"dry run", "127.0.0.1", []string{"--dry-run"}, 0, "at 1s     for 25s    accounting   status (HTTP fault in the fault proxy in front of it), 1 of the traffic"},
		{"not confirmed off a terminal", "127.0.0.1", nil, 2, "not on a terminal, pass --yes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := st.requestsSeen(t)
			dir := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(bin, append([]string{"drill", drillFile(t, st, c.allow, "[]", true), "--out", dir}, c.args...)...)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != c.code || !strings.Contains(string(out), c.says) {
				t.Fatalf("exit %d, want %d saying %q:\n%s", code, c.code, c.says, out)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a run folder was made")
			}
			if n := st.requestsSeen(t); n != before {
				t.Errorf("%d requests reached the vendor", n-before)
			}
		})
	}
}

// TestDrillInterruptedLeavesNothing interrupts a drill mid-attack, with
// SIGINT (proxies in the team's Toxiproxy) and with SIGTERM (in an
// embedded one): exit 130, every fault rolled back, the drill's proxies
// gone, the vendor and the service as before.
func TestDrillInterruptedLeavesNothing(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	bin := buildFiredrill(t)
	st := startStaging(t, bin)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(bin, "drill", drillFile(t, st, "127.0.0.1", "[]", sig == os.Interrupt), "--yes", "--out", dir)
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
				}
			})
			deadline := time.Now().Add(15 * time.Second)
			for !strings.Contains(stderr.String(), "status on accounting") {
				if time.Now().After(deadline) {
					t.Fatalf("the fault never came on:\n%s", stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, cmd); code != 130 {
				t.Fatalf("exit %d, want 130:\n%s", code, stderr.String())
			}
			assertNothingLeft(t, st, dir, stderr.String())
		})
	}
}

// TestDrillThroughTheServiceOverTheTeamsProxy is the drill as staging runs
// it: the service already goes to its vendor through the team's standing
// Toxiproxy proxy (configured before the drill, kept after it), the load
// enters through the service (signed order webhooks), and the vendor's
// connections are reset. The service parks what it cannot deliver; the
// safeguard on its dead-letter queue breaks, the load stops, the toxic is
// rolled back, and the team's proxy stays, clean, with the service
// draining its queue through it again.
func TestDrillThroughTheServiceOverTheTeamsProxy(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("loopback processes and signals")
	}
	bin := buildFiredrill(t)
	api := startTeamToxiproxy(t, bin)
	accounting := startMock(t, bin, "../../examples/ordersync/contracts/accounting.openapi.yaml")              // http://127.0.0.1:PORT/v1
	crm := strings.TrimSuffix(startMock(t, bin, "../../examples/ordersync/contracts/crm.graphql"), "/graphql") // the service posts to CRM_URL/graphql
	// The team's standing proxy in front of accounting, set up before the drill.
	listen := "127.0.0.1:" + freePort(t)
	team := toxiclient.NewClient(api)
	if _, err := team.CreateProxy("accounting", listen, strings.TrimSuffix(strings.TrimPrefix(accounting, "http://"), "/v1")); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	svc := exec.Command(buildSync(t))
	const secret = "whsec_dGVzdHNlY3JldA=="
	svc.Env = append(os.Environ(), "PORT="+port, "ACCOUNTING_URL=http://"+listen+"/v1", "ACCOUNTING_TOKEN=t", "CRM_URL="+crm, "SHOP_WEBHOOK_SECRET="+secret)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Process.Kill(); _ = svc.Wait() })
	sync := "http://127.0.0.1:" + port
	health := func() (map[string]any, error) {
		resp, err := http.Get(sync + "/healthz")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var h map[string]any
		return h, json.NewDecoder(resp.Body).Decode(&h)
	}
	waitServiceHealthy(t, sync)
	src := fmt.Sprintf(`name: accounting connections reset under the service
runtime: staging
drill:
  allow: ["127.0.0.1"]
  toxiproxy: %s
  max_fault_rate: 1
  safeguards:
    - {name: dead letters stay few, url: "%s/healthz", json: "body.dead_letters < 3"}
systems:
  accounting: {url: %q}
  sync: {url: %q}
load:
  flow:
    - name: an order webhook
      method: POST
      url: "${sync.url}/webhooks/orders"
      sign: {scheme: standard, secret: %q}
      body: {type: order.created, data: {id: "order-${seq}", total_price: "9.90", currency: EUR, customer: {email: "buyer-${seq}@example.com"}}}
      expect: 202
  peak: 10/s
  multiplier: 1
  duration: 30s
chaos:
  - {at: 1s, for: 25s, proxy: accounting, toxic: reset_peer, timeout: 0, toxicity: 1}
`, api, sync, accounting, sync, secret)
	file := filepath.Join(t.TempDir(), "drill.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	start := time.Now()
	cmd := exec.Command(bin, "drill", file, "--yes", "--out", dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d, want 1 (the safeguard broke):\n%s", code, out.String())
	}
	if took := time.Since(start); took > 25*time.Second {
		t.Errorf("the 30s drill took %s: the load did not stop when the safeguard broke", took)
	}
	if !strings.Contains(out.String(), `safeguard "dead letters stay few" broke`) {
		t.Errorf("the terminal does not name the safeguard:\n%s", out.String())
	}
	p, err := team.Proxy("accounting")
	if err != nil {
		t.Fatalf("the team's proxy is gone after the drill: %v", err)
	}
	if toxics, err := p.Toxics(); err != nil || len(toxics) != 0 || !p.Enabled || p.Listen != listen {
		t.Errorf("the team's proxy after the drill: listen %s enabled %v toxics %v (%v)", p.Listen, p.Enabled, toxics, err)
	}
	if ps, err := team.Proxies(); err != nil || len(ps) != 1 {
		t.Errorf("the team's Toxiproxy holds %d proxies after the drill, want its own alone (%v)", len(ps), err)
	}
	// The service drains what it parked, through the team's proxy again.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		h, err := health()
		if err == nil && h["dead_letters"] == 0.0 && h["queued"] == 0.0 && h["in_flight"] == 0.0 && h["delivered"].(float64) > 0 {
			break
		}
		if time.Now().After(deadline) {
			var dlq []byte
			if resp, err := http.Get(sync + "/dlq"); err == nil {
				dlq, _ = io.ReadAll(io.LimitReader(resp.Body, 2000))
				resp.Body.Close()
			}
			t.Fatalf("the service never drained its dead letters after the rollback: %v %v\n%s", h, err, dlq)
		}
	}
}
