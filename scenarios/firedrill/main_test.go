package firedrill

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/scenarios/dockertest"
)

// firedrill's image of the static binary, built once per test binary.
var fixture struct {
	imgOnce sync.Once
	img     string
	imgErr  error
}

// needDocker stops a test where there is no Docker engine (it skips,
// saying so) and fails it where one is configured but does not answer
// (dockertest.Need): CI cannot pass by skipping them on a machine with an
// engine.
func needDocker(t *testing.T) {
	t.Helper()
	dockertest.Need(t)
}

// staticBinary is the static linux firedrill binary, built once per test
// binary.
func staticBinary(t *testing.T) string {
	t.Helper()
	return dockertest.Firedrill(t)
}

// testImage is the firedrill image of the static binary, built once.
func testImage(t *testing.T) string {
	t.Helper()
	needDocker(t)
	bin := staticBinary(t)
	fixture.imgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// Kept, as every firedrill image: the other packages' tests
		// build the same binary and may be using it.
		fixture.img, fixture.imgErr = BuildImage(ctx, bin)
	})
	if fixture.imgErr != nil {
		t.Fatal(fixture.imgErr)
	}
	return fixture.img
}

// testMemory bounds every test container's memory.
var testMemory = testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.Memory = 128 << 20 })

// terminate registers the end of a container, whatever happens.
func terminate(t *testing.T, c interface {
	Terminate(context.Context, ...testcontainers.TerminateOption) error
}) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Terminate(ctx); err != nil {
			t.Logf("terminate: %v", err)
		}
	})
}

// testCtx is a context bounded for one test.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
