package openapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// upsertServer serves testdata/upsert.yaml statefully on loopback.
func upsertServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	c := loadContract(t, filepath.Join("testdata", "upsert.yaml"))
	srv, err := NewServer(c, append([]Option{WithStateful(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// sendChecked makes one request over HTTP and returns the status and the decoded
// body; a 2xx answer must validate against the contract.
func sendChecked(t *testing.T, srv *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if len(data) > 0 {
		_ = json.Unmarshal(data, &out)
	}
	if resp.StatusCode/100 == 2 {
		m := srv.Mock
		esc, _ := m.stripBase(req.URL.EscapedPath())
		op, params, _, _ := m.find(esc, method)
		rt := contracts.Route{Path: op.template, Method: op.method, PathItem: op.item, Operation: op.op, PathParams: params}
		check := httptest.NewRequest(method, srv.URL+path, nil)
		if vs := contracts.NewValidator(m.contract.Doc).ValidateResponse(context.Background(), check, rt, resp.StatusCode, resp.Header, data); len(vs) > 0 {
			t.Errorf("%s %s answered %d, which breaks the contract: %v", method, path, resp.StatusCode, vs)
		}
	}
	return resp.StatusCode, out
}

// TestStatefulPutUpserts: a PUT the contract says may create (a 201, or
// "create or replace") creates an absent record under the path's id and
// answers the creation status; a second PUT replaces it and answers the
// update status; reads and lists see what was stored.
func TestStatefulPutUpserts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		item, list     string
		idField, id    string
		first, second  string // bodies
		field          string // a field the bodies set
		want1, want2   int
		wantV1, wantV2 string
	}{
		{name: "201 declared: contact by email", item: "/v1/contacts/ada@example.com", list: "/v1/contacts",
			idField: "email", id: "ada@example.com", first: `{"name":"Ada"}`, second: `{"name":"Ada L."}`,
			field: "name", want1: 201, want2: 200, wantV1: "Ada", wantV2: "Ada L."},
		{name: "create or replace in words", item: "/v1/buckets/logs", idField: "name", id: "logs",
			first: `{"region":"eu"}`, second: `{"region":"us"}`, field: "region", want1: 200, want2: 200, wantV1: "eu", wantV2: "us"},
		{name: "201 and 204: the id property holds the path's value", item: "/v1/labels/urgent", idField: "id", id: "urgent",
			first: `{"colour":"red","id":"other"}`, second: `{"colour":"amber"}`, field: "colour", want1: 201, want2: 204, wantV1: "red", wantV2: "amber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := upsertServer(t)
			status, got := sendChecked(t, srv, "PUT", tt.item, tt.first)
			if status != tt.want1 || got[tt.idField] != tt.id || got[tt.field] != tt.wantV1 {
				t.Fatalf("first PUT answered %d %v, want %d with %s %q and %s %q", status, got, tt.want1, tt.idField, tt.id, tt.field, tt.wantV1)
			}
			if status, got = sendChecked(t, srv, "GET", tt.item, ""); status != 200 || got[tt.field] != tt.wantV1 {
				t.Fatalf("GET after the create answered %d %v", status, got)
			}
			status, got = sendChecked(t, srv, "PUT", tt.item, tt.second)
			if status != tt.want2 || (status != 204 && got[tt.field] != tt.wantV2) {
				t.Fatalf("second PUT answered %d %v, want %d with %s %q", status, got, tt.want2, tt.field, tt.wantV2)
			}
			if status, got = sendChecked(t, srv, "GET", tt.item, ""); status != 200 || got[tt.field] != tt.wantV2 || got[tt.idField] != tt.id {
				t.Fatalf("GET after the replace answered %d %v, want %s %q under %s %q", status, got, tt.field, tt.wantV2, tt.idField, tt.id)
			}
			if tt.list != "" {
				recs := listOver(t, srv, tt.list)
				if len(recs) != 1 || recs[0][tt.idField] != tt.id || recs[0][tt.field] != tt.wantV2 {
					t.Fatalf("the list holds %v, want the one replaced record", recs)
				}
			}
		})
	}
}

func listOver(t *testing.T, srv *Server, path string) []map[string]any {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var recs []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return recs
}

// TestStatefulPutWithout201Replaces is the negative control: a PUT whose
// contract neither declares a 201 nor says it creates answers 404 for an
// absent record and creates nothing; it replaces a record that exists.
func TestStatefulPutWithout201Replaces(t *testing.T) {
	t.Parallel()
	srv := upsertServer(t)
	if status, got := sendChecked(t, srv, "PUT", "/v1/accounts/acc_1", `{"name":"Acme"}`); status != 404 {
		t.Fatalf("PUT of an absent account answered %d %v, want 404", status, got)
	}
	if status, _ := sendChecked(t, srv, "GET", "/v1/accounts/acc_1", ""); status != 404 {
		t.Fatalf("the refused PUT stored a record: GET answered %d", status)
	}
	status, created := sendChecked(t, srv, "POST", "/v1/accounts", `{"name":"Acme"}`)
	if status != 201 {
		t.Fatalf("create answered %d", status)
	}
	item := "/v1/accounts/" + created["id"].(string)
	if status, got := sendChecked(t, srv, "PUT", item, `{"name":"Acme Ltd"}`); status != 200 || got["name"] != "Acme Ltd" {
		t.Fatalf("PUT of an existing account answered %d %v, want 200 with the new name", status, got)
	}
}

// TestUpsertWebhooksFollowWhatHappened: the first PUT is a creation, the
// second an update, and the webhooks say so.
func TestUpsertWebhooksFollowWhatHappened(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	rc := newHookReceiver(t, 0, func(h http.Header, b []byte) error { return verifyStandard(secret, h, b) })
	w, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: rc.url, Secret: secret}}, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	srv := upsertServer(t, WithWebhooks(w))
	for _, step := range []struct {
		method, path, body string
		want               int
	}{
		{"PUT", "/v1/contacts/ada@example.com", `{"name":"Ada"}`, 201},
		{"PUT", "/v1/contacts/ada@example.com", `{"name":"Ada L."}`, 200},
		{"PUT", "/v1/labels/urgent", `{"colour":"red"}`, 201},
		{"PUT", "/v1/labels/urgent", `{"colour":"amber"}`, 204},
		{"DELETE", "/v1/contacts/ada@example.com", "", 204},
	} {
		if status, got := sendChecked(t, srv, step.method, step.path, step.body); status != step.want {
			t.Fatalf("%s %s answered %d %v, want %d", step.method, step.path, status, got, step.want)
		}
	}
	drainWebhooks(t, w)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	// Deliveries keep their order per resource, not across resources.
	perResource := map[string][]string{}
	for _, ev := range rc.order {
		coll, _, _ := strings.Cut(ev, ".")
		perResource[coll] = append(perResource[coll], ev)
	}
	for coll, want := range map[string]string{
		"contacts": "contacts.created contacts.updated contacts.deleted",
		"labels":   "labels.created labels.updated",
	} {
		if got := strings.Join(perResource[coll], " "); got != want {
			t.Errorf("%s events %q, want %q (all: %v)", coll, got, want, rc.order)
		}
	}
	if len(rc.order) != 5 {
		t.Errorf("%d events, want 5: %v", len(rc.order), rc.order)
	}
}
