package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// firedrillBin is the firedrill binary the process tests run, built once
// per test binary: each test building its own compiled the whole tree four
// times at once, minutes on two cores with a cold build cache.
var firedrillBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildFiredrill returns the path of the firedrill binary, built (without
// the race detector) into a temporary directory on first use; TestMain
// removes it.
func buildFiredrill(t *testing.T) string {
	t.Helper()
	b := &firedrillBin
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "firedrill-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "firedrill")
		if runtime.GOOS == "windows" {
			b.path += ".exe"
		}
		// go test puts its own GOROOT/bin first on PATH.
		// Static (CGO_ENABLED=0), as make build builds it: the docker
		// runtime's tests put it in firedrill's FROM scratch image.
		build := exec.Command("go", "build", "-o", b.path, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if firedrillBin.dir != "" {
		_ = os.RemoveAll(firedrillBin.dir)
	}
	recap.print(os.Stdout)
	os.Exit(code)
}

// recap keeps the failures of the drills, printed again once every test
// has ended: under go test -v a parallel drill's message is written when it
// fails, minutes before the last lines a CI log shows.
var recap failureRecap

type failureRecap struct {
	mu    sync.Mutex
	lines []string
}

// fatalf records a failure of t and stops it.
func (r *failureRecap) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	r.add(t, format, args...)
	t.Fatalf(format, args...)
}

// errorf records a failure of t and goes on.
func (r *failureRecap) errorf(t *testing.T, format string, args ...any) {
	t.Helper()
	r.add(t, format, args...)
	t.Errorf(format, args...)
}

func (r *failureRecap) add(t *testing.T, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, t.Name()+": "+fmt.Sprintf(format, args...))
}

func (r *failureRecap) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n=== drill failures, repeated (%d)\n", len(r.lines))
	for _, l := range r.lines {
		fmt.Fprintln(w, l)
	}
}

// startProcess starts bin with args; the process is killed at the end of
// the test if it still runs.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, *bufio.Scanner, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
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
	return cmd, bufio.NewScanner(stdout), stderr
}

// waitExit waits up to 10 s for cmd to exit and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("wait: %v", err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit", cmd.Path)
		return -1
	}
}

// TestInterruptedApplyLeavesNoToxicInAnotherProcess runs Toxiproxy in one
// process (firedrill chaos serve) and firedrill chaos apply --for 30s in
// another, interrupts the second mid-run (SIGINT, then SIGTERM), and reads
// the first one's state through Toxiproxy's own client: no toxic is left.
func TestInterruptedApplyLeavesNoToxicInAnotherProcess(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	bin := buildFiredrill(t)

	serve, serveOut, serveErr := startProcess(t, bin, "chaos", "serve", "--api", "127.0.0.1:0")
	if !serveOut.Scan() {
		t.Fatalf("serve printed nothing: %s", serveErr.String())
	}
	m := apiLine.FindStringSubmatch(serveOut.Text())
	if m == nil {
		t.Fatalf("serve: %q", serveOut.Text())
	}
	url := m[1]
	cl := toxiclient.NewClient(url)

	upstream := echoUpstream(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		interruptApply(t, bin, url, upstream, sig)
	}

	// Negative control: a process killed outright cannot roll back, and
	// the check above sees what it leaves.
	killed, _, killedErr := startProcess(t, bin, "chaos", "apply", "--toxiproxy", url, "--proxy", "p",
		"--toxic", "down", "--for", "30s")
	waitDown := time.Now().Add(10 * time.Second)
	for p, err := cl.Proxy("p"); err != nil || p.Enabled; p, err = cl.Proxy("p") {
		if time.Now().After(waitDown) {
			t.Fatalf("the proxy never went down: %s", killedErr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = killed.Process.Kill()
	_ = waitExit(t, killed)
	if p, err := cl.Proxy("p"); err != nil || p.Enabled {
		t.Errorf("after SIGKILL: %+v, %v; want the proxy left down", p, err)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, serve); code != 0 {
		t.Errorf("serve exit %d after SIGTERM\n%s", code, serveErr.String())
	}
}

// interruptApply runs firedrill chaos apply --for 30s against the Toxiproxy
// at url, sends it sig once the toxic is on, and checks that it exits 130
// leaving no toxic.
func interruptApply(t *testing.T, bin, url, upstream string, sig os.Signal) {
	t.Helper()
	cl := toxiclient.NewClient(url)
	apply, _, applyErr := startProcess(t, bin, "chaos", "apply", "--toxiproxy", url, "--proxy", "p",
		"--upstream", upstream, "--toxic", "latency", "--set", "latency=500ms", "--for", "30s")
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := cl.Proxy("p")
		if err == nil && len(p.ActiveToxics) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the toxic never appeared (%v): %s", err, applyErr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := apply.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, apply); code != 130 {
		t.Errorf("%v: apply exit %d, want 130\n%s", sig, code, applyErr.String())
	}
	proxies, err := cl.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	if len(proxies) != 1 {
		t.Errorf("proxies %v, want p alone", proxies)
	}
	for name, p := range proxies {
		if len(p.ActiveToxics) != 0 || !p.Enabled {
			t.Errorf("%v: proxy %s left with enabled=%v toxics %+v", sig, name, p.Enabled, p.ActiveToxics)
		}
	}
	if !strings.Contains(applyErr.String(), `"reason":"cancelled","outcome":"ok"`) {
		t.Errorf("%v: audit log of apply lacks the revert:\n%s", sig, applyErr.String())
	}
}
