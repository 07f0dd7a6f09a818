//go:build linux

package main

import (
	"bufio"
	"bytes"
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

// TestKilledRunLeavesNothingRunning kills `firedrill run` with SIGKILL, which
// no handler sees, while its service is starting (3 s) and mid-attack
// (12 s). The service is `sh`, which starts processes of its own, as `go
// run` starts the compiled service: a sleep, then firedrill mock on the
// service's port. Two seconds after the kill, no process that carries the
// test's marker in its environment (everything the run started) is left,
// and the service's port is closed.
func TestKilledRunLeavesNothingRunning(t *testing.T) {
	t.Parallel()
	bin := buildFiredrill(t)
	for _, tc := range []struct {
		name   string
		killAt time.Duration
		attack bool // wait for the attack before the kill
	}{{"starting", 3 * time.Second, false}, {"attacking", 12 * time.Second, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marker := fmt.Sprintf("FIREDRILL_KILL_TEST=%s-%d", tc.name, time.Now().UnixNano())
			cmd := startKillableRun(t, bin, marker)
			start := time.Now()
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
				for _, pid := range marked(t, marker) { // never leave a failed test's processes behind
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					select {
					case lines <- sc.Text():
					default: // nobody reads any more
					}
				}
				close(lines)
			}()
			var log []string
			serviceAddr := ""
			healthy := regexp.MustCompile(`up\s+svc\s+http://(127\.0\.0\.1:\d+) \(healthy\)`)
			attacking := !tc.attack
			timeout := time.After(60 * time.Second)
			for !attacking || time.Since(start) < tc.killAt {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatalf("firedrill ended before the kill:\n%s", strings.Join(log, "\n"))
					}
					log = append(log, line)
					if m := healthy.FindStringSubmatch(line); m != nil {
						serviceAddr = m[1]
					}
					if strings.Contains(line, "attack ") && strings.Contains(line, "req/s") {
						attacking = true
					}
				case <-time.After(50 * time.Millisecond):
				case <-timeout:
					t.Fatalf("the run never reached the point of the kill:\n%s", strings.Join(log, "\n"))
				}
			}
			before := marked(t, marker)
			if len(before) < 3 { // supervisor or service, sh's child, firedrill
				t.Fatalf("only %v carry the marker before the kill: the check below would prove nothing\n%s", before, strings.Join(log, "\n"))
			}
			if tc.attack && serviceAddr == "" {
				t.Fatalf("no healthy service before the kill:\n%s", strings.Join(log, "\n"))
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			time.Sleep(2 * time.Second)
			if left := marked(t, marker); len(left) > 0 {
				t.Errorf("2 s after SIGKILL of firedrill run at %s, the run's processes are still running: %s (before: %v)",
					time.Duration(tc.killAt), describe(left), before)
			}
			if serviceAddr != "" {
				if c, err := net.DialTimeout("tcp", serviceAddr, time.Second); err == nil {
					c.Close()
					t.Errorf("the service still answers on %s", serviceAddr)
				}
			}
		})
	}
}

// startKillableRun writes a scenario whose service starts slowly and
// starts processes of its own, and returns the command that runs it with
// marker in its environment.
func startKillableRun(t *testing.T, bin, marker string) *exec.Cmd {
	t.Helper()
	dir := t.TempDir()
	contracts, _ := filepath.Abs(filepath.Join("..", "..", "examples", "ordersync", "contracts"))
	service := fmt.Sprintf(`sleep 5 & wait; %q mock %q --port ${svc.port} & wait`, bin, filepath.Join(contracts, "crm.graphql"))
	scenario := fmt.Sprintf(`name: killed drill
systems:
  shop: {contract: %q, mock: {stateful: true}}
  svc:
    service:
      command: [sh, -c, %q]
      health: /__firedrill/health
      start_timeout: 40s
load:
  flow: [{name: list orders, url: "${shop.url}/orders?limit=5", headers: {X-Shop-Key: k}}]
  peak: 20/s
  duration: 60s
`, filepath.Join(contracts, "shop.openapi.yaml"), service)
	file := filepath.Join(dir, "drill.yaml")
	if err := os.WriteFile(file, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", file, "--out", filepath.Join(dir, "run"))
	cmd.Env = append(os.Environ(), marker)
	return cmd
}

// marked lists the processes whose environment holds marker, read from
// /proc: what a run started inherits firedrill's environment. Zombies have
// an empty environment: they are gone but for their exit status.
func marked(t *testing.T, marker string) []int {
	t.Helper()
	files, err := filepath.Glob("/proc/[0-9]*/environ")
	if err != nil || len(files) == 0 {
		t.Fatalf("cannot list processes from /proc: %v", err)
	}
	var pids []int
	for _, f := range files {
		env, err := os.ReadFile(f)
		if err != nil {
			continue // ended while we looked, or not ours
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == marker {
				var pid int
				fmt.Sscan(filepath.Base(filepath.Dir(f)), &pid)
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// describe names each pid with its command line.
func describe(pids []int) string {
	var parts []string
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		parts = append(parts, fmt.Sprintf("%d (%s)", pid, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
	}
	return strings.Join(parts, ", ")
}
