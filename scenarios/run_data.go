package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/mocks"
)

// dataEvents keeps what the timeline's data events did, for the reports.
type dataEvents struct {
	mu     sync.Mutex
	events []ci.DataEvent // by place in the chaos section; Kind "" for a fault, Outcome "" until fired
}

// newDataEvents lists the data events of a chaos section, none fired yet.
func newDataEvents(chaos []Fault) *dataEvents {
	d := &dataEvents{events: make([]ci.DataEvent, len(chaos))}
	for i, f := range chaos {
		if f.data() {
			d.events[i] = plannedEvent(f)
		}
	}
	return d
}

// plannedEvent is what the reports say of a data event before it fires.
func plannedEvent(f Fault) ci.DataEvent {
	kind, webhooks := dataKind(f)
	return ci.DataEvent{Target: f.System, Kind: kind, What: dataEventWhat(f, webhooks)}
}

// dataCount is how many entries of a timeline are data events.
func dataCount(faults []Fault) int {
	n := 0
	for _, f := range faults {
		if f.data() {
			n++
		}
	}
	return n
}

// dataKind is insert or update, and whether the event sends webhooks.
func dataKind(f Fault) (string, bool) {
	if f.Insert != nil {
		return "insert", f.Insert.Webhooks == nil || *f.Insert.Webhooks
	}
	return "update", f.Update.Webhooks == nil || *f.Update.Webhooks
}

func (d *dataEvents) set(i int, e ci.DataEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events[i] = e
}

// list is every data event planned, those that never fired marked so.
func (d *dataEvents) list() []ci.DataEvent {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []ci.DataEvent
	for _, e := range d.events {
		switch {
		case e.Kind == "":
			continue
		case e.Outcome == "":
			e.Outcome, e.Error = "skipped", "the attack ended before its time"
		}
		out = append(out, e)
	}
	return out
}

// dataEvent puts a data event on the timeline as an instant: at its
// second it writes into the system's stateful mock, through the mock's
// recordWriter (in this process, or its admin API), its ${now...} times
// read then. A failure is the event's error: in the audit log, in the
// reports, and it ends the run as a fault that fails to apply does.
func (r *run) dataEvent(f Fault) chaos.Event {
	kind, webhooks := dataKind(f)
	params := map[string]string{"webhooks": strconv.FormatBool(webhooks)}
	if f.Insert != nil {
		params["collection"] = f.Insert.Collection
	} else {
		params["collection"], params["id"] = f.Update.Collection, f.Update.ID
	}
	ev := chaos.Event{At: f.At.D(), Target: f.System, Kind: kind, Params: params}
	sys := r.system(f.System)
	ev.Fault = chaos.FaultFunc(func(ctx context.Context) (chaos.Revert, error) {
		e := plannedEvent(f)
		e.At = time.Now() // on the attack's clock, as the reports read it
		err := r.writeData(ctx, sys, f, webhooks)
		e.Outcome = chaos.OutcomeOK
		if err != nil {
			e.Outcome, e.Error = chaos.OutcomeError, r.secrets.Redact(err.Error())
		}
		r.data.set(f.index, e)
		r.progress("data   %s %s on %s: %s %s", e.Kind, e.What, e.Target, e.Outcome, e.Error)
		return nil, err
	})
	return ev
}

// writeData does what a data event says, now.
func (r *run) writeData(ctx context.Context, sys *system, f Fault, webhooks bool) error {
	if sys == nil || sys.records == nil {
		return fmt.Errorf("scenarios: system %q serves no stateful mock to write into", f.System)
	}
	now := r.o.Now()
	if up := f.Update; up != nil {
		set, err := jsonTimes(up.Set, now)
		if err != nil {
			return fmt.Errorf("scenarios: update.set: %w", err)
		}
		if err := sys.records.Update(ctx, up.Collection, up.ID, set, webhooks); err != nil {
			return fmt.Errorf("scenarios: update %s %q in %s: %w", up.Collection, up.ID, f.System, err)
		}
		return nil
	}
	in := f.Insert
	recs, err := mocks.ResolveRecords(map[string]mocks.Records{in.Collection: in.Records}, r.s.Dir())[in.Collection].Load(r.s.File())
	if err != nil {
		return fmt.Errorf("scenarios: insert.records: %w", err)
	}
	batch := make([]map[string]any, len(recs))
	for i, rec := range recs {
		if batch[i], err = jsonTimes(rec.Data, now); err != nil {
			return fmt.Errorf("scenarios: insert.records[%d]: %w", i, err)
		}
	}
	if err := sys.records.Insert(ctx, in.Collection, batch, webhooks); err != nil {
		return fmt.Errorf("scenarios: insert into %s of %s: %w", in.Collection, f.System, err)
	}
	return nil
}

// jsonTimes resolves the ${now...} times of a record and makes its values
// what JSON decodes (float64 numbers), as the API's writes store them.
func jsonTimes(rec map[string]any, now time.Time) (map[string]any, error) {
	x, err := mocks.ExpandTimes(rec, now)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// dataEventWhat says what a data event writes, for the reports.
func dataEventWhat(f Fault, webhooks bool) string {
	what := ""
	if f.Insert != nil {
		what = f.Insert.Collection
		if f.Insert.Records.File != "" {
			what += " from " + f.Insert.Records.File
		} else {
			what += fmt.Sprintf(", %d record", len(f.Insert.Records.Items))
			if len(f.Insert.Records.Items) != 1 {
				what += "s"
			}
		}
	} else {
		what = fmt.Sprintf("%s %s", f.Update.Collection, f.Update.ID)
	}
	if !webhooks {
		what += ", no webhooks"
	}
	return what
}
