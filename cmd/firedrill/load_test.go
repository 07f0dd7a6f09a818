package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/firedrill/firedrill/load"
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
		"--method", "POST", "--header", "X-Key: k", "--peak", "20/s", "--multiplier", "2", "--duration", "1500ms",
		"--expect", "201", "--threshold", "p99 < 1s", "--threshold", "success >= 99%", "--out", out, "--progress-every", "1ms")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"step request", "ok   p99 < 1s: measured", "ok   success >= 99%: measured 100.00% per request — passed", "status codes of request: 201×"} {
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
	// The target answers after 200ms: the p99 is that or more (a loaded
	// machine adds to it, never takes from it).
	m := regexp.MustCompile(`FAIL p99 < 50ms: measured ([0-9.]+ms)`).FindStringSubmatch(stdout)
	if m == nil || strings.Contains(stderr, "firedrill:") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if d, err := time.ParseDuration(m[1]); err != nil || d < 200*time.Millisecond {
		t.Fatalf("measured p99 %s, want at least the target's 200ms", m[1])
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

func TestParseRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"40/s": 40, "600/m": 10, "7200/h": 2, "0.5/s": 0.5, " 3/min ": 0.05, "2/500ms": 4} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("%q: %g %v, want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12", "fast", "0/s", "-1/s", "4/d", "1e9/s", "NaN/s", "/s"} {
		if _, err := parseRate(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"40/s", "600/m", "2/h", "1e3", "x/y/z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseRate(s)
		if err == nil && (v <= 0 || v > 1e7 || v != v) {
			t.Fatalf("%q gives %g", s, v)
		}
	})
}

func TestLoadSummaryTable(t *testing.T) {
	t.Parallel()
	rep := &load.Report{
		Steps: []load.Stats{
			{Name: "create", Requests: 120, Rate: 40, Success: 1, P50: time.Millisecond, P90: 2 * time.Millisecond, P95: 3 * time.Millisecond, P99: 4 * time.Millisecond, Max: 5 * time.Millisecond, StatusCodes: map[int]uint64{201: 120}},
			{Name: "get", Requests: 120, Rate: 40, Success: 0.975, Errors: 3, StatusCodes: map[int]uint64{200: 117, 404: 3}, ErrorTexts: []string{"status 404, want 200"}},
		},
		Requests: load.Stats{Name: "all", Requests: 240, Errors: 3, Rate: 80, Success: 0.9875, P50: time.Millisecond, P99: 4 * time.Millisecond},
		Flow:     load.Stats{Name: "flow", Requests: 120, Errors: 3, Rate: 40, Success: 0.975, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond}, Sent: 118, Scheduled: 120, Target: 40, Lag: 1500 * time.Millisecond,
		Aborted: `threshold "errors < 3" can no longer pass`,
	}
	th, _ := load.ParseThreshold("errors < 3")
	var b strings.Builder
	if err := printLoadSummary(&b, rep, []load.Verdict{th.Check(rep)}); err != nil {
		t.Fatal(err)
	}
	want := `              requests  rate/s  success  p50     p90     p95     p99     max
step create   120       40.0    100.00%  1.00ms  2.00ms  3.00ms  4.00ms  5.00ms
step get      120       40.0    97.50%   0.00ms  0.00ms  0.00ms  0.00ms  0.00ms
all requests  240       80.0    98.75%   1.00ms  0.00ms  0.00ms  4.00ms  0.00ms
iterations    120       40.0    97.50%   2.00ms  0.00ms  0.00ms  9.00ms  0.00ms
status codes of create: 201×120
status codes of get: 200×117 404×3
  error: status 404, want 200
schedule: 118 of 120 iterations sent (target 40.0/s); the generator fell behind by 1.5s
stopped early: threshold "errors < 3" can no longer pass
FAIL errors < 3: measured 3 per request — failed
`
	if got := b.String(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestProgressPrinter(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	p := newProgressPrinter(&b, 5*time.Second)
	if p.tty {
		t.Fatal("a strings.Builder is not a terminal")
	}
	for s := 1; s <= 12; s++ {
		p.update(load.Progress{Elapsed: time.Duration(s) * time.Second, Total: 12 * time.Second, Rate: 40})
	}
	p.end()
	if got := strings.Count(b.String(), "\n"); got != 3 { // at 1s, 5s, 10s
		t.Fatalf("plain progress wrote %d lines:\n%s", got, b.String())
	}
	var tty strings.Builder
	p = &progressPrinter{w: &tty, tty: true, every: time.Second}
	p.update(load.Progress{Elapsed: time.Second, Total: 2 * time.Second, Rate: 40, Lag: time.Second})
	p.update(load.Progress{Elapsed: 2 * time.Second, Total: 2 * time.Second, Rate: 40})
	p.end()
	if got := tty.String(); strings.Count(got, "\r\x1b[K") != 2 || !strings.Contains(got, "behind 1s") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("terminal progress %q", got)
	}
}

func TestLoadReportMergesShards(t *testing.T) {
	t.Parallel()
	srv, _ := loadTarget(t, 0)
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"a.bin", "b.bin"} {
		out := filepath.Join(dir, name)
		code, stdout, stderr := runCLI(t, context.Background(), "load", "--url", srv.URL, "--peak", "10/s",
			"--multiplier", "1", "--duration", "1s", "--out", out)
		if code != 0 {
			t.Fatalf("shard %s: exit %d\n%s\n%s", name, code, stdout, stderr)
		}
		files = append(files, out)
	}
	args := append([]string{"load", "report"}, files...)
	code, stdout, stderr := runCLI(t, context.Background(), append(args, "--threshold", "requests >= 15", "--threshold", "rate >= 0.5 * target", "--target", "20/s")...)
	if code != 0 || !strings.Contains(stdout, "ok   requests >= 15: measured ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// Negative control: a threshold the merged shards cannot meet fails.
	code, stdout, _ = runCLI(t, context.Background(), append(args, "--threshold", "requests >= 21")...)
	if code != 1 || !strings.Contains(stdout, "FAIL requests >= 21: measured ") {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, context.Background(), "load", "report", filepath.Join(dir, "none.bin"))
	if code != 2 || !strings.Contains(stderr, "none.bin") {
		t.Fatalf("missing file: exit %d, %s", code, stderr)
	}
}

func TestLoadBodyFileIsTemplated(t *testing.T) {
	t.Parallel()
	got := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- r.Header.Get("Content-Type") + " " + string(b):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	body := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(body, []byte(`{"ref":"${uuid}","n":"${seq}"}`), 0o600)
	code, stdout, stderr := runCLI(t, context.Background(), "load", "--url", srv.URL, "--method", "POST", "--body", body,
		"--peak", "5/s", "--multiplier", "1", "--duration", "1s")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	first := <-got
	if !strings.HasPrefix(first, `application/json {"ref":"`) || !strings.HasSuffix(first, `","n":"1"}`) || strings.Contains(first, "${") {
		t.Fatalf("first body %q", first)
	}
}
