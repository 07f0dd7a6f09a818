package openapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

func TestJournalRecordsEveryExchangeWithSecretsMasked(t *testing.T) {
	t.Parallel()
	m := newPetstore(t)
	call(t, m, "GET", "/v1/pets/7?access_token=abc&limit=1", "", key, "secret-key", "Authorization", "Bearer tok123", "X-Session-Token", "s3", "Accept", "application/json", "Idempotency-Key", "idem-1")
	call(t, m, "POST", "/v1/pets", `{"species":"lion"}`, key, "secret-key", "Content-Type", "application/json")
	call(t, m, "GET", "/v1/nowhere", "")
	es := m.Journal().Entries(toolkit.Filter{})
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3", len(es))
	}
	get := es[0]
	if get.Operation != "getPet" || get.Template != "/pets/{petId}" || get.Status != 200 || !get.Valid || get.System != "petstore" || get.Duration <= 0 {
		t.Errorf("entry %+v", get)
	}
	raw, _ := json.Marshal(es)
	for _, secret := range []string{"secret-key", "tok123", "s3", "abc"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the journal holds the secret %q", secret)
		}
	}
	if got := get.Header.Get("Authorization"); got != "Bearer "+toolkit.Masked {
		t.Errorf("Authorization journaled as %q", got)
	}
	for h, want := range map[string]string{"Accept": "application/json", "Idempotency-Key": "idem-1"} {
		if got := get.Header.Get(h); got != want {
			t.Errorf("%s, not a secret, was journaled as %q", h, got)
		}
	}
	if !strings.Contains(get.Query, "limit=1") {
		t.Errorf("query %q lost a harmless parameter", get.Query)
	}
	post := es[1]
	if post.Valid || post.Status != 400 || len(post.Violations) == 0 || string(post.Body) != `{"species":"lion"}` || len(post.ResponseBody) == 0 {
		t.Errorf("refused entry %+v", post)
	}
	if es[2].Status != 404 || es[2].Valid {
		t.Errorf("unrouted entry %+v", es[2])
	}
}

func TestAdminRequestsFilters(t *testing.T) {
	t.Parallel()
	m := newPetstore(t)
	before := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	call(t, m, "GET", "/v1/pets/1", "", key, "k")
	call(t, m, "GET", "/v1/pets/2", "")
	call(t, m, "GET", "/v1/pets", "", key, "k")
	tests := []struct {
		query string
		want  int
	}{
		{"", 3},
		{"?operation=getPet", 2},
		{"?operation=getPet&status=401", 1},
		{"?method=get&since=" + before, 3},
		{"?until=" + before, 0},
	}
	for _, tt := range tests {
		resp := call(t, m, "GET", "/__firedrill/requests"+tt.query, "")
		var es []toolkit.Entry
		if err := json.Unmarshal(readBody(t, resp), &es); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", tt.query, resp.StatusCode, err)
		}
		if len(es) != tt.want {
			t.Errorf("%s: %d entries, want %d", tt.query, len(es), tt.want)
		}
	}
	for _, bad := range []string{"?status=abc", "?since=yesterday", "?status=99"} {
		resp := call(t, m, "GET", "/__firedrill/requests"+bad, "")
		if p := decodeProblem(t, resp); resp.StatusCode != 400 || len(p.Violations) != 1 {
			t.Errorf("%s: %d %+v", bad, resp.StatusCode, p)
		}
	}
	if resp := call(t, m, "DELETE", "/__firedrill/requests", ""); resp.StatusCode != 204 || m.Journal().Total() != 0 {
		t.Fatalf("reset: %d, %d left", resp.StatusCode, m.Journal().Total())
	}
	if resp := call(t, m, "GET", "/__firedrill/nothing", ""); resp.StatusCode != 404 {
		t.Errorf("unknown admin path: %d", resp.StatusCode)
	}
	if resp := call(t, m, "POST", "/__firedrill/health", ""); resp.StatusCode != 405 || resp.Header.Get("Allow") == "" {
		t.Errorf("POST health: %d", resp.StatusCode)
	}
	if m.Journal().Total() != 0 {
		t.Error("admin calls were journaled as exchanges with the contract")
	}
}

// The health answer says what the journal keeps and what it dropped to
// stay within its bounds.
func TestHealthTellsWhatTheJournalDropped(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithJournalSize(4))
	for range 10 {
		call(t, m, "GET", "/v1/pets", "")
	}
	resp := call(t, m, "GET", "/__firedrill/health", "")
	var h toolkit.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h.Requests != 10 || h.Journal.Kept != 4 || h.Journal.Dropped != 6 || h.Journal.MaxEntries != 4 {
		t.Errorf("health %+v, want 10 requests, 4 kept, 6 dropped", h)
	}
}
