package firedrill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Container is a container of firedrill mocks that Run started.
type Container struct {
	started
	ports map[string]int // system → in-container port
}

// mockDir is where a container's mock declarations and their files are.
const mockDir = "/mocks"

// Run starts, in image (BuildImage's), `firedrill mock --network private`
// serving one mock per WithMock, on ports MockPort, MockPort+1... of the
// container, and waits until every mock answers its health check
// (WithStartupTimeout). Each mock's declaration is written into the
// container as a --config file, its contract and records copied beside
// it. The container is labelled LabelRun (WithRunID), LabelKind=mock and
// LabelSystem; its memory is bounded (DefaultMemory) unless a
// testcontainers.WithHostConfigModifier says otherwise. Its network
// aliases (network.WithNetwork) and the WithAdminHost names are the names
// the mocks' admin API answers besides loopback.
//
// When a container was created, Run returns it even with an error:
// terminate it (Terminate is nil-safe).
func Run(ctx context.Context, image string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	set, err := readSettings(opts)
	if err != nil {
		return nil, err
	}
	if len(set.mocks) == 0 {
		return nil, errors.New("firedrill: run: no mock: give at least one WithMock")
	}
	ReaperPolicy(ctx)
	args := []string{"mock", "--network", string(toolkit.NetworkPrivate), "--listen", "0.0.0.0:" + strconv.Itoa(MockPort)}
	if h := daemonHost(ctx); h != "" {
		set.adminHosts = append(set.adminHosts, h)
	}
	for _, h := range set.adminHosts {
		args = append(args, "--admin-host", h)
	}
	var files []testcontainers.ContainerFile
	var exposed, systems []string
	var waits []wait.Strategy
	ports := map[string]int{}
	for i, m := range set.mocks {
		decl, err := mockFiles(i, m.spec)
		if err != nil {
			return nil, fmt.Errorf("firedrill: mock %q: %w", m.system, err)
		}
		files = append(files, decl...)
		port := MockPort + i
		ports[m.system] = port
		p := strconv.Itoa(port) + "/tcp"
		exposed, systems = append(exposed, p), append(systems, m.system)
		args = append(args, "--config", m.system+"="+path.Join(mockDir, strconv.Itoa(i), "mock.yaml"))
		waits = append(waits, wait.ForHTTP(toolkit.AdminPrefix+"health").WithPort(p))
	}
	own := []testcontainers.ContainerCustomizer{
		testcontainers.WithCmd(args...),
		testcontainers.WithExposedPorts(exposed...),
		testcontainers.WithFiles(files...),
		testcontainers.WithLabels(map[string]string{LabelRun: set.runID, LabelKind: KindMock, LabelSystem: strings.Join(systems, ",")}),
		testcontainers.WithHostConfigModifier(boundMemory),
		testcontainers.WithWaitStrategyAndDeadline(set.timeout, waits...),
	}
	ctr, err := start(ctx, image, own, opts, aliasesAsAdminHosts())
	var c *Container
	if ctr != nil {
		c = &Container{started: started{DockerContainer: ctr, runID: set.runID}, ports: ports}
	}
	if err != nil {
		return c, fmt.Errorf("firedrill: run mocks %s in %s: %w", strings.Join(systems, ", "), image, err)
	}
	return c, nil
}

// aliasesAsAdminHosts lets the mocks' admin API answer the container's
// network aliases: it runs after every other customizer.
func aliasesAsAdminHosts() testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		var names []string
		for _, aliases := range req.NetworkAliases {
			names = append(names, aliases...)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			req.Cmd = append(req.Cmd, "--admin-host", n)
		}
		return nil
	}
}

// mockFiles are the files of the i-th mock in the container: its
// contract (with the files its $refs name), its records' files, and its
// declaration naming them there.
func mockFiles(i int, spec mocks.Spec) ([]testcontainers.ContainerFile, error) {
	dir := path.Join(mockDir, strconv.Itoa(i))
	parts, err := ContractFiles(spec.Contract)
	if err != nil {
		return nil, err
	}
	var files []testcontainers.ContainerFile
	for _, rel := range parts {
		files = append(files, testcontainers.ContainerFile{HostFilePath: filepath.Join(filepath.Dir(spec.Contract), rel),
			ContainerFilePath: path.Join(dir, "contract", filepath.ToSlash(rel)), FileMode: 0o644})
	}
	spec.Contract = files[0].ContainerFilePath
	if len(spec.Records) > 0 {
		records := maps.Clone(spec.Records)
		for _, name := range slices.Sorted(maps.Keys(records)) {
			r := records[name]
			if r.File == "" {
				continue
			}
			to := path.Join(dir, "records", strconv.Itoa(len(files))+"-"+filepath.Base(r.File))
			files = append(files, testcontainers.ContainerFile{HostFilePath: r.File, ContainerFilePath: to, FileMode: 0o644})
			r.File = to
			records[name] = r
		}
		spec.Records = records
	}
	decl, err := yaml.Marshal(spec)
	if err != nil {
		return nil, err
	}
	return append(files, testcontainers.ContainerFile{Reader: strings.NewReader(string(decl)), ContainerFilePath: path.Join(dir, "mock.yaml"), FileMode: 0o644}), nil
}

// Systems are the systems the container mocks, in the order of their
// ports.
func (c *Container) Systems() []string {
	if c == nil {
		return nil
	}
	out := slices.Collect(maps.Keys(c.ports))
	slices.SortFunc(out, func(a, b string) int { return c.ports[a] - c.ports[b] })
	return out
}

// MockPort is the port of system's mock in the container, for a URL on the
// container's network (http://ALIAS:PORT); 0 when it mocks no system.
func (c *Container) MockPort(system string) int {
	if c == nil {
		return 0
	}
	return c.ports[system]
}

// MockURL is the root URL of system's mock from the host: loopback, the
// port the engine mapped (the contract's base path is not in it).
func (c *Container) MockURL(ctx context.Context, system string) (string, error) {
	port := c.MockPort(system)
	if port == 0 {
		return "", fmt.Errorf("firedrill: no mock of %q in this container (it has %s)", system, strings.Join(c.Systems(), ", "))
	}
	hp, err := c.hostPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("firedrill: mock %q: %w", system, err)
	}
	return "http://" + hp, nil
}

// Terminate stops and removes the container; its image is kept. It is
// idempotent and safe on nil.
func (c *Container) Terminate(ctx context.Context, opts ...testcontainers.TerminateOption) error {
	if c == nil {
		return nil
	}
	return c.started.Terminate(ctx, opts...)
}

// RunID is the run the container belongs to (LabelRun).
func (c *Container) RunID() string {
	if c == nil {
		return ""
	}
	return c.runID
}
