package scenarios

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The embedded runtime serves mocks with the limits every mock server
// keeps: a request with both Content-Length and Transfer-Encoding is
// refused at once, not left hanging, and headers over the bound get 431.
func TestEmbeddedMockServerKeepsTheLimits(t *testing.T) {
	t.Parallel()
	e := &Embedded{}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	addr, err := e.ServeMock(context.Background(), "shop", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}), toolkit.ServerLimits{})
	if err != nil {
		t.Fatal(err)
	}
	exchange := func(raw string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		go func() { _, _ = io.WriteString(c, raw) }()
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	if got := exchange("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\n{\"id\":\"1\"}"); !strings.Contains(got, " 400 ") {
		t.Errorf("Content-Length with Transfer-Encoding: %q, want a 400 at once", got)
	}
	if got := exchange("GET /orders HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 200<<10) + "\r\n\r\n"); !strings.Contains(got, " 431 ") {
		t.Errorf("a 200 KiB header: %q, want 431", got)
	}
	if got := exchange("GET /orders HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(got, " 200 ") {
		t.Errorf("a plain request: %q, want 200", got)
	}
	// A mock's own bounds: a declaration's server: limits reach its server.
	small, err := e.ServeMock(context.Background(), "crm", http.NotFoundHandler(), toolkit.ServerLimits{MaxHeaderBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	addr = small
	if got := exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"); !strings.Contains(got, " 431 ") {
		t.Errorf("an 8 KiB header to a mock bounded at 1 KiB: %q, want 431", got)
	}
}
