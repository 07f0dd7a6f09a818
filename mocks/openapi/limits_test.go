package openapi

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// heapInuse is the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestServerBoundsMemory: through its server, 300 GETs with a 900 KB
// header each (270 MB) are refused with 431 and the mock's heap stays
// under 200 MiB; an ordinary GET is served and journaled.
func TestServerBoundsMemory(t *testing.T) {
	s, err := NewServer(petstoreContract(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	get := func(pad string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/pets", nil)
		req.Header.Set("X-API-Key", "k")
		req.Header.Set("X-Pad", pad)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 300 {
		if got := get(strings.Repeat(string(rune('a'+i%26)), 900<<10)); got != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("a 900 KB header: %d, want 431", got)
		}
	}
	if heap := heapInuse(); heap > 200<<20 {
		t.Errorf("heap in use %d MiB, want under 200 MiB", heap>>20)
	}
	if got := get("small"); got != http.StatusOK || s.Mock.Journal().Total() != 1 {
		t.Errorf("an ordinary GET: %d, %d journaled; want 200 and 1", got, s.Mock.Journal().Total())
	}
}

// TestLongIdempotencyKeysBounded: handed straight to the mock (as a
// server with net/http's 1 MB header limit would), 1,000 POSTs with
// distinct 300 KB idempotency keys are refused with a 400 problem naming
// the header, and neither the store nor the journal keeps the keys.
func TestLongIdempotencyKeysBounded(t *testing.T) {
	m := newPetstore(t, WithStateful(true), WithIdempotency(toolkit.IdempotencyOptions{}))
	for i := range 1000 {
		key := strings.Repeat(string(rune('a'+i%26)), 300<<10) + string(rune('0'+i%10))
		resp := call(t, m, "POST", "/v1/pets", `{"name":"Rex","species":"dog"}`, "X-API-Key", "k", "Content-Type", "application/json", "Idempotency-Key", key)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a 300 KB key: %d, want 400", resp.StatusCode)
		}
		if i == 0 {
			var p toolkit.Problem
			if err := json.Unmarshal(readBody(t, resp), &p); err != nil || len(p.Violations) != 1 || p.Violations[0].Name != "Idempotency-Key" {
				t.Fatalf("the problem does not name Idempotency-Key: %+v (%v)", p, err)
			}
		}
	}
	if heap := heapInuse(); heap > 200<<20 {
		t.Errorf("heap in use %d MiB after 1,000 POSTs with 300 KB keys, want under 200 MiB", heap>>20)
	}
	if n := m.Store().Len("pets"); n != 0 {
		t.Errorf("%d pets created by refused requests", n)
	}
	key := strings.Repeat("k", 200)
	for range 2 {
		resp := call(t, m, "POST", "/v1/pets", `{"name":"Rex","species":"dog"}`, "X-API-Key", "k", "Content-Type", "application/json", "Idempotency-Key", key)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("a 200-character key: %d %s", resp.StatusCode, readBody(t, resp))
		}
	}
	if n := m.Store().Len("pets"); n != 1 {
		t.Errorf("a 200-character key sent twice created %d pets, want 1", n)
	}
}

// TestContentLengthWithTransferEncoding: the hang reproduced over TCP: a
// JSON body sent with both headers is answered 400 within a second.
func TestContentLengthWithTransferEncoding(t *testing.T) {
	t.Parallel()
	s, err := NewServer(petstoreContract(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"name":"Rex","species":"dog"}`
	_, _ = io.WriteString(c, "POST /v1/pets HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Type: application/json\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n"+body)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	got, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(got), "HTTP/1.1 400") {
		t.Fatalf("answered %q (%v), want a 400 within a second", got, err)
	}
}
