package firedrill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// RyukImage is the reaper image testcontainers-go v0.45 starts, unless
// Ryuk is off.
const RyukImage = "testcontainers/ryuk:0.14.0"

// ErrNoEngine is returned when no Docker engine answers.
var ErrNoEngine = errors.New("firedrill: no Docker engine answers (is the daemon running, is DOCKER_HOST right?)")

var reaper struct {
	once sync.Once
	on   bool
}

// ReaperPolicy decides, once per process and before testcontainers-go
// reads its configuration, whether its Ryuk reaper runs: as
// TESTCONTAINERS_RYUK_DISABLED says when it is set; else on when the Ryuk
// image is on the engine, and off when it is not (it would have to be
// pulled), which it logs: firedrill then terminates what it starts itself,
// and Clean sweeps what an interrupted run left. It reports whether Ryuk
// is on. BuildImage, Run, RunChaos and Clean call it first; call it
// yourself before any other testcontainers-go call (network.New).
//
// It also settles, once, where testcontainers-go reaches the containers'
// ports: from a process in a container it infers the gateway's address,
// which is wrong when the engine runs in that very container (Docker in
// Docker); then, unless TESTCONTAINERS_HOST_OVERRIDE is set, it is set to
// 127.0.0.1.
func ReaperPolicy(ctx context.Context) bool {
	reaper.once.Do(func() {
		reaper.on = reaperPolicy(ctx)
		hostPolicy(ctx)
	})
	return reaper.on
}

// hostPolicy sets TESTCONTAINERS_HOST_OVERRIDE to 127.0.0.1 when this
// process runs in a container whose engine runs beside it, on the same
// host name, where testcontainers-go would reach the ports through a
// gateway that does not forward them.
func hostPolicy(ctx context.Context) {
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); set {
		return
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return // not in a container: testcontainers-go says localhost
	}
	c, err := client.New(client.FromEnv)
	if err != nil {
		return
	}
	defer c.Close()
	if !strings.HasPrefix(c.DaemonHost(), "unix://") {
		return // a remote engine: its address is right
	}
	info, err := c.Info(ctx, client.InfoOptions{})
	host, _ := os.Hostname()
	if err != nil || info.Info.Name == "" || info.Info.Name != host {
		return // the engine of the machine around this container
	}
	os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	slog.DebugContext(ctx, "firedrill: the Docker engine runs in this container: its containers' ports are reached on 127.0.0.1", "engine", info.Info.Name)
}

func reaperPolicy(ctx context.Context) bool {
	if v, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); ok {
		off, _ := strconv.ParseBool(v)
		return !off
	}
	image := RyukImage
	if p := os.Getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"); p != "" {
		image = p + "/" + image
	}
	present, err := imagePresent(ctx, image)
	if present {
		return true
	}
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	if err != nil {
		slog.DebugContext(ctx, "firedrill: Ryuk is off: the engine cannot tell whether it has the Ryuk image", "err", err)
		return false
	}
	slog.DebugContext(ctx, "firedrill: the Ryuk reaper image is not on this engine and is not pulled: Ryuk is off, firedrill terminates the containers it starts itself (firedrill clean sweeps what an interrupted run left)", "image", image)
	return false
}

// imagePresent asks the engine, through a client of its own (any client
// of testcontainers-go would read its configuration), whether image is
// there.
func imagePresent(ctx context.Context, image string) (bool, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if _, err := c.Ping(ctx, client.PingOptions{}); err != nil {
		return false, err
	}
	_, err = c.ImageInspect(ctx, image)
	return err == nil, nil
}

// engine returns a client of the engine testcontainers-go uses, once the
// reaper policy is set; ErrNoEngine when none answers.
//
// An engine DOCKER_HOST names must answer: testcontainers-go would
// otherwise fall back to another engine, the local socket's.
func engine(ctx context.Context) (*testcontainers.DockerClient, error) {
	ReaperPolicy(ctx)
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		if err := ping(ctx); err != nil {
			return nil, fmt.Errorf("%w: DOCKER_HOST=%s: %w", ErrNoEngine, host, err)
		}
	}
	c, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoEngine, err)
	}
	return c, nil
}

// ping asks the engine of the environment (DOCKER_HOST) whether it answers.
func ping(ctx context.Context) error {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Ping(ctx, client.PingOptions{})
	return err
}

// Ping reports whether a Docker engine answers: nil, or an error wrapping
// ErrNoEngine.
func Ping(ctx context.Context) error {
	c, err := engine(ctx)
	if err != nil {
		return err
	}
	return c.Close()
}

// Logger adapts l to testcontainers-go's logger: what testcontainers-go
// says (the engine it connected to, each container created, started,
// terminated) is logged at debug level. A command line sets it with
// testcontainers-go's log.SetDefault, so its banner does not mix with
// the command's output.
func Logger(l *slog.Logger) tclog.Logger { return slogPrintf{l} }

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, v ...any) {
	s.l.Debug("testcontainers: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}
