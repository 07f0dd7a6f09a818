package ci

import (
	"errors"
	"fmt"
)

// ExitCode is the process exit status of a firedrill command. The codes are
// API: pipelines branch on them.
type ExitCode int

// The exit codes of DESIGN.md.
const (
	ExitPass        ExitCode = 0   // every gate passed
	ExitFail        ExitCode = 1   // a gate failed
	ExitUsage       ExitCode = 2   // the scenario, a contract or the command line is wrong
	ExitSetup       ExitCode = 3   // the harness could not set up
	ExitInterrupted ExitCode = 130 // interrupted by a signal
)

// String names the code as reports show it.
func (c ExitCode) String() string {
	switch c {
	case ExitPass:
		return "pass"
	case ExitFail:
		return "fail"
	case ExitUsage:
		return "usage"
	case ExitSetup:
		return "setup"
	case ExitInterrupted:
		return "interrupted"
	}
	return fmt.Sprintf("exit(%d)", int(c))
}

// ExitError carries an exit code up to main with the error that caused it.
type ExitError struct {
	Code ExitCode
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return e.Code.String()
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// WithExit wraps err so that it ends the process with code. A nil err stays nil.
func WithExit(code ExitCode, err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err}
}

// CodeOf returns the exit code err carries: ExitPass for nil, the code of the
// outermost ExitError in its chain, and ExitFail for any other error.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitPass
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFail
}
