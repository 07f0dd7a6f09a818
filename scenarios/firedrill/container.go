package firedrill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// started is a container Run or RunChaos started, and its run.
type started struct {
	*testcontainers.DockerContainer
	runID string

	once sync.Once
	err  error

	hostOnce sync.Once
	host     string // how the host reaches the mapped ports
}

// Terminate stops and removes the container once.
func (s *started) Terminate(ctx context.Context, opts ...testcontainers.TerminateOption) error {
	if s == nil || s.DockerContainer == nil {
		return nil
	}
	s.once.Do(func() { s.err = s.DockerContainer.Terminate(ctx, opts...) })
	return s.err
}

// hostPort is where the host reaches the container's port: loopback, the
// port the engine mapped it to.
func (s *started) hostPort(ctx context.Context, port int) (string, error) {
	if s == nil || s.DockerContainer == nil {
		return "", errors.New("firedrill: the container is not running")
	}
	p, err := s.MappedPort(ctx, strconv.Itoa(port)+"/tcp")
	if err != nil {
		return "", fmt.Errorf("firedrill: port %d: %w", port, err)
	}
	s.hostOnce.Do(func() { s.host = s.reachableHost(ctx, p.Port()) })
	return net.JoinHostPort(s.host, p.Port()), nil
}

// reachableHost is 127.0.0.1 when the mapped port answers there (an engine
// on this machine, or in this container), else the host testcontainers-go
// infers (the engine's address, or the gateway when the engine runs
// beside this container).
func (s *started) reachableHost(ctx context.Context, port string) string {
	d := net.Dialer{Timeout: time.Second}
	if c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
		c.Close()
		return "127.0.0.1"
	}
	if h, err := s.Host(ctx); err == nil && h != "" {
		return h
	}
	return "127.0.0.1"
}

// daemonHost is the name by which testcontainers-go reaches containers'
// ports, which the wait strategies send as Host: when it is not loopback
// (a gateway address, when this process runs in a container), the admin
// API of the mocks must answer it.
func daemonHost(ctx context.Context) string {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return ""
	}
	defer p.Close()
	h, err := p.DaemonHost(ctx)
	if err != nil || h == "localhost" {
		return ""
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return ""
	}
	return h
}

// start runs image with firedrill's own customizers, then the caller's
// (which may add to them or change them), then last: what must see the
// whole request. It returns the container it created even with an error,
// for the caller to terminate; the error carries the end of the
// container's log.
func start(ctx context.Context, image string, own, caller []testcontainers.ContainerCustomizer, last ...testcontainers.ContainerCustomizer) (*testcontainers.DockerContainer, error) {
	opts := append(append(append([]testcontainers.ContainerCustomizer{}, own...), caller...), last...)
	c, err := testcontainers.Run(ctx, image, opts...)
	if err != nil && c != nil {
		if tail := logTail(ctx, c); tail != "" {
			err = fmt.Errorf("%w; the container's log ends with:\n%s", err, tail)
		}
	}
	return c, err
}

// logTail is the end of a container's log, for an error.
func logTail(ctx context.Context, c *testcontainers.DockerContainer) string {
	r, err := c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer r.Close()
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return string(b)
}
