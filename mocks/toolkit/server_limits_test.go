package toolkit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoBody is a mock's way with a body: read it whole, 400 when it cannot
// be read, else 200 with its length.
var echoBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Request body unreadable", Detail: err.Error()})
		return
	}
	_, _ = io.WriteString(w, strings.Repeat("x", len(b)))
})

func startServer(t *testing.T, h http.Handler, l ServerLimits) *Server[http.Handler] {
	t.Helper()
	s, err := NewServer(h, ServerConfig{Name: "test", Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// dial opens a raw TCP connection to s.
func dial(t *testing.T, s *Server[http.Handler]) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads c until the server closes it, and fails when that
// takes longer than d; it returns what was read.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still held the connection after %v (read %q)", d, b)
	}
	return string(b)
}

// TestServerRefusesLargeHeaders: 300 GETs with a 900 KB header each are
// refused with 431 before the mock sees them, and the process's heap stays
// small although the mock keeps every header it is handed (as a journal
// does); a request with ordinary headers is served.
func TestServerRefusesLargeHeaders(t *testing.T) {
	var mu sync.Mutex
	var kept []http.Header
	s := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		kept = append(kept, r.Header)
		mu.Unlock()
	}), ServerLimits{})
	for i := range 300 {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/orders", nil)
		req.Header.Set("X-Big", strings.Repeat(string(rune('a'+i%26)), 900<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("a 900 KB header: %d, want 431", resp.StatusCode)
		}
	}
	if heap := heapInuse(); heap > 200<<20 {
		t.Errorf("heap in use %d MiB after 300 requests with 900 KB headers, want under 200 MiB", heap>>20)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/orders", nil)
	req.Header.Set("X-Trace", strings.Repeat("t", 8<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != http.StatusOK || len(kept) != 1 {
		t.Errorf("an 8 KB header: %d, %d requests reached the mock; want 200 and 1", resp.StatusCode, len(kept))
	}
}

// TestServerClosesStalledConnections: a half-sent body, a half-sent header
// and an idle keep-alive connection are closed by the server once their
// timeouts pass.
func TestServerClosesStalledConnections(t *testing.T) {
	t.Parallel()
	l := ServerLimits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}
	s := startServer(t, echoBody, l)
	t.Run("half-sent body", func(t *testing.T) {
		t.Parallel()
		c := dial(t, s)
		_, _ = io.WriteString(c, "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
		if got := closedWithin(t, c, 5*time.Second); !strings.HasPrefix(got, "HTTP/1.1 400") {
			t.Errorf("answered %q, want a 400", got)
		}
	})
	t.Run("half-sent header", func(t *testing.T) {
		t.Parallel()
		c := dial(t, s)
		_, _ = io.WriteString(c, "GET /orders HTTP/1.1\r\nHost: x\r\n")
		closedWithin(t, c, 5*time.Second)
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		t.Parallel()
		c := dial(t, s)
		_, _ = io.WriteString(c, "GET /orders HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the first request: %v %v", resp, err)
		}
		closedWithin(t, c, 5*time.Second)
	})
}

// TestServerDefaultLimits: the limits a server gets unless told otherwise.
func TestServerDefaultLimits(t *testing.T) {
	t.Parallel()
	s := NewUnstartedServer(http.NotFoundHandler(), ServerConfig{})
	want := ServerLimits{MaxHeaderBytes: DefaultMaxHeaderBytes, ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout, IdleTimeout: DefaultIdleTimeout}
	if s.Limits != want {
		t.Errorf("limits %+v, want %+v", s.Limits, want)
	}
	if DefaultMaxHeaderBytes != 64<<10 || DefaultReadHeaderTimeout != 10*time.Second || DefaultReadTimeout != time.Minute || DefaultIdleTimeout != 2*time.Minute {
		t.Errorf("the documented defaults changed: %+v", want)
	}
	srv := want.HTTPServer(http.NotFoundHandler())
	if srv.MaxHeaderBytes != DefaultMaxHeaderBytes || srv.ReadHeaderTimeout != DefaultReadHeaderTimeout || srv.IdleTimeout != DefaultIdleTimeout || srv.WriteTimeout != 0 {
		t.Errorf("http.Server %+v does not carry the limits (and no write timeout)", srv)
	}
}

// TestServerSlowRequestsStillServed: the controls. A body sent slowly but
// within the read timeout is read whole, and an answer that takes longer
// than the read timeout (a slow fault) is written whole, its request's
// context alive until then, with or without a body.
func TestServerSlowRequestsStillServed(t *testing.T) {
	t.Parallel()
	l := ServerLimits{ReadTimeout: 500 * time.Millisecond, IdleTimeout: 500 * time.Millisecond}
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		for range 6 { // 1.2 s, past the read timeout, writing slowly
			select {
			case <-r.Context().Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			_, _ = w.Write([]byte("."))
			http.NewResponseController(w).Flush()
		}
		_, _ = w.Write(b)
	})
	s := startServer(t, slow, l)
	t.Run("slow body", func(t *testing.T) {
		t.Parallel()
		c := dial(t, s)
		_, _ = io.WriteString(c, "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
		for _, b := range "abcd" {
			time.Sleep(50 * time.Millisecond)
			_, _ = c.Write([]byte{byte(b)})
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(got) != "......abcd" || err != nil {
			t.Errorf("answered %d %q (%v), want 200 \"......abcd\"", resp.StatusCode, got, err)
		}
	})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run("slow answer "+method, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if method == http.MethodPost {
				body = strings.NewReader("abcd")
			}
			req, _ := http.NewRequest(method, s.URL+"/orders", body)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil || !strings.HasPrefix(string(got), "......") {
				t.Errorf("answered %q (%v), want the whole slow answer", got, err)
			}
		})
	}
}

// TestServerRefusesContentLengthWithTransferEncoding: a request with both
// (a smuggling attempt, RFC 9112 section 6.3) is answered 400 within a
// second and its connection closed, whether it comes first on its
// connection or after a request served on it; chunked requests and
// requests with a Content-Length are served as ever.
func TestServerRefusesContentLengthWithTransferEncoding(t *testing.T) {
	t.Parallel()
	s := startServer(t, echoBody, ServerLimits{})
	const both = "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\n{\"id\":\"1\"}"
	for name, before := range map[string]string{
		"first":      "",
		"after one":  "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
		"after many": strings.Repeat("POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: t\r\n\r\nGET /orders HTTP/1.1\r\nHost: x\r\n\r\n", 3),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, s)
			start := time.Now()
			_, _ = io.WriteString(c, before+both)
			got := closedWithin(t, c, time.Second)
			served := strings.Count(got, "HTTP/1.1 200")
			if want := strings.Count(before, "HTTP/1.1\r\n"); served != want || !strings.Contains(got, "HTTP/1.1 400") || !strings.Contains(got, ProblemContentType) || !strings.Contains(got, "Transfer-Encoding") {
				t.Errorf("answered, in %v:\n%s\nwant %d 200s then a 400 problem naming Transfer-Encoding", time.Since(start), got, want)
			}
		})
	}
	t.Run("chunked alone", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Post(s.URL+"/orders", "text/plain", io.MultiReader(strings.NewReader("ab"), strings.NewReader("cd"))) // no length: chunked
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != "xxxx" {
			t.Errorf("a chunked request: %d %q", resp.StatusCode, got)
		}
	})
}
