package scenarios

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// ticketDesk plays the service under test of testdata/e2e/insert.yaml: it
// keeps the id of every ticket webhook it gets.
type ticketDesk struct {
	mu      sync.Mutex
	tickets map[string]int // data.id → deliveries
	types   map[string]int
}

func (d *ticketDesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webhooks/tickets" {
		return
	}
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Type string
		Data struct{ ID string }
	}
	_ = json.Unmarshal(body, &ev)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tickets[ev.Data.ID]++
	d.types[ev.Type]++
	w.WriteHeader(http.StatusNoContent)
}

// TestRunInsertStep: a flow step inserts tickets into the help desk mock
// as its users would. The inserted tickets are in the mock (the next step
// reads each through the proxy, by the id it captured), beside the seeded
// ones; each reaches the service as the mock's webhook, the seeded ones
// never do; and the inserts are not in the mock's journal, which holds the
// integration's traffic only.
func TestRunInsertStep(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "insert.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	desk := &ticketDesk{tickets: map[string]int{}, types: map[string]int{}}
	dir := t.TempDir()
	out, err := Run(context.Background(), s, Options{Out: dir, Runtime: &inProcess{Embedded: &Embedded{}, h: desk}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	steps := out.Load.Steps
	if len(steps) != 3 || steps[0].Requests < 3 || steps[0].StatusCodes[http.StatusCreated] != steps[0].Requests ||
		steps[1].StatusCodes[http.StatusOK] != steps[0].Requests || steps[2].StatusCodes[http.StatusOK] != steps[0].Requests {
		t.Fatalf("steps %+v; want every insert 201 and every read of it and of the seeded ticket 200", steps)
	}
	var read []string
	for _, e := range journalOf(t, dir, "helpdesk") {
		if e.Direction != "inbound" {
			continue // the webhooks the mock sent
		}
		if strings.HasPrefix(e.Path, "/__firedrill/") || e.Method != http.MethodGet {
			t.Errorf("the journal holds %s %s: not the integration's traffic", e.Method, e.Path)
			continue
		}
		if id := strings.TrimPrefix(e.Path, "/tickets/"); id != "t-1" {
			read = append(read, id)
		}
	}
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if len(read) != int(steps[0].Requests) || len(desk.tickets) != len(read) {
		t.Fatalf("the integration read %d inserted tickets, the service got webhooks of %d (%v)", len(read), len(desk.tickets), desk.tickets)
	}
	for _, id := range read {
		if desk.tickets[id] != 1 {
			t.Errorf("ticket %s reached the service %d times, want once", id, desk.tickets[id])
		}
	}
	if desk.tickets["t-1"] > 0 || desk.types["tickets.created"] != len(read) {
		t.Errorf("deliveries %v of types %v: want one tickets.created per inserted ticket, none for the seeded ones", desk.tickets, desk.types)
	}
}
