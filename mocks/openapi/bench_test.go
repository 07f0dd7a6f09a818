package openapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
)

// loopbackServer serves h on 127.0.0.1 until the benchmark ends.
func loopbackServer(b *testing.B, h http.Handler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// hammer sends n requests from parallel clients over keep-alive connections
// and returns the time it took.
func hammer(b *testing.B, n int, newReq func() *http.Request) time.Duration {
	b.Helper()
	workers := 4 * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				resp, err := client.Do(newReq())
				if err != nil {
					failed.Store(err.Error())
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					failed.Store(fmt.Sprintf("status %d", resp.StatusCode))
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		b.Fatalf("a request failed: %v", f)
	}
	return time.Since(start)
}

// rawLike is a plain net/http handler answering what the mock answers.
func rawLike(status int, header http.Header, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		w.Write(body)
	})
}

// benchRatio measures the mock and a raw handler writing the same answer,
// in the same run, and reports the mock's throughput as a ratio of raw's.
func benchRatio(b *testing.B, m *Mock, method, path, body string, header ...string) {
	mockURL := loopbackServer(b, m)
	newReq := func(base string) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			return req
		}
	}
	resp, err := http.DefaultClient.Do(newReq(mockURL)())
	if err != nil {
		b.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("the mock refused the benchmark request: %d %s", resp.StatusCode, answer)
	}
	rawURL := loopbackServer(b, rawLike(resp.StatusCode, resp.Header, answer))
	// Interleaved rounds, so both sides see the same machine load.
	const rounds = 4
	var raw, mock time.Duration
	b.ResetTimer()
	for r := range rounds {
		n := b.N/rounds + boolInt(r < b.N%rounds)
		if n == 0 {
			continue
		}
		raw += hammer(b, n, newReq(rawURL))
		mock += hammer(b, n, newReq(mockURL))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/raw.Seconds(), "raw-req/s")
	b.ReportMetric(float64(b.N)/mock.Seconds(), "mock-req/s")
	b.ReportMetric(raw.Seconds()/mock.Seconds(), "ratio")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkMockGET: a GET with a path parameter and an API key, validated
// and journaled, over real HTTP on loopback, against a raw net/http handler
// writing the same JSON (target ratio >= 0.8).
func BenchmarkMockGET(b *testing.B) {
	benchRatio(b, newPetstore(b), "GET", "/v1/pets/7", "", key, "k")
}

// BenchmarkMockPOST: a POST whose JSON body is validated against its schema.
func BenchmarkMockPOST(b *testing.B) {
	benchRatio(b, newPetstore(b), "POST", "/v1/pets", `{"name":"Rex","species":"dog","status":"available","tags":["a","b"]}`,
		key, "k", "Content-Type", "application/json")
}

// BenchmarkStatefulCreate: parallel creates through the stateful mock (the
// store behind it under concurrent writes), against the same POST answered
// from the contract by a stateless mock, in-process.
func BenchmarkStatefulCreate(b *testing.B) {
	stateless, stateful := newPetstore(b), newPetstore(b, WithStateful(true))
	run := func(m *Mock) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range runtime.GOMAXPROCS(0) * 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					req, _ := http.NewRequest("POST", "/v1/pets", strings.NewReader(`{"name":"Rex","species":"dog"}`))
					req.Header.Set(key, "k")
					req.Header.Set("Content-Type", "application/json")
					w := newRecorder()
					m.ServeHTTP(w, req)
					if w.code != 201 {
						panic(fmt.Sprintf("create answered %d", w.code))
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	b.ResetTimer()
	base := run(stateless)
	st := run(stateful)
	b.StopTimer()
	if n := stateful.Store().Len("pets"); n != b.N {
		b.Fatalf("%d pets stored after %d creates", n, b.N)
	}
	b.ReportMetric(float64(b.N)/st.Seconds(), "creates/s")
	b.ReportMetric(base.Seconds()/st.Seconds(), "ratio")
}

// BenchmarkStartStripe: load the largest corpus document (Stripe's 2 MB
// Swagger 2.0), start its mock and get a first answer; target under 1 s.
func BenchmarkStartStripe(b *testing.B) {
	path := filepath.Join(corpusDir(b), "openapi", "stripe__spec2.2020-04-23.json")
	var load, serve time.Duration
	for b.Loop() {
		t0 := time.Now()
		c, err := contracts.LoadOpenAPI(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		s, err := NewServer(c)
		if err != nil {
			b.Fatal(err)
		}
		req, _ := http.NewRequest("GET", s.URL+"/v1/customers/cus_123", nil)
		req.Header.Set("Authorization", "Bearer sk_test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("first answer %d", resp.StatusCode)
		}
		t2 := time.Now()
		s.Close()
		load += t1.Sub(t0)
		serve += t2.Sub(t1)
	}
	b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "load-ms")
	b.ReportMetric(float64(serve.Milliseconds())/float64(b.N), "serve-ms")
	b.ReportMetric(float64((load+serve).Milliseconds())/float64(b.N), "start-ms")
}

// BenchmarkHandlerGET is BenchmarkMockGET without the network: what the
// mock itself costs per request (routing, validation, journal, answer).
func BenchmarkHandlerGET(b *testing.B) {
	m := newPetstore(b)
	req, _ := http.NewRequest("GET", "/v1/pets/7", nil)
	req.Header.Set(key, "k")
	b.ReportAllocs()
	for b.Loop() {
		w := newRecorder()
		m.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}
