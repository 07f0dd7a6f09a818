package scenarios

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks/toolkit"
	"github.com/firedrill/firedrill/scenarios/firedrill"
)

// Docker is the runtime for pipelines that test the image they ship. The
// mocks (`firedrill mock` from each system's declaration), Toxiproxy
// (`firedrill chaos serve`) and the service under test run in containers,
// through testcontainers-go, on a private network of the run's own where
// they reach each other by system name. firedrill's own image is built FROM
// scratch around its static binary and kept, tagged by the binary's hash;
// the service's comes from the scenario's image:, or is built from its
// build: Dockerfile for the run and removed after it. Nothing is pulled.
// The harness (the load, the checks) stays on this machine and reaches
// every container through a port mapped to loopback.
//
// Everything started carries the label io.firedrill.run=RunID: Close
// removes it on every exit path, and `firedrill clean` what a killed run
// left behind.
type Docker struct {
	Logger *slog.Logger
	// Binary is the static Linux firedrill binary the image holds ("":
	// this program, which must then be one).
	Binary string
	// RunID labels everything of the run; a random one when empty.
	RunID string
	// LogDir receives each container's log when it stops (the run folder).
	LogDir string
	// StartTimeout bounds the start of each of firedrill's own containers
	// (default 60s); a service's is its start_timeout.
	StartTimeout time.Duration

	mu       sync.Mutex
	image    string
	nw       *testcontainers.DockerNetwork
	chaos    *firedrill.Chaos
	tp       *chaos.Toxiproxy
	ports    map[string]int // each vendor's proxy port in the chaos container
	mocks    []namedMock
	services []*dockerService
	built    []string // service images built for the run
	closed   bool
}

// quietTestcontainers sends testcontainers-go's lines (one per container
// created, started, ready, stopped) to the run's log at debug level, once
// per process, instead of the terminal, where the run's progress is.
var quietTestcontainers sync.Once

// chaosAlias is the Toxiproxy container's name on the run's network.
const chaosAlias = "firedrill-chaos"

// firstProxyPort is the first port a proxy listens on in the Toxiproxy
// container; mocks listen on 8080 in theirs.
const firstProxyPort = 20000

// Describe names the run's id (what `firedrill clean --run` takes), image
// and network.
func (d *Docker) Describe() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	nw := ""
	if d.nw != nil {
		nw = d.nw.Name
	}
	return fmt.Sprintf("docker run %s: image %s, network %s (firedrill clean --run %s removes what a killed run leaves)", d.runID(), d.image, nw, d.runID())
}

// Name is "docker".
func (d *Docker) Name() string { return "docker" }

// Prepare learns the vendors' names before anything starts: each gets its
// proxy port in the Toxiproxy container, which publishes them all.
func (d *Docker) Prepare(vendors []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ports = map[string]int{}
	for i, v := range vendors {
		d.ports[v] = firstProxyPort + i
	}
}

func (d *Docker) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d *Docker) runID() string {
	if d.RunID == "" {
		d.RunID = randomHex(6)
	}
	return d.RunID
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (d *Docker) labels(kind, system string) map[string]string {
	l := map[string]string{firedrill.LabelRun: d.runID(), firedrill.LabelKind: kind}
	if system != "" {
		l[firedrill.LabelSystem] = system
	}
	return l
}

func (d *Docker) startTimeout() time.Duration {
	if d.StartTimeout > 0 {
		return d.StartTimeout
	}
	return 60 * time.Second
}

// setUp builds (or finds) firedrill's image and creates the run's network,
// once.
func (d *Docker) setUp(ctx context.Context) error {
	if d.closed {
		return errors.New("scenarios: docker runtime: closed")
	}
	if d.nw != nil {
		return nil
	}
	quietTestcontainers.Do(func() { tclog.SetDefault(firedrill.Logger(d.logger())) })
	firedrill.ReaperPolicy(ctx)
	img, err := firedrill.BuildImage(ctx, d.Binary)
	if err != nil {
		return fmt.Errorf("scenarios: docker runtime: firedrill's image: %w", err)
	}
	d.image = img
	nw, err := network.New(ctx, network.WithLabels(d.labels("network", "")))
	if err != nil {
		return fmt.Errorf("scenarios: docker runtime: the run's network: %w", err)
	}
	d.nw = nw
	d.logger().Info("docker runtime up", "run", d.runID(), "image", img, "network", nw.Name)
	return nil
}

// Toxiproxy starts the Toxiproxy container on first use, publishing one
// port per vendor (see Prepare).
func (d *Docker) Toxiproxy(ctx context.Context) (*chaos.Toxiproxy, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tp != nil {
		return d.tp, nil
	}
	if err := d.setUp(ctx); err != nil {
		return nil, err
	}
	ports := make([]int, 0, len(d.ports))
	for _, p := range d.ports {
		ports = append(ports, p)
	}
	c, err := firedrill.RunChaos(ctx, d.image, ports,
		network.WithNetwork([]string{chaosAlias}, d.nw),
		testcontainers.WithLabels(d.labels("chaos", "")))
	if c != nil {
		d.chaos = c
	}
	if err != nil {
		return nil, fmt.Errorf("scenarios: docker runtime: toxiproxy container: %w", err)
	}
	api, err := c.APIURL(ctx)
	if err != nil {
		return nil, fmt.Errorf("scenarios: docker runtime: toxiproxy container: %w", err)
	}
	tp, err := chaos.Remote(api)
	if err != nil {
		return nil, fmt.Errorf("scenarios: docker runtime: toxiproxy container: %w", err)
	}
	d.tp = tp
	return tp, nil
}

// ServeMock is refused: this runtime runs its mocks from their declaration
// (RunMock), in containers.
func (d *Docker) ServeMock(context.Context, string, http.Handler, toolkit.ServerLimits) (string, error) {
	return "", errors.New("scenarios: the docker runtime runs mocks in containers, from their declaration")
}

// RunMock starts the mock of m in a container of firedrill's image, known
// on the network by its system's name.
func (d *Docker) RunMock(ctx context.Context, m MockPlan) (RunningMock, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.setUp(ctx); err != nil {
		return RunningMock{}, err
	}
	c, err := firedrill.Run(ctx, d.image,
		firedrill.WithMock(m.Name, m.Spec),
		firedrill.WithRunID(d.runID()),
		firedrill.WithStartupTimeout(d.startTimeout()),
		network.WithNetwork([]string{m.Name}, d.nw),
		testcontainers.WithLabels(d.labels("mock", m.Name)))
	if c != nil {
		d.mocks = append(d.mocks, namedMock{m.Name, c})
	}
	if err != nil {
		return RunningMock{}, fmt.Errorf("scenarios: docker runtime: mock %q: %w", m.Name, err)
	}
	direct, err := c.MockURL(ctx, m.Name)
	if err != nil {
		return RunningMock{}, fmt.Errorf("scenarios: docker runtime: mock %q: %w", m.Name, err)
	}
	return RunningMock{
		Upstream: net.JoinHostPort(m.Name, strconv.Itoa(c.MockPort(m.Name))),
		Direct:   strings.TrimPrefix(strings.TrimRight(direct, "/"), "http://"),
	}, nil
}

// ProxyListen is the vendor's port in the Toxiproxy container, on every
// interface of it.
func (d *Docker) ProxyListen(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.ports[name]
	if !ok {
		p = firstProxyPort + len(d.ports)
		d.ports[name] = p
	}
	return "0.0.0.0:" + strconv.Itoa(p)
}

// ProxyAddrs: the services reach a proxy at the Toxiproxy container's name,
// the harness at the port it is published on.
func (d *Docker) ProxyAddrs(ctx context.Context, name, listen string) (inner, harness string, err error) {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", "", err
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", "", fmt.Errorf("proxy port %q", port)
	}
	d.mu.Lock()
	c := d.chaos
	d.mu.Unlock()
	if c == nil {
		return "", "", errors.New("scenarios: docker runtime: no toxiproxy container")
	}
	harness, err = c.ProxyHostPort(ctx, n)
	if err != nil {
		return "", "", fmt.Errorf("scenarios: docker runtime: proxy %q is not published (it listens on %s): %w", name, listen, err)
	}
	return net.JoinHostPort(chaosAlias, port), harness, nil
}

// ServiceAddress is where the service listens in its container, known on
// the network by its system's name: the port declared, or 8080.
func (d *Docker) ServiceAddress(name string, port int) (Address, error) {
	if port == 0 {
		port = 8080
	}
	return Address{Scheme: "http", Host: name, Port: port}, nil
}

// StartService runs the service's image (or builds it from its Dockerfile
// first), waits for what the scenario asks (its health path, a log line,
// else its port), within its start_timeout.
func (d *Docker) StartService(ctx context.Context, spec ProcessSpec) (RunningService, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.setUp(ctx); err != nil {
		return nil, err
	}
	svc := spec.Service
	if svc == nil {
		return nil, fmt.Errorf("scenarios: docker runtime: service %q has no declaration", spec.Name)
	}
	img := svc.Image
	if svc.Build != "" {
		img = "firedrill-service-" + strings.ToLower(spec.Name) + ":" + d.runID()
		labels := d.labels("image", spec.Name)
		dockerfile := svc.Build
		if !filepath.IsAbs(dockerfile) {
			dockerfile = filepath.Join(spec.ScenarioDir, dockerfile)
		}
		if err := firedrill.BuildDockerfile(ctx, dockerfile, img, labels); err != nil {
			return nil, fmt.Errorf("scenarios: systems.%s.service.build: %w", spec.Name, err)
		}
		d.built = append(d.built, img)
	}
	timeout := svc.StartTimeout.D()
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	port := strconv.Itoa(spec.Port) + "/tcp"
	var waits []wait.Strategy
	if svc.Health != "" {
		waits = append(waits, wait.ForHTTP(svc.Health).WithPort(port).WithPollInterval(20*time.Millisecond).
			WithStatusCodeMatcher(func(s int) bool { return s >= 200 && s < 300 }).WithStartupTimeout(timeout))
	} else {
		waits = append(waits, wait.ForListeningPort(port).SkipInternalCheck().WithPollInterval(20*time.Millisecond).WithStartupTimeout(timeout))
	}
	if svc.WaitLog != "" {
		waits = append(waits, wait.ForLog(svc.WaitLog).WithPollInterval(20*time.Millisecond).WithStartupTimeout(timeout))
	}
	env := map[string]string{}
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(port),
		testcontainers.WithEnv(env),
		testcontainers.WithLabels(d.labels("service", spec.Name)),
		network.WithNetwork([]string{spec.Name}, d.nw),
		testcontainers.WithWaitStrategyAndDeadline(timeout, waits...),
	}
	if r := svc.Resources; r != nil {
		mem, _ := ParseBytes(r.Memory) // checked by Validate
		cpus := r.CPUs
		opts = append(opts, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			if mem > 0 {
				hc.Memory = mem
			}
			if cpus > 0 {
				hc.NanoCPUs = int64(cpus * 1e9)
			}
		}))
	}
	c, err := testcontainers.Run(ctx, img, opts...)
	s := &dockerService{name: spec.Name, c: c, logDir: spec.LogDir, redact: spec.Redact, port: port}
	if c != nil {
		d.services = append(d.services, s)
	}
	if err != nil {
		lines := ""
		if c != nil {
			lines = s.LastLines()
		}
		return nil, fmt.Errorf("scenarios: docker runtime: service %q (image %s) did not start: %w%s", spec.Name, img, err, lastLinesNote(lines))
	}
	mapped, err := c.MappedPort(ctx, port)
	if err != nil {
		return nil, fmt.Errorf("scenarios: docker runtime: service %q: port %s: %w", spec.Name, port, err)
	}
	s.harness = net.JoinHostPort("127.0.0.1", mapped.Port())
	s.watch()
	return s, nil
}

func lastLinesNote(lines string) string {
	if strings.TrimSpace(lines) == "" {
		return ""
	}
	return "; its last output:\n" + indent(lines)
}

// Close stops the services (keeping their logs), the mocks and Toxiproxy
// (keeping theirs), removes the network and the images built for the run.
// Idempotent.
func (d *Docker) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	services, mocks, ch, nw, built := d.services, d.mocks, d.chaos, d.nw, d.built
	d.mu.Unlock()
	var errs []error
	for _, s := range services {
		errs = append(errs, s.Stop(5*time.Second))
	}
	for _, m := range mocks {
		d.keepLog(ctx, m.c, "mock-"+m.name)
		errs = append(errs, m.c.Terminate(ctx))
	}
	if ch != nil {
		d.keepLog(ctx, ch, "toxiproxy")
		errs = append(errs, ch.Terminate(ctx))
	}
	if nw != nil {
		errs = append(errs, nw.Remove(ctx))
	}
	for _, img := range built {
		errs = append(errs, firedrill.RemoveImage(ctx, img))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scenarios: docker runtime: down (firedrill clean --run %s removes what is left): %w", d.runID(), err)
	}
	return nil
}

// namedMock is a mock container and its system's name.
type namedMock struct {
	name string
	c    *firedrill.Container
}

// logged is a container whose output can be read.
type logged interface {
	Logs(ctx context.Context) (io.ReadCloser, error)
}

// keepLog saves a container's output in the run folder as NAME.log.
func (d *Docker) keepLog(ctx context.Context, c logged, name string) {
	if d.LogDir == "" {
		return
	}
	if err := saveLog(ctx, c, filepath.Join(d.LogDir, name+".log"), nil); err != nil {
		d.logger().Warn("docker runtime: container log not kept", "container", name, "err", err)
	}
}

func saveLog(ctx context.Context, c logged, path string, redact *Secrets) error {
	rc, err := c.Logs(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return err
	}
	if redact != nil {
		data = []byte(redact.Redact(string(data)))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// dockerService is a service under test in a container.
type dockerService struct {
	name    string
	c       *testcontainers.DockerContainer
	logDir  string
	redact  *Secrets
	port    string
	harness string

	once sync.Once
	err  error

	// What watch learns: done closes when the container stops on its own.
	stopWatch context.CancelFunc
	watched   chan struct{}
	done      chan struct{}
	exit      error
}

// watch polls the container's state until it stops on its own (done,
// with its exit code in exit) or Stop ends the watch.
func (s *dockerService) watch() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatch, s.watched, s.done = cancel, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.watched)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			st, err := s.c.State(ctx)
			if err != nil || st.Running {
				continue
			}
			s.exit = fmt.Errorf("container %s, exit code %d", st.Status, st.ExitCode)
			if st.OOMKilled {
				s.exit = fmt.Errorf("container killed for want of memory (its resources.memory), exit code %d", st.ExitCode)
			}
			close(s.done)
			return
		}
	}()
}

// Done is closed when the service's container stops on its own.
func (s *dockerService) Done() <-chan struct{} { return s.done }

// Exited reports whether the container stopped on its own, and how.
func (s *dockerService) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.exit
	default:
		return false, nil
	}
}

// HarnessAddr is the loopback host:port the service's port is published on.
func (s *dockerService) HarnessAddr() string { return s.harness }

// WaitHealthy asks url until it answers 2xx, as for a process: the
// container's wait strategy has already, from the engine's side; this is
// the harness's view, through the published port.
func (s *dockerService) WaitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	return waitHealthy(ctx, s.name, url, timeout, s)
}

// LastLines is the end of the container's output.
func (s *dockerService) LastLines() string {
	if s.c == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := s.c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	data, _ := io.ReadAll(io.LimitReader(rc, 8<<20))
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	out := string(bytes.Join(lines, []byte("\n")))
	if s.redact != nil {
		out = s.redact.Redact(out)
	}
	return out
}

// Stop stops the container within grace, keeps its log as NAME.log in the
// run folder, and removes it.
func (s *dockerService) Stop(grace time.Duration) error {
	s.once.Do(func() {
		if s.stopWatch != nil {
			s.stopWatch()
			<-s.watched
		}
		ctx, cancel := context.WithTimeout(context.Background(), grace+30*time.Second)
		defer cancel()
		_ = s.c.Stop(ctx, &grace)
		if s.logDir != "" {
			if err := saveLog(ctx, s.c, filepath.Join(s.logDir, s.name+".log"), s.redact); err != nil {
				slog.Warn("docker runtime: service log not kept", "service", s.name, "err", err)
			}
		}
		s.err = s.c.Terminate(ctx)
	})
	return s.err
}
