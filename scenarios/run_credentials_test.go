package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// journalOf reads a system's journal from a run folder.
func journalOf(t *testing.T, dir, system string) []toolkit.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "journal-"+system+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []toolkit.Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e toolkit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestRunMockCredentials: a scenario's api_keys and rate_limit reach the
// GraphQL mock and its basic_users the OpenAPI mock: the right credential
// passes, a missing or wrong one gets 401, and past its budget the CRM
// throttles.
func TestRunMockCredentials(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "credentials.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var progress strings.Builder
	if _, err := Run(context.Background(), s, Options{Out: dir, Progress: &progress, Runtime: &Embedded{}}); err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	count := func(entries []toolkit.Entry, keep func(toolkit.Entry) bool) int {
		n := 0
		for _, e := range entries {
			if keep(e) {
				n++
			}
		}
		return n
	}
	crm := journalOf(t, dir, "crm")
	keyed := func(e toolkit.Entry) bool { return e.Header.Get("Authorization") != "" }
	ok := count(crm, func(e toolkit.Entry) bool { return keyed(e) && e.Status == 200 })
	throttled := count(crm, func(e toolkit.Entry) bool { return keyed(e) && e.Status == 429 && e.Throttled })
	refused := count(crm, func(e toolkit.Entry) bool { return !keyed(e) && e.Status == 401 })
	unkeyedPassed := count(crm, func(e toolkit.Entry) bool { return !keyed(e) && e.Status == 200 })
	if ok < 5 || throttled == 0 || refused < 10 || unkeyedPassed > 0 {
		t.Errorf("crm: %d keyed answered, %d keyed throttled, %d unkeyed refused, %d unkeyed answered; want >= 5, > 0, >= 10, 0", ok, throttled, refused, unkeyedPassed)
	}
	ledger := journalOf(t, dir, "ledger")
	created := count(ledger, func(e toolkit.Entry) bool { return e.Status == 201 })
	wrong := count(ledger, func(e toolkit.Entry) bool { return e.Status == 401 })
	if created < 10 || wrong < 10 || created+wrong != len(ledger) {
		t.Errorf("ledger: %d booked as ops, %d refused, of %d requests", created, wrong, len(ledger))
	}
	if strings.Contains(progress.String(), "webhook ") {
		t.Errorf("a mock asked for no webhooks reports deliveries:\n%s", progress.String())
	}
}

// TestRunMockCallbacks: a request that names a callback URL gets the
// contract's callback there, signed with the scenario's callbacks secret;
// signed with another secret, the service refuses every one.
func TestRunMockCallbacks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secret string
		signed bool
	}{{webhookSecret, true}, {"whsec_b3RoZXItc2VjcmV0", false}} {
		t.Run(fmt.Sprint(tc.signed), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(nil)
			_, dir, progress, err := runWebhooks(t, context.Background(), rc, func(s *Scenario) {
				shop := s.Systems["shop"].Mock
				shop.Webhooks, shop.WebhookRetry = nil, &mocks.WebhookRetry{Attempts: 2, Backoff: Duration(50e6)}
				shop.Callbacks = &mocks.CallbackSigning{Secret: tc.secret}
				s.Load.Flow[0].Body.(map[string]any)["callback_url"] = "${sync.url}/webhooks/orders"
			})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			ids := createdOrders(t, dir)
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if !tc.signed {
				if len(rc.orders) > 0 || len(rc.problems) < len(ids) {
					t.Errorf("signed with another secret: %d orders taken, %d refused of %d", len(rc.orders), len(rc.problems), len(ids))
				}
				return
			}
			if len(rc.problems) > 0 {
				t.Errorf("bad callbacks: %v", rc.problems)
			}
			if len(ids) < 15 || len(rc.orders) != len(ids) {
				t.Errorf("%d orders created, %d called back\n%s", len(ids), len(rc.orders), progress)
			}
			for _, id := range ids {
				if rc.orders[id] != 1 {
					t.Errorf("order %s called back %d times", id, rc.orders[id])
				}
			}
		})
	}
}

// tokenRuntime serves the in-process service and, as it starts, asks the
// CRM mock for a token the way the service would.
type tokenRuntime struct {
	*inProcess
	expiresIn int
	err       error
}

func (r *tokenRuntime) StartService(ctx context.Context, spec ProcessSpec) (RunningService, error) {
	for _, kv := range spec.Env {
		if crm, ok := strings.CutPrefix(kv, "CRM_URL="); ok {
			r.expiresIn, r.err = tokenLife(ctx, crm+"/oauth/token")
		}
	}
	return r.inProcess.StartService(ctx, spec)
}

func tokenLife(ctx context.Context, endpoint string) (int, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"sync"}, "client_secret": {"s3cret"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var tok struct {
		ExpiresIn int `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("token endpoint: %d %v", resp.StatusCode, err)
	}
	return tok.ExpiresIn, nil
}

// TestRunMockTokenTTL: a scenario's oauth_token_ttl is the life of the
// tokens the mock serves (90 s here, not the hour of the default).
func TestRunMockTokenTTL(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "tokens.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rt := &tokenRuntime{inProcess: &inProcess{Embedded: &Embedded{}, h: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}}
	if _, err := Run(context.Background(), s, Options{Out: t.TempDir(), Runtime: rt}); err != nil {
		t.Fatalf("run: %v", err)
	}
	if rt.err != nil || rt.expiresIn != 90 {
		t.Errorf("the token the mock served lives %d s (%v), want 90", rt.expiresIn, rt.err)
	}
}
