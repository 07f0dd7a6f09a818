package graphql_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/graphql"
)

func TestServer(t *testing.T) {
	t.Parallel()
	s, err := graphql.NewServer(shopSchema(t), graphql.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !strings.HasPrefix("http://"+s.Addr, "http://127.0.0.1:") || s.URL != "http://"+s.Addr+"/graphql" {
		t.Fatalf("URL %q endpoint %q", "http://"+s.Addr, s.URL)
	}
	resp, err := http.Get("http://" + s.Addr + "/__firedrill/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health: %d", resp.StatusCode)
	}
	resp, err = http.Post(s.URL, "application/json", strings.NewReader(`{"query":"{ version }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version"`) {
		t.Errorf("query: %d %s", resp.StatusCode, body)
	}
	if s.Mock.Journal().Total() != 1 {
		t.Errorf("journal holds %d entries; want the one query", s.Mock.Journal().Total())
	}
}

func TestServerCloseWaitsForInFlight(t *testing.T) {
	t.Parallel()
	release, entered := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := func(fieldName, scalarType string, seed int64) any {
		if fieldName == "version" {
			once.Do(func() { close(entered) })
			<-release
		}
		return "v1"
	}
	s, err := graphql.NewServer(shopSchema(t), graphql.WithScalars(slow))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var status int
	go func() {
		defer wg.Done()
		resp, err := http.Post(s.URL, "application/json", strings.NewReader(`{"query":"{ version }"}`))
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			return
		}
		status = resp.StatusCode
		resp.Body.Close()
	}()
	<-entered
	closed := make(chan error, 1)
	go func() { s.Close(); closed <- nil }()
	select {
	case <-closed:
		t.Fatal("Close returned while a request was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	if status != 200 {
		t.Errorf("in-flight request answered %d; want 200", status)
	}
	s.Close() // idempotent
	var nilServer *graphql.Server
	nilServer.Close() // nil-safe
	if _, err := http.Get("http://" + s.Addr + "/__firedrill/health"); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestOptionsRefuseBadValues(t *testing.T) {
	t.Parallel()
	c := shopSchema(t)
	for name, opt := range map[string]graphql.Option{
		"public address":   graphql.WithAddr("0.0.0.0:0"),
		"bad address":      graphql.WithAddr("nonsense"),
		"admin path":       graphql.WithPath("/__firedrill/graphql"),
		"relative path":    graphql.WithPath("graphql"),
		"negative journal": graphql.WithJournalSize(-1),
		"nil logger":       graphql.WithLogger(nil),
		"nil scalars":      graphql.WithScalars(nil),
	} {
		if _, err := graphql.NewServer(c, opt); err == nil || !strings.HasPrefix(err.Error(), "graphql: ") {
			t.Errorf("%s: err = %v; want a graphql: error", name, err)
		}
	}
	if _, err := graphql.NewHandler(nil); err == nil {
		t.Error("nil contract accepted")
	}
	s, err := graphql.NewServer(c, graphql.WithAddr("127.0.0.1:0"), graphql.WithPath("/api/graphql"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasSuffix(s.URL, "/api/graphql") {
		t.Errorf("endpoint %s", s.URL)
	}
}
