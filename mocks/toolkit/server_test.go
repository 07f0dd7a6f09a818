package toolkit

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerIsShapedLikeHttptest: the one server of every mock kind serves
// on loopback with the mock's path in URL, waits in Close for the requests
// in flight, and Close is idempotent and safe on nil.
func TestServerIsShapedLikeHttptest(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "ok")
	})
	s, err := NewServer(h, ServerConfig{Name: "test", Path: "/api"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.URL != "http://"+s.Addr+"/api" {
		t.Fatalf("Addr %q URL %q", s.Addr, s.URL)
	}
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(s.URL + "/slow")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-entered
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a request was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-closed
	if code := <-got; code != http.StatusOK {
		t.Fatalf("the request in flight got %d", code)
	}
	if _, err := http.Get(s.URL + "/fast"); err == nil {
		t.Fatal("the server still answers after Close")
	}
	s.Close() // idempotent
	var none *Server[http.Handler]
	none.Close() // nil-safe
}

// TestServerStartAndContext: an unstarted server has no URL; Start twice is
// an error; the server closes when Start's context ends; a taken port is
// an error naming the address.
func TestServerStartAndContext(t *testing.T) {
	t.Parallel()
	s := NewUnstartedServer(http.NotFoundHandler(), ServerConfig{Name: "test"})
	if s.URL != "" {
		t.Fatal("an unstarted server has a URL")
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Fatal("a second Start succeeded")
	}
	if _, err := NewServer(http.NotFoundHandler(), ServerConfig{Name: "twin", Addr: s.Addr}); err == nil || !strings.Contains(err.Error(), s.Addr) {
		t.Fatalf("a taken port: %v", err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get(s.URL); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server still answers after its context ended")
}
