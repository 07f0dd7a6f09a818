package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/ci"
)

// stagingEndpoint is a real endpoint standing in for staging: it counts
// the requests that reach it and answers 200.
func stagingEndpoint(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// drillScenario is a drill against url with a 503 fault at rate on it
// from 500ms (for 1s, or 20s in a 30s drill), a latency toxic on its
// proxy, and the safeguards given.
func drillScenario(t *testing.T, url string, rate float64, duration, safeguards string) *Scenario {
	t.Helper()
	faultFor := "1s"
	if duration == "30s" {
		faultFor = "20s"
	}
	src := fmt.Sprintf(`name: drill %s
runtime: staging
drill:
  allow: ["127.0.0.1"]
  max_fault_rate: 1
  safeguards: %s
systems:
  vendor: {url: %q}
load:
  flow:
    - {name: ask, method: GET, url: "${vendor.url}/things"}
  peak: 20/s
  multiplier: 1
  duration: %s
chaos:
  - {at: 0s, for: 1s, proxy: vendor, toxic: latency, latency: 1ms, toxicity: 0.5}
  - {at: 500ms, for: %s, system: vendor, fault: status, status: 503, rate: %v}
`, t.Name(), safeguards, url, duration, faultFor, rate)
	s, err := Parse(filepath.Join(t.TempDir(), "drill.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// leftBehind returns what a drill left: faults applied and never
// reverted (audit.jsonl), and listeners still open among the fault proxy
// and proxy addresses the progress named.
func leftBehind(t *testing.T, dir, progress string) []string {
	t.Helper()
	var left []string
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	on := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec chaos.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Event == nil || rec.Outcome != chaos.OutcomeOK {
			continue
		}
		switch rec.Action {
		case chaos.ActionApply:
			on[*rec.Event] = true
		case chaos.ActionRevert:
			delete(on, *rec.Event)
		}
	}
	for ev := range on {
		left = append(left, fmt.Sprintf("fault %d applied, never reverted", ev))
	}
	addrs := regexp.MustCompile(`(?:fault proxy |up +\S+ +http://)(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(progress, -1)
	if len(addrs) < 2 {
		t.Fatalf("the progress names no fault proxy and proxy:\n%s", progress)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a[1], time.Second); err == nil {
			c.Close()
			left = append(left, a[1]+" still listens")
		}
	}
	return left
}

// TestDrillRollsBackWhateverEndsIt runs a drill against a real endpoint
// and ends it each way a drill ends: it passes, a gate fails, a safeguard
// breaks, it is interrupted, it panics. Each time every fault is
// reverted and the drill's proxies are gone.
func TestDrillRollsBackWhateverEndsIt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		rate       float64
		duration   string
		safeguards string
		gates      string
		cancel     bool
		panic      bool
		want       ci.ExitCode
	}{
		{name: "success", rate: 0.1, duration: "2s", safeguards: `[{name: errors, error_ratio: 0.9}]`, want: ci.ExitPass},
		{name: "failure", rate: 1, duration: "2s", safeguards: `[]`, gates: `success >= 99%`, want: ci.ExitFail},
		{name: "safeguard", rate: 1, duration: "30s", safeguards: `[{name: errors, error_ratio: 0.5}]`, want: ci.ExitFail},
		{name: "interrupt", rate: 1, duration: "30s", safeguards: `[]`, cancel: true, want: ci.ExitInterrupted},
		{name: "panic", rate: 1, duration: "30s", safeguards: `[]`, panic: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := stagingEndpoint(t)
			s := drillScenario(t, srv.URL, c.rate, c.duration, c.safeguards)
			if c.gates != "" {
				s.Gates.Load = []string{c.gates}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			progress := &syncWriter{w: &strings.Builder{}}
			dir := t.TempDir()
			hook := func() {
				if c.cancel || c.panic {
					time.Sleep(800 * time.Millisecond) // the fault is on
				}
				if c.cancel {
					cancel()
				}
				if c.panic {
					panic("drill test panic")
				}
			}
			start := time.Now()
			panicked, err := runRecovering(ctx, s, Options{Out: dir, Progress: progress, attackHook: hook})
			if c.panic != (panicked != nil) {
				t.Fatalf("panicked: %v", panicked)
			}
			if !c.panic && ci.CodeOf(err) != c.want {
				t.Fatalf("exit %d, want %d: %v", ci.CodeOf(err), c.want, err)
			}
			if took := time.Since(start); c.duration == "30s" && took > 15*time.Second {
				t.Errorf("the drill took %s: the load did not stop", took)
			}
			if left := leftBehind(t, dir, progress.String()); len(left) > 0 {
				t.Errorf("left behind: %v\n%s", left, progress.String())
			}
		})
	}
}

// runRecovering is Run, returning its panic.
func runRecovering(ctx context.Context, s *Scenario, o Options) (panicked any, err error) {
	defer func() { panicked = recover() }()
	_, err = Run(ctx, s, o)
	return nil, err
}

// TestDrillSafeguardSaysWhatBroke checks that the report names the
// safeguard that broke, when, what it read, and that the load stopped
// at once: the endpoint sees no request once the faults are rolled back.
func TestDrillSafeguardSaysWhatBroke(t *testing.T) {
	t.Parallel()
	srv, hits := stagingEndpoint(t)
	s := drillScenario(t, srv.URL, 1, "30s", `[{name: errors stay low, error_ratio: 0.5}, {name: vendor healthy, url: "`+srv.URL+`/health", json: "body.status == 'ok'"}]`)
	dir := t.TempDir()
	out, err := Run(context.Background(), s, Options{Out: dir})
	if ci.CodeOf(err) != ci.ExitFail {
		t.Fatalf("exit %d, want 1: %v", ci.CodeOf(err), err)
	}
	var broke *ci.Gate
	for i, g := range out.Verdict.Gates {
		if g.Kind == "safeguard" && !g.Passed && !g.Skipped {
			broke = &out.Verdict.Gates[i]
		}
	}
	if broke == nil || broke.Name != "errors stay low" {
		t.Fatalf("no broken safeguard named in %+v", out.Verdict.Gates)
	}
	said := regexp.MustCompile(`^safeguard "errors stay low" broke at \d+\.\ds into the attack \(20\d\d-[\d-]+T[\d:]+Z\): read error ratio (0\.[5-9]\d\d|1\.000) \(\d+ of \d+ requests since the last poll\), bound error ratio <= 0\.5; load stopped, every fault rolled back$`)
	if !said.MatchString(broke.Reason) {
		t.Errorf("reason %q does not say which safeguard broke, when and what it read", broke.Reason)
	}
	after := hits.Load()
	time.Sleep(300 * time.Millisecond)
	if n := hits.Load(); n != after {
		t.Errorf("%d requests reached the endpoint after the drill ended", n-after)
	}
}

// String is what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// TestDrillLeavesTheTeamsProxiesAlone: a drill against the team's
// Toxiproxy deletes the proxies it made and no other: when a proxy of
// the name it needs is already there, the drill does not start (exit 3)
// and that proxy stays, toxic-free.
func TestDrillLeavesTheTeamsProxiesAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	team, err := chaos.Embedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { team.Close() })
	srv, _ := stagingEndpoint(t)
	s := drillScenario(t, srv.URL, 0.1, "2s", `[{name: errors, error_ratio: 0.9}]`)
	s.Drill.Toxiproxy = team.URL()

	out, err := Run(ctx, s, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitPass {
		t.Fatalf("exit %d: %v", ci.CodeOf(err), err)
	}
	if ps, err := team.Proxies(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("the drill left proxies in the team's Toxiproxy: %+v %v", ps, err)
	}
	if a := out.Systems["vendor"]; a.Host != "127.0.0.1" {
		t.Errorf("the load reached the proxy at %v, not at the Toxiproxy's host", a)
	}

	// The team's standing proxy to the same endpoint, which the service in
	// staging goes through: the drill faults it and keeps it.
	host := strings.TrimPrefix(srv.URL, "http://")
	standing, err := team.Proxy(ctx, "vendor", host)
	if err != nil {
		t.Fatal(err)
	}
	toxics := *s
	toxics.Chaos = s.Chaos[:1] // the latency toxic alone: HTTP faults need the drill's fault proxy
	out, err = Run(ctx, &toxics, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitPass {
		t.Fatalf("a drill over the team's proxy: exit %d: %v", ci.CodeOf(err), err)
	}
	if a := out.Systems["vendor"]; a.Addr() != standing.Listen {
		t.Errorf("the load went to %s, not through the team's proxy at %s", a.Addr(), standing.Listen)
	}
	p, err := team.Lookup(ctx, "vendor")
	if err != nil {
		t.Fatalf("the team's own proxy is gone: %v", err)
	}
	if len(p.Toxics) != 0 || !p.Enabled || p.Listen != standing.Listen {
		t.Errorf("the team's own proxy after the drill: %+v", p)
	}
	// HTTP faults cannot go through the team's proxy: refused, the proxy kept.
	_, err = Run(ctx, s, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitSetup || !strings.Contains(err.Error(), "the drill's HTTP faults need its fault proxy") {
		t.Fatalf("HTTP faults over the team's proxy: exit %d: %v", ci.CodeOf(err), err)
	}
	// A proxy of that name to another endpoint is not the system's: refused.
	if err := team.DeleteProxy(ctx, "vendor"); err != nil {
		t.Fatal(err)
	}
	if _, err := team.Proxy(ctx, "vendor", "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, &toxics, Options{Out: t.TempDir()})
	if ci.CodeOf(err) != ci.ExitSetup || !errors.Is(err, chaos.ErrExists) || !strings.Contains(err.Error(), "forwards to 127.0.0.1:1, not to the system's") {
		t.Fatalf("exit %d, want 3 (the name is taken by another endpoint's proxy): %v", ci.CodeOf(err), err)
	}
	if _, err := team.Lookup(ctx, "vendor"); err != nil {
		t.Fatalf("the team's own proxy is gone: %v", err)
	}
}

// TestDrillAuditsEveryActionAndReports: the drill's audit log names who
// ran it and every action, in order, with its target and outcome; the
// drill report holds the timeline, the safeguard that broke, the gates,
// the rollback and the follow-up checklist.
func TestDrillAuditsEveryActionAndReports(t *testing.T) {
	t.Parallel()
	srv, _ := stagingEndpoint(t)
	s := drillScenario(t, srv.URL, 1, "30s", `[{name: errors stay low, error_ratio: 0.5}]`)
	dir := t.TempDir()
	getenv := func(k string) (string, bool) {
		if k == "FIREDRILL_OPERATOR" {
			return "dana@example.com", true
		}
		return "", false
	}
	if _, err := Run(context.Background(), s, Options{Out: dir, Getenv: getenv}); ci.CodeOf(err) != ci.ExitFail {
		t.Fatalf("exit %d: %v", ci.CodeOf(err), err)
	}
	data, err := os.ReadFile(filepath.Join(dir, DrillAuditFile))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec DrillAuditRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Who != "dana@example.com" || rec.Time.IsZero() || rec.Outcome == "" {
			t.Errorf("a record without who, time or outcome: %s", line)
		}
		actions = append(actions, rec.Action+" "+rec.Target)
	}
	got := strings.Join(actions, "\n")
	for _, want := range []string{"start drill", "allowed vendor", "fault proxy vendor", "proxy vendor", "fault apply vendor", "safeguard broke errors stay low", "rollback ", "fault revert vendor", "down ", "end drill"} {
		if !strings.Contains(got, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "safeguard broke") > strings.Index(got, "\nrollback") {
		t.Errorf("the rollback is logged before the breach:\n%s", got)
	}
	report, err := os.ReadFile(filepath.Join(dir, DrillReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Log(string(report))
	}
	for _, want := range []string{"run by **dana@example.com**", "## Timeline", "| safeguard broke | errors stay low | ok |", "## Safeguards", `**safeguard "errors stay low" broke at`, "## Gates", "| fail | safeguard | errors stay low |", "## Rollback\n\nok: every fault reverted", "## Follow-up", `- [ ] Safeguard "errors stay low" broke`, "- [ ] Did monitoring and on-call see `status` on vendor"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the drill report lacks %q:\n%s", want, report)
		}
	}
}

// TestDrillServesLiveMetrics scrapes --metrics-addr mid-drill: the load's
// counters and p99, the fault on, the safeguard's reading, named as
// Prometheus names them; once the drill is down, nothing listens.
func TestDrillServesLiveMetrics(t *testing.T) {
	t.Parallel()
	srv, _ := stagingEndpoint(t)
	s := drillScenario(t, srv.URL, 0.5, "4s", `[{name: errors stay low, error_ratio: 0.9}]`)
	s.Chaos[1].For = Duration(3 * time.Second)
	progress := &syncWriter{w: &strings.Builder{}}
	addr := regexp.MustCompile(`metrics (http://\S+/metrics)`)
	var scraped string
	hook := func() {
		go func() {
			time.Sleep(2500 * time.Millisecond) // the fault is on, two polls done
			m := addr.FindStringSubmatch(progress.String())
			if m == nil {
				return
			}
			resp, err := http.Get(m[1])
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var b strings.Builder
			_, _ = io.Copy(&b, resp.Body)
			progress.mu.Lock()
			scraped = b.String()
			progress.mu.Unlock()
		}()
	}
	o := Options{Out: t.TempDir(), Progress: progress, MetricsAddr: "127.0.0.1:0", attackHook: hook}
	if p, err := runRecovering(context.Background(), s, o); err != nil || p != nil {
		t.Fatalf("%v %v", err, p)
	}
	progress.mu.Lock()
	got := scraped
	progress.mu.Unlock()
	for _, want := range []string{
		"# TYPE firedrill_drill_requests_total counter",
		"# TYPE firedrill_drill_request_errors_total counter",
		"# TYPE firedrill_drill_request_duration_p99_seconds gauge",
		`firedrill_drill_fault_active{event="1",kind="status",target="vendor"} 1`,
		`firedrill_drill_fault_active{event="0",kind="latency",target="vendor"} 0`,
		`firedrill_drill_safeguard_broken{safeguard="errors stay low"} 0`,
		`firedrill_drill_safeguard_value{kind="error_ratio",safeguard="errors stay low"} 0.`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the metrics lack %q:\n%s", want, got)
		}
	}
	if !regexp.MustCompile(`firedrill_drill_requests_total [1-9]\d*`).MatchString(got) {
		t.Errorf("no request counted:\n%s", got)
	}
	m := addr.FindStringSubmatch(progress.String())
	if m == nil {
		t.Fatalf("no metrics address in the progress:\n%s", progress.String())
	}
	if resp, err := http.Get(m[1]); err == nil {
		resp.Body.Close()
		t.Errorf("the metrics still answer after the drill")
	}
}

// TestDrillSafeguardKinds: a p99 bound and a JSON expectation break too,
// each naming what it read; the controls, bounds the endpoint keeps, hold.
func TestDrillSafeguardKinds(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
		fmt.Fprint(w, `{"status":"degraded","queue":12}`)
	}))
	t.Cleanup(slow.Close)
	cases := []struct {
		name, safeguard, says string
		breaks                bool
	}{
		{"p99 broken", `{name: fast, p99: 10ms}`, "ms, bound p99 <= 10ms; load stopped", true},
		{"p99 kept", `{name: fast, p99: 5s}`, "", false},
		{"json broken", `{name: queue, url: "` + slow.URL + `/health", json: "body.queue < 10"}`, "body.queue < 10", true},
		{"json kept", `{name: queue, url: "` + slow.URL + `/health", json: "body.queue < 100"}`, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := drillScenario(t, slow.URL, 0.1, "3s", "["+c.safeguard+"]")
			s.Chaos = s.Chaos[:1] // the latency toxic only: no error
			out, err := Run(context.Background(), s, Options{Out: t.TempDir()})
			if out == nil || len(out.Verdict.Gates) == 0 {
				t.Fatalf("no verdict: %v", err)
			}
			g := out.Verdict.Gates[0]
			if g.Kind != "safeguard" || g.Passed == c.breaks || !strings.Contains(g.Reason, c.says) {
				t.Errorf("gate %+v, want broken %v saying %q", g, c.breaks, c.says)
			}
		})
	}
}
