//go:build linux

package scenarios

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// canSupervise: on Linux a service runs under Supervise when the runtime
// is given a supervisor command (firedrill __supervise).
const canSupervise = true

// deathSignal makes the kernel kill a child the moment the process that
// started it dies, SIGKILL included. It reaches only that child: a service
// that starts processes of its own (go run, sh -c) needs Supervise.
func deathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }

// Supervise runs a service command for firedrill and returns the exit code
// to end with. It is `firedrill __supervise -- COMMAND...`, which the
// embedded runtime starts as the leader of the service's process group,
// with lifeline (its stdin) the read end of a pipe only firedrill holds:
//
//   - the service runs in the supervisor's group, with SIGKILL as its
//     parent-death signal;
//   - the supervisor is a child subreaper: what the service starts and
//     leaves behind (go run's compiled binary, when go run dies) becomes its
//     child rather than init's;
//   - when the lifeline ends (firedrill died, even of SIGKILL, which no
//     handler sees), it kills its whole group, itself included;
//   - when the service ends, it kills what is left of the group and its
//     adopted children, and ends as the service did (same status, same
//     signal), so firedrill reports the service's end, not its own.
//
// SIGTERM, SIGINT and SIGHUP sent to the group reach the service; the
// supervisor waits for it to act on them.
func Supervise(args []string, lifeline io.Reader) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "firedrill __supervise: no command to run")
		return 2
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "firedrill __supervise: become a subreaper: %v\n", err)
	}
	// Caught, not ignored: an ignored signal stays ignored in the service.
	signal.Notify(make(chan os.Signal, 4), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "firedrill __supervise: %v\n", err)
		return 127
	}
	go func() {
		_, _ = io.Copy(io.Discard, lifeline)
		// firedrill is gone: nothing of the run may outlive it.
		killGroupLeftovers()
		_ = syscall.Kill(0, syscall.SIGKILL)
	}()
	err := cmd.Wait()
	killGroupLeftovers()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(os.Stderr, "firedrill __supervise: %v\n", err)
		return 127
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		sig := ws.Signal()
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig)
		time.Sleep(time.Second) // the signal ends this process; if it is blocked, say so
		return 128 + int(sig)
	}
	return ws.ExitStatus()
}

// killGroupLeftovers kills every other process of the supervisor's group
// and every child it adopted as a subreaper, then reaps them.
func killGroupLeftovers() {
	self, pgrp := os.Getpid(), syscall.Getpgrp()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		pid, ppid, group, ok := readStat(f)
		if !ok || pid == self {
			continue
		}
		if group == pgrp || ppid == self {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// readStat reads pid, parent pid and process group from /proc/PID/stat.
func readStat(path string) (pid, ppid, pgrp int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return 0, 0, 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, '(')]))
	if err != nil {
		return 0, 0, 0, false
	}
	fields := strings.Fields(s[i+1:]) // state ppid pgrp ...
	if len(fields) < 3 {
		return 0, 0, 0, false
	}
	ppid, err1 := strconv.Atoi(fields[1])
	pgrp, err2 := strconv.Atoi(fields[2])
	return pid, ppid, pgrp, err1 == nil && err2 == nil
}
