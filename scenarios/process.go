package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultStartTimeout bounds the wait for a service to become healthy.
const DefaultStartTimeout = 60 * time.Second

// The health check of a starting service is polled first HealthPollFirst
// after the previous answer, the wait doubling up to HealthPollMax: a
// service healthy at once is seen within milliseconds, and one that takes
// seconds is polled no more often than every HealthPollMax.
const (
	HealthPollFirst = 5 * time.Millisecond
	HealthPollMax   = 100 * time.Millisecond
)

// ErrUnhealthy is returned when a service never answers its health check.
var ErrUnhealthy = errors.New("service never became healthy")

// Process is a service under test running as a child process. It owns the
// service's group (a process group on Unix, a job object on Windows: see
// process_unix.go and process_windows.go): Stop ends the service and every
// process it started.
type Process struct {
	Name    string
	LogPath string // where its stdout and stderr go

	cmd      *exec.Cmd
	group    *group
	logFile  *os.File
	tail     *tailBuffer
	out      io.WriteCloser // the redacting writer in front of the log
	lifeline *os.File       // held open while the service may run (Supervise)
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
}

// ProcessSpec says how to start a service.
type ProcessSpec struct {
	Name    string
	Command []string
	Dir     string
	Env     []string // KEY=VALUE, added to the harness's own environment
	LogDir  string   // the run folder: logs go to LogDir/<name>.log
	// Redact, when set, filters what the service prints before it is kept
	// (the run's secrets).
	Redact *Secrets
	// Supervisor, on Linux, is the command that runs Command under
	// Supervise: [firedrill, __supervise, --]. Then nothing the service
	// starts outlives firedrill, even killed outright. Without it, or off
	// Linux, only the service itself dies with firedrill (Linux), or
	// nothing does (macOS; Windows has its job object).
	Supervisor []string

	// What a runtime other than the embedded one reads: the service's
	// declaration (image, build, wait, resources), the scenario's folder
	// its paths are relative to, and the port it listens on.
	Service     *Service
	ScenarioDir string
	Port        int
}

// StartProcess starts spec's command in a group of its own, with its output
// captured to a log file and the last lines kept for errors.
func StartProcess(ctx context.Context, spec ProcessSpec) (*Process, error) {
	if len(spec.Command) == 0 {
		return nil, fmt.Errorf("scenarios: service %q has no command", spec.Name)
	}
	if err := os.MkdirAll(spec.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("scenarios: service %q: %w", spec.Name, err)
	}
	logPath := filepath.Join(spec.LogDir, spec.Name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("scenarios: service %q: %w", spec.Name, err)
	}
	p := &Process{Name: spec.Name, LogPath: logPath, logFile: logFile, tail: &tailBuffer{max: 40}, exited: make(chan struct{})}
	// The process is not tied to ctx: the runner stops it in the down phase,
	// gracefully, after ctx may already be cancelled by Ctrl-C.
	argv := spec.Command
	supervised := canSupervise && len(spec.Supervisor) > 0
	if supervised {
		argv = append(append([]string(nil), spec.Supervisor...), spec.Command...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	p.out = spec.Redact.Writer(io.MultiWriter(logFile, p.tail))
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = groupAttr()
	var lifeline *os.File
	if supervised {
		// The supervisor reads its stdin until firedrill dies: only this
		// process holds the write end (close-on-exec keeps it from others).
		if lifeline, p.lifeline, err = os.Pipe(); err != nil {
			logFile.Close()
			return nil, fmt.Errorf("scenarios: start service %q: lifeline: %w", spec.Name, err)
		}
		cmd.Stdin = lifeline
	} else {
		deathSignal(cmd.SysProcAttr)
	}
	err = cmd.Start()
	if lifeline != nil {
		lifeline.Close()
	}
	if err != nil {
		logFile.Close()
		if p.lifeline != nil {
			p.lifeline.Close()
		}
		return nil, fmt.Errorf("scenarios: start service %q (%s): %w", spec.Name, strings.Join(spec.Command, " "), err)
	}
	g, err := newGroup(cmd.Process)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		return nil, fmt.Errorf("scenarios: start service %q: %w", spec.Name, err)
	}
	p.cmd, p.group = cmd, g
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, ctx.Err()
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.exited:
		return true, p.exitErr
	default:
		return false, nil
	}
}

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.exited }

// LastLines returns the end of the service's output, for error messages.
func (p *Process) LastLines() string { return p.tail.String() }

// WaitHealthy polls url until it answers 2xx, the process exits, timeout
// passes or ctx ends, at once and then with a wait from HealthPollFirst
// doubling to HealthPollMax. Failure messages carry the service's last log
// lines.
func (p *Process) WaitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	return waitHealthy(ctx, p.Name, url, timeout, p)
}

// waitHealthy polls url until it answers 2xx, svc exits, timeout passes or
// ctx ends, at once and then with a wait from HealthPollFirst doubling to
// HealthPollMax; a process and a container alike. Failure messages carry
// the service's last log lines.
func waitHealthy(ctx context.Context, name, url string, timeout time.Duration, svc exitWatcher) error {
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	wait := HealthPollFirst
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var last string
	for {
		if done, err := svc.Exited(); done {
			return fmt.Errorf("scenarios: service %q exited before it was healthy (%v); its last output:\n%s: %w", name, err, indent(svc.LastLines()), ErrUnhealthy)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		timer.Reset(wait)
		wait = min(2*wait, HealthPollMax)
		select {
		case <-ctx.Done():
			return fmt.Errorf("scenarios: service %q not healthy at %s after %s (last: %s); its last output:\n%s: %w", name, url, timeout, last, indent(svc.LastLines()), ErrUnhealthy)
		case <-svc.Done(): // said at the top of the loop, with its last words
		case <-timer.C:
		}
	}
}

// Stop ends the service's group: it asks the service to stop (SIGTERM on
// Unix, CTRL_BREAK on Windows), then kills the whole group after grace, or
// at once where the request cannot be delivered. It is idempotent and
// nil-safe, and closes the log file.
func (p *Process) Stop(grace time.Duration) error {
	if p == nil || p.cmd == nil {
		return nil
	}
	p.stopOnce.Do(func() {
		if err := p.group.interrupt(); err != nil {
			grace = 0 // nothing will stop it but the kill
		}
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = p.group.kill()
			<-p.exited
		}
		// Children that outlived the leader still belong to the group.
		_ = p.group.kill()
		p.group.close()
		_ = p.out.Close()
		p.logFile.Close()
		if p.lifeline != nil {
			p.lifeline.Close()
		}
	})
	return nil
}

func indent(s string) string {
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, b...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	if len(t.part) > 4096 {
		t.lines, t.part = append(t.lines, string(t.part)), nil
	}
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.Join(t.lines, "\n")
	if len(t.part) > 0 {
		s += "\n" + string(t.part)
	}
	return s
}
