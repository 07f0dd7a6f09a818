package firedrill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Chaos is a container running a Toxiproxy server that RunChaos started.
type Chaos struct {
	started
	proxyPorts []int
}

// RunChaos starts, in image (BuildImage's), `firedrill chaos serve` with
// its API on ChaosAPIPort of every interface of the container, exposing
// the API and proxyPorts (the in-container ports its proxies will listen
// on: create them with listen 0.0.0.0:PORT through chaos.Remote(APIURL)),
// and waits until the API answers. It is labelled LabelRun (WithRunID) and
// LabelKind=chaos; its memory is bounded as Run's. WithMock does not apply.
//
// When a container was created, RunChaos returns it even with an error:
// terminate it (Terminate is nil-safe).
func RunChaos(ctx context.Context, image string, proxyPorts []int, opts ...testcontainers.ContainerCustomizer) (*Chaos, error) {
	set, err := readSettings(opts)
	if err != nil {
		return nil, err
	}
	if len(set.mocks) > 0 {
		return nil, errors.New("firedrill: run chaos: WithMock declares a mock, which Run starts, not RunChaos")
	}
	exposed := []string{strconv.Itoa(ChaosAPIPort) + "/tcp"}
	for i, p := range proxyPorts {
		if p < 1 || p > 65535 || p == ChaosAPIPort || slices.Contains(proxyPorts[:i], p) {
			return nil, fmt.Errorf("firedrill: run chaos: proxy port %d: want distinct ports from 1 to 65535 but %d", p, ChaosAPIPort)
		}
		exposed = append(exposed, strconv.Itoa(p)+"/tcp")
	}
	ReaperPolicy(ctx)
	own := []testcontainers.ContainerCustomizer{
		testcontainers.WithCmd("chaos", "serve", "--api", "0.0.0.0:"+strconv.Itoa(ChaosAPIPort)),
		testcontainers.WithExposedPorts(exposed...),
		testcontainers.WithLabels(map[string]string{LabelRun: set.runID, LabelKind: KindChaos}),
		testcontainers.WithHostConfigModifier(boundMemory),
		testcontainers.WithWaitStrategyAndDeadline(set.timeout, wait.ForHTTP("/version").WithPort(exposed[0])),
	}
	ctr, err := start(ctx, image, own, opts)
	var c *Chaos
	if ctr != nil {
		c = &Chaos{started: started{DockerContainer: ctr, runID: set.runID}, proxyPorts: slices.Clone(proxyPorts)}
	}
	if err != nil {
		return c, fmt.Errorf("firedrill: run chaos in %s: %w", image, err)
	}
	return c, nil
}

// APIURL is the Toxiproxy API's URL from the host (loopback, the mapped
// port), for chaos.Remote.
func (c *Chaos) APIURL(ctx context.Context) (string, error) {
	if c == nil {
		return "", errors.New("firedrill: chaos: the container is not running")
	}
	hp, err := c.hostPort(ctx, ChaosAPIPort)
	if err != nil {
		return "", fmt.Errorf("firedrill: chaos API: %w", err)
	}
	return "http://" + hp, nil
}

// ProxyHostPort is where the host reaches the proxy that listens on port
// in the container (one of RunChaos's proxyPorts): loopback host:port.
func (c *Chaos) ProxyHostPort(ctx context.Context, port int) (string, error) {
	if c == nil || !slices.Contains(c.proxyPorts, port) {
		return "", fmt.Errorf("firedrill: chaos: port %d is not one of the proxy ports the container exposes", port)
	}
	hp, err := c.hostPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("firedrill: chaos proxy: %w", err)
	}
	return hp, nil
}

// Terminate stops and removes the container with its proxies; its image
// is kept. It is idempotent and safe on nil.
func (c *Chaos) Terminate(ctx context.Context, opts ...testcontainers.TerminateOption) error {
	if c == nil {
		return nil
	}
	return c.started.Terminate(ctx, opts...)
}

// RunID is the run the container belongs to (LabelRun).
func (c *Chaos) RunID() string {
	if c == nil {
		return ""
	}
	return c.runID
}
