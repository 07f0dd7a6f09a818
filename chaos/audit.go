package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Audit actions.
const (
	ActionStart  = "start"  // the timeline started
	ActionApply  = "apply"  // a fault was switched on (or failed to be)
	ActionRevert = "revert" // a fault was switched off (or failed to be)
	ActionFire   = "fire"   // an instant event was applied (or failed to be): nothing to revert
	ActionSkip   = "skip"   // an event never started: the run ended first
	ActionEnd    = "end"    // the timeline ended and everything was reverted
)

// Audit outcomes.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Why a fault was reverted.
const (
	ReasonEnded       = "ended"        // its duration was over
	ReasonCancelled   = "cancelled"    // the run's context was cancelled
	ReasonPanic       = "panic"        // a panic unwound the run
	ReasonRollback    = "rollback"     // Rollback was called
	ReasonApplyFailed = "apply-failed" // Apply failed after it may have changed something
)

// AuditRecord is one line of the audit log, written as JSON.
type AuditRecord struct {
	Time time.Time `json:"time"`
	// ElapsedMS is the time since the timeline started, in milliseconds,
	// on the monotonic clock.
	ElapsedMS float64           `json:"elapsed_ms"`
	Action    string            `json:"action"`
	Event     *int              `json:"event,omitempty"` // index in the timeline
	Target    string            `json:"target,omitempty"`
	Fault     string            `json:"fault,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Outcome   string            `json:"outcome"`
	// TookMS is how long the apply or revert call took.
	TookMS float64 `json:"took_ms,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// auditLog writes records as JSON lines, one at a time, and keeps the
// first write error.
type auditLog struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func newAuditLog(w io.Writer) *auditLog {
	if w == nil {
		w = io.Discard
	}
	return &auditLog{enc: json.NewEncoder(w)}
}

func (a *auditLog) write(r AuditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.enc.Encode(r); err != nil && a.err == nil {
		a.err = fmt.Errorf("chaos: write audit log: %w", err)
	}
}

func (a *auditLog) failure() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}
