//go:build unix

package scenarios

import (
	"os"
	"syscall"
)

// group is the service's process group on Unix: the service leads it and
// every process it starts joins it, unless that process makes a group or
// session of its own (a daemon that double-forks escapes, as from any
// process group).
type group struct{ pgid int }

// groupAttr makes the service the leader of a new process group.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func newGroup(p *os.Process) (*group, error) { return &group{pgid: p.Pid}, nil }

// interrupt sends SIGTERM to every process in the group.
func (g *group) interrupt() error { return syscall.Kill(-g.pgid, syscall.SIGTERM) }

// kill sends SIGKILL to every process in the group.
func (g *group) kill() error { return syscall.Kill(-g.pgid, syscall.SIGKILL) }

func (g *group) close() {}
