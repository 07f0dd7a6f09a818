package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/scenarios/dockertest"
)

// dataRunClock is the clock a data events run reads its ${now...} from.
var dataRunClock = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// dataEventProbes ask the help desk mock, at the end of the run, for what
// testdata/e2e/timeline-data.yaml must leave in it: the late ticket with
// its older updated_at, the seeded ticket changed and its other fields
// kept.
func dataEventProbes() []Probe {
	late := dataRunClock.Add(-5 * time.Minute).Format(time.RFC3339)
	url := "http://${helpdesk.host}:${helpdesk.port}/__firedrill/collections/tickets"
	return []Probe{
		{Name: "the late ticket is there with its older updated_at", URL: url,
			JSON: "body.exists(t, t.id == 'late-1' && t.subject == 'arrived late' && t.updated_at == '" + late + "')"},
		{Name: "the update changed the seeded ticket", URL: url,
			JSON: "body.exists(t, t.id == 't-1' && t.priority == 'low' && t.subject == 'printer on fire' && t.updated_at > '" + late +
				"' && t.customer == '" + dataRunClock.Add(-time.Hour).Format(time.RFC3339) + "')"},
		{Name: "the on-time ticket is there", URL: url, JSON: "body.exists(t, t.id == 'on-time' && t.updated_at == '" + dataRunClock.Format(time.RFC3339) + "')"},
	}
}

// TestRunTimelineDataEvents: at 1s the timeline inserts a late ticket
// without its webhook and with an updated_at of ${now-5m}, and a ticket
// with its webhook; at 2s it updates a seeded ticket. At the end the late
// ticket is in the mock with the older time, the service got no webhook
// for it but got the other ticket's create and the update's; the audit
// log and summary.json say when each event fired.
func TestRunTimelineDataEvents(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "timeline-data.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Gates.Probes = dataEventProbes()
	desk := &ticketDesk{tickets: map[string]int{}, types: map[string]int{}}
	dir := t.TempDir()
	out, err := Run(context.Background(), s, Options{Out: dir, Runtime: &inProcess{Embedded: &Embedded{}, h: desk},
		Now: func() time.Time { return dataRunClock }})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, g := range out.Verdict.Gates {
		if !g.Passed {
			t.Errorf("gate %q: %s (%s)", g.Name, g.Reason, g.Measured)
		}
	}
	desk.mu.Lock()
	if desk.tickets["late-1"] != 0 || desk.tickets["on-time"] != 1 || desk.tickets["t-1"] != 1 ||
		desk.types["tickets.created"] != 1 || desk.types["tickets.updated"] != 1 {
		t.Errorf("the service got webhooks %v of types %v; want none for late-1, one create for on-time, one update for t-1", desk.tickets, desk.types)
	}
	desk.mu.Unlock()
	fired := map[string]float64{}
	for _, r := range auditOf(t, dir) {
		if r.Action == chaos.ActionFire {
			if r.Outcome != chaos.OutcomeOK {
				t.Errorf("event %s on %s: %s %s", r.Fault, r.Target, r.Outcome, r.Error)
			}
			fired[r.Fault+" "+r.Params["id"]+r.Params["webhooks"]] = r.ElapsedMS
		}
	}
	for ev, at := range map[string]float64{"insert false": 1000, "insert true": 1000, "update t-1true": 2000} {
		if got, ok := fired[ev]; !ok || got < at || got > at+900 {
			t.Errorf("event %q fired at %vms (fired: %v), want at %vms", ev, got, ok, at)
		}
	}
	events := summaryEvents(t, dir)
	if len(events) != 3 || events[0].What != "tickets, 1 record, no webhooks" || events[1].What != "tickets from ../seeds/on_time.yaml" || events[2].Kind != "update" ||
		events[2].What != "tickets t-1" || events[2].Outcome != "ok" || events[2].At.Sub(events[0].At) < 900*time.Millisecond {
		t.Errorf("summary.json events %+v", events)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if !strings.Contains(string(md), "| helpdesk | update tickets t-1 | +2") {
		t.Errorf("summary.md lists no update at +2s:\n%s", md)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "<td>update tickets t-1</td><td>&#43;2") {
		t.Errorf("report.html lists no update at +2s:\n%s", html)
	}
}

// TestRunDataEventFails: an update of an id that no record has when it
// fires is no silent skip: the audit log and the reports record the
// event's error, and the run stops as when a fault cannot be applied.
func TestRunDataEventFails(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "timeline-data.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Chaos = []Fault{{At: Duration(100 * time.Millisecond), System: "helpdesk",
		Update: &DataUpdate{Collection: "tickets", ID: "t-404", Set: map[string]any{"priority": "low"}}}}
	dir := t.TempDir()
	_, err = Run(context.Background(), s, Options{Out: dir, Runtime: &inProcess{Embedded: &Embedded{}, h: &ticketDesk{tickets: map[string]int{}, types: map[string]int{}}}})
	if err == nil || ci.CodeOf(err) != ci.ExitSetup || !strings.Contains(err.Error(), `update tickets "t-404" in helpdesk`) {
		t.Fatalf("run: %v (exit %v), want a set-up failure naming the update", err, ci.CodeOf(err))
	}
	var fire *chaos.AuditRecord
	for _, r := range auditOf(t, dir) {
		if r.Action == chaos.ActionFire {
			fire = &r
		}
	}
	if fire == nil || fire.Outcome != chaos.OutcomeError || !strings.Contains(fire.Error, "not found") {
		t.Errorf("audit fire record %+v, want the error", fire)
	}
	events := summaryEvents(t, dir)
	if len(events) != 1 || events[0].Outcome != "error" || !strings.Contains(events[0].Error, "not found") {
		t.Errorf("summary.json events %+v, want the failed update", events)
	}
}

func auditOf(t *testing.T, dir string) []chaos.AuditRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []chaos.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r chaos.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func summaryEvents(t *testing.T, dir string) []ci.DataEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Events []ci.DataEvent }
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s.Events
}

// TestDataEventsInEveryRuntime: the same data events reach the mock in
// the embedded runtime (in process) and in docker (through the admin API
// of the mock's container: POST with webhooks=false, PATCH), each at its
// second, and leave the same records.
func TestDataEventsInEveryRuntime(t *testing.T) {
	for _, runtime := range []string{"embedded", "docker"} {
		t.Run(runtime, func(t *testing.T) {
			s, err := ReadFile(filepath.Join("testdata", "e2e", "timeline-data-mock.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			s.Gates.Probes = dataEventProbes()
			dir := t.TempDir()
			opts := Options{Out: dir, Now: func() time.Time { return dataRunClock }}
			if runtime == "docker" {
				dockertest.Need(t)
				s.Runtime = runtime
				opts.Runtime = &Docker{Binary: dockertest.Firedrill(t), RunID: "test-data-events"}
			} else {
				t.Parallel()
			}
			out, err := Run(context.Background(), s, opts)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for _, g := range out.Verdict.Gates {
				if !g.Passed {
					t.Errorf("gate %q: %s (%s)", g.Name, g.Reason, g.Measured)
				}
			}
			var fired []string
			for _, r := range auditOf(t, dir) {
				if r.Action == chaos.ActionFire && r.Outcome == chaos.OutcomeOK {
					fired = append(fired, fmt.Sprintf("%s@%ds", r.Fault, int(r.ElapsedMS/1000)))
				}
			}
			slices.Sort(fired)
			if strings.Join(fired, ",") != "insert@1s,insert@1s,update@2s" {
				t.Errorf("fired %v, want the two inserts at 1s and the update at 2s", fired)
			}
			if runtime == "docker" {
				assertNothingLeft(t, "test-data-events")
			}
		})
	}
}
