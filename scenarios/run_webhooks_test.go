package scenarios

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/mocks"
)

// webhookSecret is the secret of testdata/e2e/webhooks.yaml.
const webhookSecret = "whsec_dGVzdC13ZWJob29rLXNlY3JldA=="

// receiver plays the service under test of testdata/e2e/webhooks.yaml: it
// checks every delivery's signature on its own and counts the orders it
// took. refuse decides, per attempt of one delivery (from 1), whether to
// answer 503 instead.
type receiver struct {
	refuse func(attempt int) bool

	mu       sync.Mutex
	attempts map[string]int // webhook-id → attempts seen
	orders   map[string]int // data.id → deliveries taken
	problems []string
	first    chan struct{} // closed at the first delivery attempt
	once     sync.Once
}

func newReceiver(refuse func(int) bool) *receiver {
	return &receiver{refuse: refuse, attempts: map[string]int{}, orders: map[string]int{}, first: make(chan struct{})}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		return
	}
	body, _ := io.ReadAll(r.Body)
	rc.once.Do(func() { close(rc.first) })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/webhooks/orders" {
		rc.problems = append(rc.problems, "delivered to "+r.Method+" "+r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if err := verifyStandardWebhook(webhookSecret, r.Header, body); err != nil {
		rc.problems = append(rc.problems, "unsigned delivery: "+err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	rc.attempts[id]++
	if rc.refuse != nil && rc.refuse(rc.attempts[id]) {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	var ev struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Data.ID == "" {
		rc.problems = append(rc.problems, fmt.Sprintf("a delivery without data.id: %s", body))
		http.Error(w, "no order", http.StatusBadRequest)
		return
	}
	rc.orders[ev.Data.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// verifyStandardWebhook checks a delivery as the Standard Webhooks
// specification says, independently of the code that signed it.
func verifyStandardWebhook(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, _ := strings.Cut(sig, ","); v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", h.Get("webhook-signature"))
}

// inProcess is the embedded runtime with the service under test served in
// this process, on the address the run gave it, by a handler the test
// watches.
type inProcess struct {
	*Embedded
	h http.Handler

	mu      sync.Mutex
	servers []*http.Server
}

func (p *inProcess) Close(ctx context.Context) error {
	p.mu.Lock()
	servers := p.servers
	p.mu.Unlock()
	for _, srv := range servers {
		srv.Close()
	}
	return p.Embedded.Close(ctx)
}

func (p *inProcess) StartService(_ context.Context, spec ProcessSpec) (RunningService, error) {
	ln := p.reserved(spec.Name)
	if ln == nil {
		return nil, fmt.Errorf("no port held for %q", spec.Name)
	}
	srv := &http.Server{Handler: p.h, ReadHeaderTimeout: 5 * time.Second}
	p.mu.Lock()
	p.servers = append(p.servers, srv)
	p.mu.Unlock()
	go srv.Serve(ln)
	return servedService{srv}, nil
}

type servedService struct{ srv *http.Server }

func (servedService) WaitHealthy(context.Context, string, time.Duration) error { return nil }
func (servedService) LastLines() string                                        { return "" }
func (s servedService) Stop(time.Duration) error                               { return s.srv.Close() }

// runWebhooks runs testdata/e2e/webhooks.yaml against rc.
func runWebhooks(t *testing.T, ctx context.Context, rc *receiver, edit func(*Scenario)) (*Outcome, string, string, error) {
	t.Helper()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "webhooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(s)
	}
	dir := t.TempDir()
	var progress strings.Builder
	rt := &inProcess{Embedded: &Embedded{}, h: rc}
	out, err := Run(ctx, s, Options{Out: dir, Progress: &progress, Runtime: rt})
	t.Log(progress.String())
	return out, dir, progress.String(), err
}

// createdOrders reads the ids of the orders the shop mock created from the
// journal the run kept.
func createdOrders(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	for _, e := range journalOf(t, dir, "shop") {
		if e.Direction != "inbound" || e.Method != http.MethodPost || !strings.HasSuffix(e.Path, "/orders") || e.Status != http.StatusCreated {
			continue
		}
		var o struct{ ID string }
		if err := json.Unmarshal(e.ResponseBody, &o); err != nil || o.ID == "" {
			t.Fatalf("a created order without id: %s", e.ResponseBody)
		}
		ids = append(ids, o.ID)
	}
	return ids
}

// TestRunMockWebhooksReachTheService: every order the flow creates in the
// stateful shop mock reaches the service as one signed webhook at
// ${sync.url}, and the run reports what the mock delivered.
func TestRunMockWebhooksReachTheService(t *testing.T) {
	t.Parallel()
	rc := newReceiver(nil)
	out, dir, progress, err := runWebhooks(t, context.Background(), rc, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	ids := createdOrders(t, dir)
	if len(ids) < 15 {
		t.Fatalf("the flow created %d orders, want about 20", len(ids))
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.problems) > 0 {
		t.Errorf("the receiver saw %d bad deliveries: %v", len(rc.problems), rc.problems)
	}
	for _, id := range ids {
		if rc.orders[id] != 1 {
			t.Errorf("order %s reached the service %d times, want once", id, rc.orders[id])
		}
	}
	if len(rc.orders) != len(ids) {
		t.Errorf("the service got %d orders, the shop created %d", len(rc.orders), len(ids))
	}
	want := ci.Deliveries{Delivered: len(ids)}
	if got := out.Webhooks["shop"]; got != want {
		t.Errorf("outcome webhooks %+v, want %+v", got, want)
	}
	if !strings.Contains(progress, fmt.Sprintf(" %d delivered, 0 failed, 0 dropped\n", len(ids))) || strings.Contains(progress, "WARNING") {
		t.Errorf("the progress does not report the deliveries plainly:\n%s", progress)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Systems []ci.System
		Flows   []ci.Flow
	}
	if err := json.Unmarshal(summary, &rep); err != nil {
		t.Fatal(err)
	}
	for _, sys := range rep.Systems {
		if sys.Name == "shop" && (sys.Webhooks == nil || *sys.Webhooks != want) {
			t.Errorf("summary.json: shop's webhooks %+v, want %+v", sys.Webhooks, want)
		}
	}
	if !slices.Contains(rep.Flows, ci.Flow{Name: "webhooks", From: "shop", To: "sync"}) {
		t.Errorf("the system map lacks the webhooks from shop to sync: %+v", rep.Flows)
	}
}

// TestRunReportsLostWebhooks is the negative control: a service that
// refuses every delivery loses the vendor's data, and the run says so.
func TestRunReportsLostWebhooks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(func(int) bool { return true })
	out, dir, progress, err := runWebhooks(t, context.Background(), rc, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	ids := createdOrders(t, dir)
	got := out.Webhooks["shop"]
	if got.Failed != len(ids) || got.Delivered != 0 || got.Lost() != len(ids) || len(ids) == 0 {
		t.Errorf("outcome webhooks %+v for %d orders, want every one failed", got, len(ids))
	}
	rc.mu.Lock()
	for id, n := range rc.attempts {
		if n != 3 {
			t.Errorf("delivery %s attempted %d times, want the scenario's 3", id, n)
		}
	}
	rc.mu.Unlock()
	if !strings.Contains(progress, fmt.Sprintf("WARNING: %d events never reached their receiver", len(ids))) {
		t.Errorf("the progress does not warn of the lost deliveries:\n%s", progress)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), fmt.Sprintf("| shop ⚠️ | 0 | %d | 0 | 0 |", len(ids))) {
		t.Errorf("summary.md does not mark the lost deliveries:\n%s", md)
	}
}

// TestRunSettlesOnlyOnceWebhooksAreDelivered: a service that refuses each
// delivery once makes the mock retry after a backoff that leaves the
// journals quiet for longer than QuietFor after the attack; the run must
// wait for those retries instead of calling that quiet the end.
func TestRunSettlesOnlyOnceWebhooksAreDelivered(t *testing.T) {
	t.Parallel()
	rc := newReceiver(func(attempt int) bool { return attempt == 1 })
	out, dir, progress, err := runWebhooks(t, context.Background(), rc, func(s *Scenario) {
		// Two orders, at 0s and 1s of a 2s attack, retried at 4s and 5s:
		// the journals are quiet from 1s to 4s, and the retries go one
		// lane each (a lane waits out its head's backoff).
		s.Load.Peak = Rate{Count: 1, Per: time.Second}
		s.Systems["shop"].Mock.WebhookRetry = &mocks.WebhookRetry{Attempts: 3, Backoff: Duration(2*time.Second + 2*QuietFor)}
		s.Gates.Consistency = nil // no check that could keep the run waiting
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	ids := createdOrders(t, dir)
	if want := (ci.Deliveries{Delivered: len(ids)}); out.Webhooks["shop"] != want || len(ids) == 0 {
		t.Errorf("checked with webhooks %+v, want %+v", out.Webhooks["shop"], want)
	}
	if !strings.Contains(progress, "settle quiet after") {
		t.Errorf("the run never settled:\n%s", progress)
	}
}

// webhookWorkers counts the goroutines delivering webhooks that carry the
// profiler label run=id: those a run started, and only that run.
func webhookWorkers(id string) int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	n := 0
	for _, group := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(group, `"run":"`+id+`"`) && strings.Contains(group, "toolkit.(*Webhooks).work") {
			var count int
			fmt.Sscanf(group, "%d @", &count)
			n += count
		}
	}
	return n
}

// TestRunDownStopsWebhookDelivery: a run whose context ends while its mock
// is still retrying deliveries leaves no delivering goroutine behind.
func TestRunDownStopsWebhookDelivery(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("%p", t)
	rc := newReceiver(func(int) bool { return true })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	during := make(chan int, 1)
	go func() {
		select {
		case <-rc.first:
		case <-time.After(10 * time.Second):
		}
		time.Sleep(100 * time.Millisecond)
		during <- webhookWorkers(id)
		cancel()
	}()
	var err error
	pprof.Do(context.Background(), pprof.Labels("run", id), func(context.Context) {
		_, _, _, err = runWebhooks(t, ctx, rc, func(s *Scenario) {
			s.Systems["shop"].Mock.WebhookRetry = &mocks.WebhookRetry{Attempts: 20, Backoff: Duration(200 * time.Millisecond)}
			s.Load.Duration = Duration(10 * time.Second)
		})
	})
	if ci.CodeOf(err) != ci.ExitInterrupted {
		t.Fatalf("want exit 130, got %v (%v)", ci.CodeOf(err), err)
	}
	if n := <-during; n == 0 {
		t.Fatal("no labelled delivering goroutine while the mock was retrying: the check proves nothing")
	}
	if n := webhookWorkers(id); n != 0 {
		t.Errorf("%d goroutines still deliver webhooks after down", n)
	}
}

// TestRunMockWebhooksToALaterMock: a mock's webhooks may go to a vendor
// declared after it in the file; the run starts that vendor first, and
// every delivery reaches it.
func TestRunMockWebhooksToALaterMock(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "webhooks-to-mock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var progress strings.Builder
	out, err := Run(context.Background(), s, Options{Out: dir, Progress: &progress, Runtime: &Embedded{}})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	orders := createdOrders(t, dir)
	hooks := 0
	for _, e := range journalOf(t, dir, "ledger") {
		if e.Method == http.MethodPost && e.Path == "/hooks" && e.Header.Get("webhook-signature") != "" {
			hooks++
		}
	}
	if len(orders) == 0 || hooks != len(orders) || out.Webhooks["shop"].Failed != len(orders) {
		t.Errorf("%d orders, %d signed deliveries at the ledger, outcome %+v", len(orders), hooks, out.Webhooks["shop"])
	}
}
