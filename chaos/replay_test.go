package chaos

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// staleServer answers the first request of its first connection and then
// closes that connection when the next request arrives, without answering:
// what a server does when its idle timeout ends as a client reuses the
// connection. Later connections are answered normally.
func staleServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(first bool) {
				defer c.Close()
				r := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if first && i == 1 {
						return // closed under the client's feet
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
				}
			}(n == 0)
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestAPICallSurvivesAStaleConnection: a revert must not fail because the
// server closed a kept-alive connection just as it was reused.
func TestAPICallSurvivesAStaleConnection(t *testing.T) {
	t.Parallel()
	tp, err := Remote(staleServer(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tp.do(ctx, http.MethodPost, "/proxies/p", map[string]bool{"enabled": false}, nil, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if err := tp.do(ctx, http.MethodPost, "/proxies/p", map[string]bool{"enabled": true}, nil, http.StatusOK); err != nil {
		t.Fatalf("the second call failed on the stale connection: %v", err)
	}
}

// TestStaleConnectionFailsAPlainPost is the negative control: the same
// server breaks a POST that is not marked replayable.
func TestStaleConnectionFailsAPlainPost(t *testing.T) {
	t.Parallel()
	url := staleServer(t)
	client := &http.Client{}
	for i, want := range []bool{true, false} {
		resp, err := client.Post(url+"/proxies/p", "application/json", strings.NewReader(`{}`))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if (err == nil) != want {
			t.Fatalf("call %d: err %v; the stale server does not behave as the test needs", i, err)
		}
	}
}
