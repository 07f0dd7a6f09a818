package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestProcessNeverHealthyShowsItsLogs(t *testing.T) {
	t.Parallel()
	p, err := StartProcess(context.Background(), ProcessSpec{
		Name:    "broken",
		Command: []string{"sh", "-c", "echo starting; echo 'panic: cannot reach the database' >&2; exit 3"},
		LogDir:  t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	err = p.WaitHealthy(context.Background(), "http://127.0.0.1:1/healthz", 5*time.Second)
	if !errors.Is(err, ErrUnhealthy) {
		t.Fatalf("want ErrUnhealthy, got %v", err)
	}
	for _, want := range []string{"exited before it was healthy", "panic: cannot reach the database", "starting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	logged, _ := os.ReadFile(p.LogPath)
	if !strings.Contains(string(logged), "cannot reach the database") {
		t.Errorf("log file lacks the output: %q", logged)
	}
}

func TestProcessHealthTimeout(t *testing.T) {
	t.Parallel()
	p, err := StartProcess(context.Background(), ProcessSpec{Name: "slow", Command: []string{"sleep", "30"}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitHealthy(context.Background(), "http://127.0.0.1:1/healthz", 300*time.Millisecond)
	if !errors.Is(err, ErrUnhealthy) || !strings.Contains(err.Error(), "not healthy") {
		t.Fatalf("want a health timeout, got %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("the health wait overran its timeout: %v", time.Since(start))
	}
	p.Stop(time.Second)
	if done, _ := p.Exited(); !done {
		t.Error("Stop left the process running")
	}
	p.Stop(time.Second) // idempotent
	var nilProc *Process
	if err := nilProc.Stop(time.Second); err != nil {
		t.Error("Stop must be nil-safe")
	}
}

func TestProcessBecomesHealthy(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The test binary itself plays the service (see TestMain).
	p, err := StartProcess(context.Background(), ProcessSpec{
		Name:    "web",
		Command: []string{os.Args[0], "-test.run=^$"},
		Env:     []string{helperEnv + "=" + addr},
		LogDir:  t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	if err := p.WaitHealthy(context.Background(), "http://"+addr+"/healthz", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// helperEnv, when set, turns the test binary into a tiny service that
// answers /healthz on the address it holds.
const helperEnv = "FIREDRILL_TEST_SERVICE_ADDR"

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		fmt.Println("test service listening on", addr)
		if err := http.ListenAndServe(addr, mux); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestProcessOutputIsRedacted: what a service prints of the run's secrets
// never reaches its log file or the lines shown in errors.
func TestProcessOutputIsRedacted(t *testing.T) {
	t.Parallel()
	secrets := &Secrets{}
	secrets.Add("sk_live_0123456789")
	p, err := StartProcess(context.Background(), ProcessSpec{
		Name:    "leaky",
		Command: []string{"sh", "-c", "echo connecting with sk_live_0123456789; exit 1"},
		LogDir:  t.TempDir(),
		Redact:  secrets,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitHealthy(context.Background(), "http://127.0.0.1:1/", 5*time.Second)
	p.Stop(time.Second)
	logged, _ := os.ReadFile(p.LogPath)
	if strings.Contains(string(logged), "sk_live") || !strings.Contains(string(logged), "connecting with ***") {
		t.Errorf("log file: %q", logged)
	}
	if err == nil || strings.Contains(err.Error(), "sk_live") {
		t.Errorf("the error shows the secret or is missing: %v", err)
	}
}

// TestEmbeddedHoldsTheServicePort: the port ServiceAddress gives a service
// stays held until the service starts, so nothing else of the run (a mock
// or proxy on :0) is handed it and answers the health check in its place;
// the service then gets it.
func TestEmbeddedHoldsTheServicePort(t *testing.T) {
	t.Parallel()
	e := &Embedded{}
	defer e.Close(context.Background())
	addr, err := e.ServiceAddress("web", 0)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := net.JoinHostPort(addr.Host, fmt.Sprint(addr.Port))
	if ln, err := net.Listen("tcp", hostPort); err == nil {
		ln.Close()
		t.Fatalf("%s is free before the service starts: another listener could take it", hostPort)
	}
	svc, err := e.StartService(context.Background(), ProcessSpec{
		Name:    "web",
		Command: []string{os.Args[0], "-test.run=^$"},
		Env:     []string{helperEnv + "=" + hostPort},
		LogDir:  t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.WaitHealthy(context.Background(), addr.URL()+"/healthz", 10*time.Second); err != nil {
		t.Fatalf("the service could not have its port: %v", err)
	}
}

// TestEmbeddedRefusesATakenPort: a fixed service port another program
// listens on is an error naming the field, not a health check that the
// other program answers.
func TestEmbeddedRefusesATakenPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	e := &Embedded{}
	defer e.Close(context.Background())
	_, err = e.ServiceAddress("web", port)
	if err == nil || !strings.Contains(err.Error(), "systems.web.service.port") || !strings.Contains(err.Error(), fmt.Sprintf("port %d is taken", port)) {
		t.Fatalf("want an error naming systems.web.service.port and port %d, got %v", port, err)
	}
}

// TestWaitHealthySeesAQuickServiceAtOnce: a service healthy 10 ms after the
// wait begins is seen healthy within 30 ms (the median of seven tries, so
// one stall of a busy machine does not decide), where a poll every 100 ms
// saw it at 100 ms. And a service that stays unhealthy is not hammered:
// the wait backs off to HealthPollMax.
func TestWaitHealthySeesAQuickServiceAtOnce(t *testing.T) {
	t.Parallel()
	p, err := StartProcess(context.Background(), ProcessSpec{Name: "quick", Command: []string{"sleep", "30"}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	var ready atomic.Int64 // unix ns from which /healthz answers 200
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		polls.Add(1)
		if time.Now().UnixNano() < ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var took []time.Duration
	for range 7 {
		start := time.Now()
		ready.Store(start.Add(10 * time.Millisecond).UnixNano())
		if err := p.WaitHealthy(context.Background(), srv.URL+"/healthz", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	if took[3] > 30*time.Millisecond {
		t.Errorf("a service healthy after 10ms was seen healthy after %v (median; all %v), want within 30ms", took[3], took)
	}

	polls.Store(0)
	ready.Store(time.Now().Add(time.Hour).UnixNano())
	err = p.WaitHealthy(context.Background(), srv.URL+"/healthz", 600*time.Millisecond)
	if !errors.Is(err, ErrUnhealthy) || !strings.Contains(err.Error(), "not healthy") {
		t.Fatalf("want a health timeout, got %v", err)
	}
	// 5, 10, 20, 40, 80, then every 100ms: 11 polls in 600ms.
	if n := polls.Load(); n < 5 || n > 14 {
		t.Errorf("%d health polls in 600ms, want about 11: the wait must start short and back off to %v", n, HealthPollMax)
	}
}
