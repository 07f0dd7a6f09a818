package firedrill

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/mocks"
)

// Defaults of Run and RunChaos.
const (
	// DefaultStartupTimeout bounds the wait for a container's mocks or API
	// to answer.
	DefaultStartupTimeout = 60 * time.Second
	// DefaultMemory bounds a container's memory unless a
	// testcontainers.WithHostConfigModifier sets another bound.
	DefaultMemory = 256 << 20
	// MockPort is the in-container port of the first mock; the next ones
	// follow it.
	MockPort = 8080
	// ChaosAPIPort is the in-container port of the Toxiproxy API.
	ChaosAPIPort = 8474
)

// Option is one of firedrill's options of Run and RunChaos: a
// testcontainers.ContainerCustomizer that Run reads before the request is
// built, and that changes nothing in the request itself. An Option that
// cannot apply makes Run return its error.
type Option func(*settings) error

// Customize does nothing: Run reads the Option before it builds the
// request.
func (o Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

// settings are what the Options set.
type settings struct {
	runID      string
	mocks      []mockDecl
	adminHosts []string
	timeout    time.Duration
}

// mockDecl is one WithMock.
type mockDecl struct {
	system string
	spec   mocks.Spec
}

// WithMock adds a mock for system, as spec declares it; its contract and
// the files of its records (relative to the working directory) are
// copied into the container. The mocks take consecutive ports from
// MockPort, in the order given.
func WithMock(system string, spec mocks.Spec) Option {
	return func(s *settings) error {
		if !systemName.MatchString(system) {
			return fmt.Errorf("firedrill: mock %q: a system's name is letters, digits, '_', '.' and '-', not first", system)
		}
		if slices.ContainsFunc(s.mocks, func(m mockDecl) bool { return m.system == system }) {
			return fmt.Errorf("firedrill: mock %q is declared twice", system)
		}
		if spec.Contract == "" {
			return fmt.Errorf("firedrill: mock %q: the declaration names no contract", system)
		}
		var errs []error
		if _, err := ContractFiles(spec.Contract); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("firedrill: mock %q: %w", system, err))
		}
		for _, f := range specFiles(spec) {
			if _, err := os.Stat(f); err != nil {
				errs = append(errs, fmt.Errorf("firedrill: mock %q: %w", system, err))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		s.mocks = append(s.mocks, mockDecl{system: system, spec: spec})
		return nil
	}
}

// systemName is what a system's name may be, as `firedrill mock --config
// NAME=FILE` takes it.
var systemName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// WithRunID sets the run the containers belong to (LabelRun), which Clean
// sweeps; a random one when not given.
func WithRunID(id string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(id) == "" {
			return errors.New("firedrill: an empty run id")
		}
		s.runID = id
		return nil
	}
}

// WithAdminHost adds a name, besides loopback, that the mocks' admin API
// answers to (`firedrill mock --admin-host`). The container's network
// aliases are added without it.
func WithAdminHost(name string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("firedrill: an empty admin host")
		}
		s.adminHosts = append(s.adminHosts, name)
		return nil
	}
}

// WithStartupTimeout bounds the wait for the container to answer
// (DefaultStartupTimeout).
func WithStartupTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("firedrill: startup timeout %s: want more than 0", d)
		}
		s.timeout = d
		return nil
	}
}

// readSettings applies the Options among opts.
func readSettings(opts []testcontainers.ContainerCustomizer) (settings, error) {
	s := settings{timeout: DefaultStartupTimeout}
	var errs []error
	for _, o := range opts {
		if fo, ok := o.(Option); ok {
			if err := fo(&s); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if s.runID == "" {
		b := make([]byte, 6)
		rand.Read(b)
		s.runID = "run-" + hex.EncodeToString(b)
	}
	return s, errors.Join(errs...)
}

// boundMemory is the default bound of a container's memory, which a
// later testcontainers.WithHostConfigModifier may change.
func boundMemory(hc *container.HostConfig) {
	if hc.Memory == 0 {
		hc.Memory = DefaultMemory
	}
}

// specFiles are the files a declaration names: its contract and its
// records'.
func specFiles(spec mocks.Spec) []string {
	files := []string{spec.Contract}
	for _, name := range slices.Sorted(maps.Keys(spec.Records)) {
		if f := spec.Records[name].File; f != "" {
			files = append(files, f)
		}
	}
	return files
}
