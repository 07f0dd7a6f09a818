package openapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

func TestServerServesOnLoopbackUnderTheBasePath(t *testing.T) {
	t.Parallel()
	s, err := NewServer(petstoreContract(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasSuffix(s.URL, "/v1") {
		t.Fatalf("URL %q: want http://127.0.0.1:PORT/v1", s.URL)
	}
	resp, err := http.Get("http://" + s.Addr + "/__firedrill/health")
	if err != nil {
		t.Fatal(err)
	}
	var h toolkit.Health
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || h.Operations != 7 || h.BasePath != "/v1" {
		t.Fatalf("health %d %+v", resp.StatusCode, h)
	}
	req, _ := http.NewRequest("GET", s.URL+"/pets/1", nil)
	req.Header.Set(key, "k")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s/pets/1: %d", s.URL, resp.StatusCode)
	}
}

func TestServerCloseWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	var started atomic.Bool
	slow := WithStage(func(next toolkit.HandlerFunc) toolkit.HandlerFunc {
		return func(w http.ResponseWriter, x *toolkit.Exchange) {
			started.Store(true)
			time.Sleep(300 * time.Millisecond)
			next(w, x)
		}
	})
	s, err := NewServer(petstoreContract(t), slow)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", s.URL+"/pets/1", nil)
		req.Header.Set(key, "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	for !started.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	if code := <-got; code != 200 {
		t.Fatalf("the request in flight got %d, want 200: Close did not wait", code)
	}
	if _, err := http.Get(s.URL + "/pets/1"); err == nil {
		t.Fatal("the server still answers after Close")
	}
	s.Close() // idempotent
	var nilServer *Server
	nilServer.Close() // nil-safe
}

func TestServerStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	s, err := NewUnstartedServer(petstoreContract(t), WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
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
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get("http://" + s.Addr + "/__firedrill/health"); err != nil {
			s.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server still answers after its context ended")
}

func TestServerPortInUse(t *testing.T) {
	t.Parallel()
	a, err := NewServer(petstoreContract(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := NewServer(petstoreContract(t), WithAddr(a.Addr)); err == nil || !strings.Contains(err.Error(), a.Addr) {
		t.Fatalf("a taken port: %v", err)
	}
}
