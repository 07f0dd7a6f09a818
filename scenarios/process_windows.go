//go:build windows

package scenarios

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// group is the service's job object on Windows, where process groups only
// route console events. Every process the service starts joins the job (job
// membership is inherited), and terminating the job ends them all. The
// differences from Unix:
//
//   - The service joins the job just after it starts, not before: a child
//     it starts in that first instant is outside the job. Services start
//     their workers later than that; `go run` does.
//   - The polite request is CTRL_BREAK, which a Go service reads as
//     os.Interrupt. It reaches the service only when firedrill has a console;
//     without one (a Windows service, some CI agents) Stop kills at once.
//   - The job is made to kill what it holds when its last handle closes, so
//     the service does not outlive firedrill even when firedrill is killed
//     outright, which Unix process groups do not promise.
type group struct {
	pid uint32
	job windows.Handle
}

// groupAttr starts the service in a console process group of its own, so
// that CTRL_BREAK reaches it and not firedrill.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

func newGroup(p *os.Process) (*group, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create a job object: %w", err)
	}
	limit := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&limit)), uint32(unsafe.Sizeof(limit))); err != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("set up the job object: %w", err)
	}
	assign := os.ErrProcessDone
	if err := p.WithHandle(func(h uintptr) { assign = windows.AssignProcessToJobObject(job, windows.Handle(h)) }); err != nil {
		assign = err
	}
	if assign != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("put the service in a job object: %w", assign)
	}
	return &group{pid: uint32(p.Pid), job: job}, nil
}

// interrupt sends CTRL_BREAK to the service's console process group.
func (g *group) interrupt() error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, g.pid)
}

// kill terminates every process in the job.
func (g *group) kill() error { return windows.TerminateJobObject(g.job, 1) }

func (g *group) close() { _ = windows.CloseHandle(g.job) }
