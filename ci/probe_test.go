package ci

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A dead-letter queue, as a service reports it.
func deadLetters(t *testing.T, count *atomic.Int64) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/dead-letters":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"count": %d, "items": []}`, count.Load())
		case "/text":
			fmt.Fprint(w, "all good")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestProbeGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var count atomic.Int64
	url := deadLetters(t, &count)
	probe := func(o ProbeOptions) Gate {
		o.Name = "no dead letters"
		if o.URL == "" {
			o.URL = url + "/admin/dead-letters"
		}
		return Probe(ctx, o)
	}
	// The positive control: an empty queue passes.
	if g := probe(ProbeOptions{Expect: 200, JSON: "body.count == 0"}); !g.Passed || g.Kind != KindService {
		t.Errorf("empty queue: %s: %s (%s)", g.Status(), g.Reason, g.Measured)
	}
	count.Store(3)
	for name, c := range map[string]struct {
		o    ProbeOptions
		want string
	}{
		"parked letters":   {ProbeOptions{Expect: 200, JSON: "body.count == 0"}, "makes body.count == 0 false"},
		"wrong status":     {ProbeOptions{URL: url + "/missing", Expect: 200}, "answered 404, want 200"},
		"no 2xx":           {ProbeOptions{URL: url + "/missing"}, "want a 2xx"},
		"not JSON":         {ProbeOptions{URL: url + "/text", JSON: "body.ok"}, "not JSON"},
		"not a boolean":    {ProbeOptions{JSON: "body.count"}, "is not true or false"},
		"no such field":    {ProbeOptions{JSON: "body.missing.depth == 0"}, "body.missing.depth == 0"},
		"unreachable":      {ProbeOptions{URL: "http://127.0.0.1:1/admin"}, "no answer from"},
		"does not compile": {ProbeOptions{JSON: "body.count =="}, "Syntax error"},
	} {
		g := probe(c.o)
		if g.Passed || g.Skipped || !strings.Contains(g.Reason, c.want) {
			t.Errorf("%s: %s: %s (%s), want a failure: %s", name, g.Status(), g.Reason, g.Measured, c.want)
		}
	}
	// Polled within a bound: a queue that drains in time passes, one
	// asked once before it drains fails.
	if g := probe(ProbeOptions{JSON: "body.count == 0"}); g.Passed || !strings.Contains(g.Measured, `"count": 3`) {
		t.Errorf("asked once: %s (%s), want a failure showing the count", g.Status(), g.Measured)
	}
	go func() { time.Sleep(300 * time.Millisecond); count.Store(0) }()
	if g := probe(ProbeOptions{JSON: "body.count == 0", Within: 5 * time.Second, Interval: 50 * time.Millisecond}); !g.Passed {
		t.Errorf("drained within the bound: %s: %s", g.Status(), g.Reason)
	}
	if err := CompileProbe("size(body.items) == 0 && status == 200"); err != nil {
		t.Errorf("CompileProbe: %v", err)
	}
	if err := CompileProbe("body.items.(("); err == nil {
		t.Error("CompileProbe took a broken expression")
	}
}
