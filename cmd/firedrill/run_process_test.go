package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptedRunLeavesNothingRunning runs a scenario in a firedrill
// process whose service under test is another process (firedrill mock,
// listening on its own port), interrupts it mid-attack with SIGINT and
// checks: exit 130, a partial report, no child process, no listener left.
func TestInterruptedRunLeavesNothingRunning(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	dir := t.TempDir()
	contracts, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "contracts"))
	marker := fmt.Sprint(time.Now().UnixNano()) // finds the service's process
	scenario := fmt.Sprintf(`name: interrupted drill
systems:
  shop: {contract: %q, mock: {stateful: true}}
  svc:
    service:
      command: [%q, mock, %q, --port, "${svc.port}", --seed, %q]
      health: /__firedrill/health
load:
  flow: [{name: list orders, url: "${shop.url}/orders?limit=5", headers: {X-Shop-Key: k}}]
  peak: 20/s
  duration: 60s
chaos:
  - {at: 1s, for: 50s, proxy: shop, toxic: latency, latency: 50ms}
`, filepath.Join(contracts, "shop.openapi.yaml"), bin, filepath.Join(contracts, "crm.graphql"), marker)
	file := filepath.Join(dir, "drill.yaml")
	if err := os.WriteFile(file, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", file, "--out", filepath.Join(dir, "run"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	upLine := regexp.MustCompile(`up\s+(\w+)\s+http://(127\.0\.0\.1:\d+)`)
	var addrs []string
	sc := bufio.NewScanner(stderr)
	attacking := false
	for sc.Scan() {
		line := sc.Text()
		if m := upLine.FindStringSubmatch(line); m != nil {
			addrs = append(addrs, m[2])
		}
		if strings.Contains(line, "attack ") && strings.Contains(line, "req/s") {
			attacking = true
			break
		}
	}
	if !attacking || len(addrs) != 2 {
		t.Fatalf("the run never reached the attack (addresses %v)", addrs)
	}
	if pids := pgrep(t, marker); len(pids) == 0 {
		t.Fatal("the service process is not visible before the interrupt: the check below would prove nothing")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for sc.Scan() { // drain the rest so the process never blocks on stderr
		}
	}()
	if code := waitExit(t, cmd); code != 130 {
		t.Errorf("exit %d after SIGINT, want 130", code)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "run", "summary.json"))
	if err != nil {
		t.Errorf("no partial report: %v", err)
	}
	// The reports say interrupted, never fail: exit code 130, no gate failed.
	if !strings.Contains(string(summary), `"verdict": "interrupted"`) || !strings.Contains(string(summary), `"exit_code": 130`) {
		t.Errorf("summary.json does not say interrupted:\n%.600s", summary)
	}
	if junit, err := os.ReadFile(filepath.Join(dir, "run", "junit.xml")); err != nil || !strings.Contains(string(junit), `failures="0" errors="1"`) {
		t.Errorf("junit.xml of an interrupted run: %v\n%.600s", err, junit)
	}
	if pids := pgrep(t, marker); len(pids) > 0 {
		t.Errorf("service processes left running: %v", pids)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the run", a)
		}
	}
}

// pgrep lists the pids whose command line holds marker. It reads /proc
// itself rather than calling pgrep, which a minimal CI image may not have:
// an empty answer must mean no such process, never no such tool.
func pgrep(t *testing.T, marker string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("cannot list processes from /proc: %v", err)
	}
	var pids []string
	for _, f := range dirs {
		cmdline, err := os.ReadFile(f)
		if err != nil {
			continue // the process ended while we looked
		}
		// Zombies have an empty command line: they are gone but for the
		// exit status, and hold no port.
		if strings.Contains(string(cmdline), marker) {
			pids = append(pids, filepath.Base(filepath.Dir(f)))
		}
	}
	return pids
}
