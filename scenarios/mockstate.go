package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// What the run reads of a mock and switches on it, whether the mock serves
// in this process (the embedded runtime) or in a container, reached
// through its admin API on a loopback-mapped port (the docker runtime).
type (
	// journalReader is a mock's journal.
	journalReader interface {
		// All is every entry kept, oldest first.
		All() []toolkit.Entry
		// Changes is the number of requests ever recorded that may
		// change data (toolkit.Journal.Changes).
		Changes() uint64
		Stats() toolkit.JournalStats
	}
	// webhookQueue is a mock's webhook delivery.
	webhookQueue interface {
		Queue() toolkit.WebhookQueue
	}
	// faultSwitch switches a mock's HTTP and data faults on (and off,
	// with the function it returns).
	faultSwitch interface {
		Activate(ctx context.Context, f toolkit.HTTPFault) (func(context.Context) error, error)
	}
	// recordWriter writes into a stateful mock's collections as its own
	// users would, for the timeline's data events: webhooks false stores a
	// change without the webhooks the same write through the API sends.
	recordWriter interface {
		Insert(ctx context.Context, coll string, recs []map[string]any, webhooks bool) error
		Update(ctx context.Context, coll, id string, set map[string]any, webhooks bool) error
	}
)

// localRecords writes into a mock in this process.
type localRecords struct{ v *mocks.Vendor }

func (l localRecords) Insert(_ context.Context, coll string, recs []map[string]any, webhooks bool) error {
	batch := make([]store.Record, len(recs))
	copy(batch, recs)
	_, err := l.v.Insert(coll, batch, webhooks)
	return err
}

func (l localRecords) Update(_ context.Context, coll, id string, set map[string]any, webhooks bool) error {
	_, err := l.v.Update(coll, id, set, webhooks)
	return err
}

// localJournal is the journal of a mock in this process.
type localJournal struct{ j *toolkit.Journal }

func (l localJournal) All() []toolkit.Entry        { return l.j.Entries(toolkit.Filter{}) }
func (l localJournal) Changes() uint64             { return l.j.Changes() }
func (l localJournal) Stats() toolkit.JournalStats { return l.j.Stats() }

// adminClient reaches a mock's admin API: base is http://host:port of the
// mock, past any proxy.
type adminClient struct {
	base   string
	header http.Header
	client *http.Client
}

// maxAdminAnswer bounds an admin answer other than the journal.
const maxAdminAnswer = 4 << 20

func (a *adminClient) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	for k, v := range a.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return &adminStatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(bytes.TrimSpace(msg))}
	}
	if out == nil {
		return nil
	}
	var r io.Reader = resp.Body
	if path != toolkit.AdminPrefix+"requests" {
		r = io.LimitReader(resp.Body, maxAdminAnswer)
	}
	if err := json.NewDecoder(r).Decode(out); err != nil {
		return fmt.Errorf("%s %s: the answer: %w", method, path, err)
	}
	return nil
}

// adminStatusError is an admin answer of another status than wanted.
type adminStatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *adminStatusError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// remoteMock is a mock in a container, read and driven through its admin
// API. Its journal is read whole once the run has settled (pull); until
// then, Total asks the mock.
type remoteMock struct {
	name  string
	admin *adminClient

	mu      sync.Mutex
	entries []toolkit.Entry
	stats   toolkit.JournalStats
	pulled  bool
	changes uint64 // the last count of changes read
	queue   toolkit.WebhookQueue
	noHooks bool
}

func newRemoteMock(name, base string, header http.Header) *remoteMock {
	return &remoteMock{name: name, admin: &adminClient{base: base, header: header, client: &http.Client{}}}
}

// pull reads the mock's whole journal and its statistics.
func (m *remoteMock) pull(ctx context.Context) error {
	var h toolkit.Health
	if err := m.admin.do(ctx, http.MethodGet, toolkit.AdminPrefix+"health", nil, http.StatusOK, &h); err != nil {
		return fmt.Errorf("scenarios: mock %s: %w", m.name, err)
	}
	var entries []toolkit.Entry
	if err := m.admin.do(ctx, http.MethodGet, toolkit.AdminPrefix+"requests", nil, http.StatusOK, &entries); err != nil {
		return fmt.Errorf("scenarios: mock %s: its journal: %w", m.name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries, m.stats, m.pulled, m.changes = entries, h.Journal, true, h.Journal.Changes
	return nil
}

// All is the journal read by pull; nil before.
func (m *remoteMock) All() []toolkit.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries
}

// Changes asks the mock until the journal is pulled; on an error it
// answers the last count read (settle then sees no new request, and pull,
// which the check needs, reports the error).
func (m *remoteMock) Changes() uint64 {
	m.mu.Lock()
	pulled, changes := m.pulled, m.changes
	m.mu.Unlock()
	if pulled {
		return changes
	}
	var h toolkit.Health
	if err := m.admin.do(context.Background(), http.MethodGet, toolkit.AdminPrefix+"health", nil, http.StatusOK, &h); err != nil {
		return changes
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes = h.Journal.Changes
	return m.changes
}

func (m *remoteMock) Stats() toolkit.JournalStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Queue asks the mock for its webhook queue; a mock without webhooks
// answers the zero queue, and an unreachable one the last queue read.
func (m *remoteMock) Queue() toolkit.WebhookQueue {
	m.mu.Lock()
	if m.noHooks {
		m.mu.Unlock()
		return toolkit.WebhookQueue{}
	}
	m.mu.Unlock()
	var q toolkit.WebhookQueue
	err := m.admin.do(context.Background(), http.MethodGet, toolkit.WebhooksPath, nil, http.StatusOK, &q)
	m.mu.Lock()
	defer m.mu.Unlock()
	var se *adminStatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		m.noHooks = true
		return toolkit.WebhookQueue{}
	case err != nil:
		return m.queue
	}
	m.queue = q
	return q
}

// Activate adds the fault through the admin API; the function returned
// removes it.
func (m *remoteMock) Activate(ctx context.Context, f toolkit.HTTPFault) (func(context.Context) error, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var got toolkit.ActiveFault
	if err := m.admin.do(ctx, http.MethodPost, toolkit.FaultsPath, body, http.StatusCreated, &got); err != nil {
		return nil, fmt.Errorf("scenarios: mock %s: fault %s: %w", m.name, f.Kind, err)
	}
	return func(ctx context.Context) error {
		err := m.admin.do(ctx, http.MethodDelete, toolkit.FaultsPath+"/"+url.PathEscape(got.ID), nil, http.StatusNoContent, nil)
		if err != nil {
			return fmt.Errorf("scenarios: mock %s: remove fault %s: %w", m.name, got.ID, err)
		}
		return nil
	}, nil
}

// Insert stores records through the admin API (POST, webhooks=false when
// they send none).
func (m *remoteMock) Insert(ctx context.Context, coll string, recs []map[string]any, webhooks bool) error {
	body, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	path := toolkit.AdminPrefix + "collections/" + url.PathEscape(coll) + webhooksQuery(webhooks)
	if err := m.admin.do(ctx, http.MethodPost, path, body, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("scenarios: mock %s: %w", m.name, err)
	}
	return nil
}

// Update changes one record through the admin API (PATCH, a merge patch).
func (m *remoteMock) Update(ctx context.Context, coll, id string, set map[string]any, webhooks bool) error {
	body, err := json.Marshal(set)
	if err != nil {
		return err
	}
	path := toolkit.AdminPrefix + "collections/" + url.PathEscape(coll) + "/" + url.PathEscape(id) + webhooksQuery(webhooks)
	if err := m.admin.do(ctx, http.MethodPatch, path, body, http.StatusOK, nil); err != nil {
		return fmt.Errorf("scenarios: mock %s: %w", m.name, err)
	}
	return nil
}

func webhooksQuery(webhooks bool) string {
	if webhooks {
		return ""
	}
	return "?" + toolkit.WebhooksParam + "=false"
}
