package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
)

// DrillAuditFile is the drill's audit log in the run folder: one JSON line
// per action (start, each target allowed, each proxy made, each fault
// applied and reverted, a safeguard that broke, the rollback, the end),
// with who ran the drill.
const DrillAuditFile = "drill-audit.jsonl"

// DrillAuditRecord is one line of the drill's audit log.
type DrillAuditRecord struct {
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Action  string    `json:"action"`
	Target  string    `json:"target,omitempty"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
}

// drillAudit writes a drill's audit log and keeps its records for the
// drill report.
type drillAudit struct {
	mu      sync.Mutex
	who     string
	file    *os.File
	records []DrillAuditRecord
	err     error
}

// operator is who runs the drill, from the environment:
// FIREDRILL_OPERATOR, else USER, else LOGNAME.
func operator(getenv func(string) (string, bool)) string {
	for _, k := range []string{"FIREDRILL_OPERATOR", "USER", "LOGNAME"} {
		if v, ok := getenv(k); ok && v != "" {
			return v
		}
	}
	return "unknown"
}

// audit records one action of a drill; nothing outside a drill.
func (r *run) audit(action, target, outcome, detail string) {
	if r.s.Runtime != "staging" {
		return
	}
	r.auditMu.Lock()
	if r.drillLog == nil {
		r.drillLog = &drillAudit{who: operator(r.o.Getenv)}
		r.drillLog.file, r.drillLog.err = os.Create(filepath.Join(r.dir, DrillAuditFile))
	}
	a := r.drillLog
	r.auditMu.Unlock()
	a.write(DrillAuditRecord{Time: time.Now().UTC(), Who: a.who, Action: action, Target: target, Outcome: outcome, Detail: r.secrets.Redact(detail)})
}

func (a *drillAudit) write(rec DrillAuditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, rec)
	if a.err != nil {
		return
	}
	line, _ := json.Marshal(rec)
	if _, err := a.file.Write(append(line, '\n')); err != nil {
		a.err = err
	}
}

// list is the records so far. Nil-safe.
func (a *drillAudit) list() []DrillAuditRecord {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]DrillAuditRecord(nil), a.records...)
}

// close closes the file and returns the first write error. Nil-safe.
func (a *drillAudit) close() error {
	if a == nil || a.file == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.file.Close()
	if a.err != nil {
		return fmt.Errorf("scenarios: %s: %w", DrillAuditFile, a.err)
	}
	return err
}

// timelineAudit copies the timeline's audit records (each apply and
// revert of a fault) into the drill's audit log, as they are written.
type timelineAudit struct {
	r   *run
	buf bytes.Buffer
}

// Write takes JSON lines of chaos.AuditRecord.
func (w *timelineAudit) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadBytes('\n')
		if err != nil {
			w.buf.Write(line) // an incomplete line waits for the rest
			return len(p), nil
		}
		var rec chaos.AuditRecord
		if json.Unmarshal(line, &rec) != nil {
			continue
		}
		if rec.Event != nil && rec.Outcome == chaos.OutcomeOK && (rec.Action == chaos.ActionApply || rec.Action == chaos.ActionRevert) {
			w.r.setFault(*rec.Event, rec.Target, rec.Fault, rec.Action == chaos.ActionApply)
		}
		detail := rec.Fault
		if rec.Reason != "" {
			detail += " (" + rec.Reason + ")"
		}
		if rec.Error != "" {
			detail += ": " + rec.Error
		}
		w.r.audit("fault "+rec.Action, rec.Target, rec.Outcome, detail)
	}
}

// auditWriter is where the timeline writes its audit log: the run's file,
// and in a drill the drill's audit log too.
func (r *run) auditWriter(file io.Writer) io.Writer {
	if r.s.Runtime != "staging" {
		return file
	}
	return io.MultiWriter(file, &timelineAudit{r: r})
}
