package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func loadTarget(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(delay)
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestLoadPassesThresholdsAndWritesResults(t *testing.T) {
	t.Parallel()
	srv, hits := loadTarget(t, 0)
	out := filepath.Join(t.TempDir(), "results.bin")
	code, stdout, stderr := runCLI(t, context.Background(), "load", "--url", srv.URL+"/orders?n=${seq}",
		"--method", "POST", "--header", "X-Key: k", "--peak", "20/s", "--multiplier", "2", "--duration", "1s",
		"--expect", "201", "--threshold", "p99 < 1s", "--threshold", "success >= 99%", "--out", out, "--progress-every", "1ms")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"step request", "ok   p99 < 1s: measured", "ok   success >= 99%: measured 100.00% — passed", "status codes of request: 201×"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "at 40/s (peak 20/s × 2)") || !strings.Contains(stderr, "rate ") {
		t.Errorf("stderr lacks the plan or progress:\n%s", stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n == 0 || int64(n) != hits.Load() {
		t.Fatalf("file holds %d results, the target saw %d", n, hits.Load())
	}
}

func TestLoadFailsThresholdOnSlowTarget(t *testing.T) {
	t.Parallel()
	srv, _ := loadTarget(t, 200*time.Millisecond)
	code, stdout, stderr := runCLI(t, context.Background(), "load", "--url", srv.URL, "--peak", "10/s",
		"--duration", "1s", "--threshold", "p99 < 50ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL p99 < 50ms: measured 2") || strings.Contains(stderr, "firedrill:") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

func TestLoadBadFlagsExit2(t *testing.T) {
	t.Parallel()
	srv, hits := loadTarget(t, 0)
	body := filepath.Join(t.TempDir(), "missing.json")
	base := []string{"load", "--url", srv.URL, "--duration", "1s"}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no url":        {[]string{"load", "--peak", "1/s", "--duration", "1s"}, "--url is required"},
		"bad peak":      {append(base, "--peak", "fast"), `--peak "fast"`},
		"bad unit":      {append(base, "--peak", "4/d"), `--peak "4/d"`},
		"no duration":   {[]string{"load", "--url", srv.URL, "--peak", "1/s"}, "--duration 0s"},
		"bad duration":  {append(base, "--peak", "1/s", "--duration", "soon"), `"soon" for "--duration"`},
		"long":          {append(base, "--peak", "1/s", "--duration", "31m"), "at most 30m"},
		"ramp":          {append(base, "--peak", "1/s", "--ramp", "2s"), "--ramp 2s"},
		"threshold":     {append(base, "--peak", "1/s", "--threshold", "p99 < soon"), `column 7: "soon" is not a duration`},
		"header":        {append(base, "--peak", "1/s", "--header", "nocolon"), `--header "nocolon"`},
		"body":          {append(base, "--peak", "1/s", "--body", body), "--body: open"},
		"both":          {append(base, "--peak", "1/s", "--body", body, "--operation", "x"), "exclude each other"},
		"operation":     {append(base, "--peak", "1/s", "--contract", "../../load/testdata/orders.yaml", "--operation", "nope"), `no operation "nope"`},
		"remote target": {[]string{"load", "--url", "http://192.0.2.1/", "--peak", "1/s", "--duration", "1s"}, "--url: load: target refused"},
		"multiplier":    {append(base, "--peak", "1/s", "--multiplier", "0"), "--multiplier 0"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, context.Background(), tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("a refused command sent %d requests", hits.Load())
	}
}

func TestLoadContractBodyAndInterrupt(t *testing.T) {
	t.Parallel()
	var bodies atomic.Int64
	seen := make(chan string, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Add(1)
		select {
		case seen <- r.Method + " " + string(b):
		default:
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	out := filepath.Join(t.TempDir(), "partial.bin")
	code, stdout, stderr := runCLI(t, ctx, "load", "--url", srv.URL+"/v1/orders", "--contract", "../../load/testdata/orders.yaml",
		"--operation", "createOrder", "--unique", "reference", "--peak", "20/s", "--duration", "1m", "--out", out)
	if code != 130 {
		t.Fatalf("exit %d, want 130\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() == 0 || bodies.Load() == 0 {
		t.Fatalf("partial results: %v, %d bodies", err, bodies.Load())
	}
	first := <-seen
	if !strings.HasPrefix(first, "POST {") || !strings.Contains(first, `"reference":`) || !strings.Contains(first, `"total":`) {
		t.Fatalf("body from the contract: %s", first)
	}
}
