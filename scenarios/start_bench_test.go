package scenarios

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildTinyService builds testdata/tinyservice once per benchmark: the
// service under test of the start benchmark, with a health endpoint.
func buildTinyService(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "tinyservice")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/tinyservice").CombinedOutput(); err != nil {
		b.Fatalf("build the tiny service: %v\n%s", err, out)
	}
	return bin
}

// serviceAlone is the baseline: from exec of bin to its first healthy
// answer, polled as tightly as the machine allows (every 200 µs).
func serviceAlone(b *testing.B, bin string) time.Duration {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "TINY_ADDR="+addr)
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for time.Since(start) < 10*time.Second {
		if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	b.Fatal("the tiny service never became healthy")
	return 0
}

// startScenario is a small run: one stateful mock behind its proxy, the
// tiny service, and a constant load to the service for a second. At 200/s
// the schedule's first hit is due 5 ms into the attack (vegeta's constant
// pacer sends hit n at n intervals): those 5 ms count in firedrill's share.
func startScenario(b *testing.B, bin, first string) string {
	b.Helper()
	return writeStartScenario(b, `      command: [`+bin+`]
      env: {TINY_ADDR: "127.0.0.1:${sync.port}", TINY_FIRST: "`+first+`", SHOP_URL: "${shop.url}"}`)
}

// writeStartScenario writes the start benchmarks' scenario, the tiny
// service declared by service (its lines under service:, indented six).
func writeStartScenario(tb testing.TB, service string) string {
	tb.Helper()
	contract, err := filepath.Abs(filepath.Join("..", "examples", "ordersync", "contracts", "shop.openapi.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	doc := `name: start benchmark
seed: 1
systems:
  shop: {contract: ` + contract + `, mock: {stateful: true}}
  sync:
    service:
` + service + `
      health: /healthz
load:
  flow:
    - {name: sync, url: "${sync.url}/sync", expect: 200}
  peak: 200/s
  multiplier: 1
  duration: 1s
gates:
  load: ["success >= 99%"]
`
	file := filepath.Join(tb.TempDir(), "start.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		tb.Fatal(err)
	}
	return file
}

// runToFirstRequest reads the scenario file and runs it through Run with
// the embedded runtime, as `firedrill run` does, and returns the time from
// reading the file to the first request of the attack reaching the service.
func runToFirstRequest(b *testing.B, bin string) time.Duration {
	b.Helper()
	first := filepath.Join(b.TempDir(), "first")
	file := startScenario(b, bin, first)
	start := time.Now()
	s, err := ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Run(context.Background(), s, Options{Out: b.TempDir()}); err != nil {
		b.Fatalf("run: %v", err)
	}
	raw, err := os.ReadFile(first)
	if err != nil {
		b.Fatalf("the service saw no request of the attack: %v", err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Unix(0, ns).Sub(start)
}

// BenchmarkStart measures firedrill's own share of the start: from reading
// the scenario file and the call to Run (a mock, its proxy, a prebuilt tiny
// service with a health check, a constant load) to the first request of the
// attack reaching the service, against the baseline of the same binary from exec to its first
// healthy answer polled tightly; alternately, five times each, medians.
//
//	go test -run '^$' -bench '^BenchmarkStart$' -benchtime 1x -count 3 ./scenarios
func BenchmarkStart(b *testing.B) {
	bin := buildTinyService(b)
	b.ResetTimer()
	for range b.N {
		var runs, alone []time.Duration
		for range 5 {
			alone = append(alone, serviceAlone(b, bin))
			runs = append(runs, runToFirstRequest(b, bin))
		}
		slices.Sort(runs)
		slices.Sort(alone)
		total, base := runs[len(runs)/2], alone[len(alone)/2]
		b.Logf("run to first request %v; service alone to healthy %v", runs, alone)
		b.ReportMetric(float64(total)/1e6, "run-to-first-request-ms")
		b.ReportMetric(float64(base)/1e6, "service-alone-ms")
		b.ReportMetric(float64(total-base)/1e6, "own-share-ms")
		b.ReportMetric(float64(total)/float64(base), "run/service")
	}
}
