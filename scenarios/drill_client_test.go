package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ci"
)

// TestDrillReadsRealSystemsReadOnly: a drill's consistency check reads a
// real list endpoint page by page, with the credential from the
// environment, paced at drill.read_rate, waiting the Retry-After of a 429,
// and past the drill's proxies; the audit log shows the wait.
func TestDrillReadsRealSystemsReadOnly(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var times []time.Time
	var auth []string
	throttled := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		auth = append(auth, r.Header.Get("Authorization"))
		first := !throttled
		throttled = true
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var items []map[string]any
		for i := (page - 1) * 2; i < min(page*2, 5); i++ {
			items = append(items, map[string]any{"id": fmt.Sprint(i)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"orders": items})
	}))
	t.Cleanup(srv.Close)
	src := fmt.Sprintf(`name: read-only
runtime: staging
drill:
  allow: ["127.0.0.1"]
  read_rate: 4/s
systems:
  shop: {url: %q}
gates:
  consistency:
    settle: 20s
    checks:
      - name: every order once
        source: {system: shop, path: /orders, items: orders, paging: {kind: page, param: page, size_param: limit, size: 2}, auth: {bearer_env: SHOP_TOKEN}}
        target: {system: shop, path: /orders, items: orders, paging: {kind: page, param: page, size_param: limit, size: 2}, auth: {bearer_env: SHOP_TOKEN}}
        join: {source: id, target: id}
`, srv.URL)
	s, err := Parse(filepath.Join(t.TempDir(), "d.yaml"), []byte(src))
	if err == nil {
		err = s.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) (string, bool) {
		if k == "SHOP_TOKEN" {
			return "tok-123", true
		}
		return "", false
	}
	dir := t.TempDir()
	out, err := Run(context.Background(), s, Options{Out: dir, Getenv: getenv})
	if err != nil {
		t.Fatalf("%v\n%+v", err, out.Verdict.Gates)
	}
	mu.Lock()
	defer mu.Unlock()
	// 1 throttled + 3 pages + 3 pages.
	if len(times) != 7 {
		t.Fatalf("%d requests, want 7", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 950*time.Millisecond {
		t.Errorf("the retry came %s after a Retry-After of 1s", gap)
	}
	for i := 2; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 200*time.Millisecond {
			t.Errorf("requests %d and %d %s apart: faster than 4/s", i-1, i, gap)
		}
	}
	for _, a := range auth {
		if a != "Bearer tok-123" {
			t.Errorf("a read carried %q", a)
		}
	}
	audit, _ := os.ReadFile(filepath.Join(dir, DrillAuditFile))
	if !strings.Contains(string(audit), "honoured Retry-After: waited 1s") {
		t.Errorf("the audit log does not show the wait:\n%s", audit)
	}
}

// TestDrillReadClientRefusesWrites: the consistency checks' client sends
// GET and HEAD only, and only to allow-listed hosts.
func TestDrillReadClientRefusesWrites(t *testing.T) {
	t.Parallel()
	srv, hits := stagingEndpoint(t)
	r := &run{s: &Scenario{Runtime: "staging", Drill: &Drill{Allow: []string{"127.0.0.1"}}}}
	client := r.readClient()
	for _, c := range []struct {
		method, url string
		ok          bool
	}{
		{http.MethodGet, srv.URL, true},
		{http.MethodPost, srv.URL, false},
		{http.MethodDelete, srv.URL, false},
		{http.MethodGet, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), false},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		resp, err := client.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("%s %s: %v", c.method, c.url, err)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests reached the system, want the GET only", hits.Load())
	}
	if _, ok := retryAfter(&http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {time.Now().Add(90 * time.Minute).UTC().Format(http.TimeFormat)}}}, time.Now()); !ok {
		t.Error("an HTTP-date Retry-After is not read")
	}
	if d, _ := retryAfter(&http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7200"}}}, time.Now()); d != maxRetryAfter {
		t.Errorf("a Retry-After of 2h waits %s, want the cap", d)
	}
	_ = ci.ExitPass
}
