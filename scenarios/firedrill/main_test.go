package firedrill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// The static firedrill binary and its image, built once per test binary.
var fixture struct {
	dir string // holds the binary, removed by TestMain

	binOnce sync.Once
	bin     string
	binErr  error

	imgOnce sync.Once
	img     string
	imgErr  error
	built   bool // the tests built the image: TestMain removes it
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "firedrill-image-test-")
	if err != nil {
		panic(err)
	}
	fixture.dir = dir
	code := m.Run()
	if fixture.built {
		// One image per binary would pile up on a CI machine, run after run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := RemoveImage(ctx, fixture.img); err != nil {
			fmt.Fprintln(os.Stderr, "the test image stays:", err)
		}
		cancel()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needDocker stops a test when no Docker engine answers: it skips, or
// fails under CI=true, where the engine must be there.
func needDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Ping(ctx); err != nil {
		corpustest.Missing(t, "these tests run firedrill in containers and need a Docker engine: %v", err)
	}
}

// staticBinary builds the static linux firedrill binary once.
func staticBinary(t *testing.T) string {
	t.Helper()
	fixture.binOnce.Do(func() {
		bin := filepath.Join(fixture.dir, "firedrill")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/firedrill")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			fixture.binErr = errors.New("go build ./cmd/firedrill: " + err.Error() + ": " + string(out))
			return
		}
		fixture.bin = bin
	})
	if fixture.binErr != nil {
		t.Fatal(fixture.binErr)
	}
	return fixture.bin
}

// testImage is the firedrill image of the static binary, built once.
func testImage(t *testing.T) string {
	t.Helper()
	needDocker(t)
	bin := staticBinary(t)
	fixture.imgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		existed := imageExists(ctx, bin)
		fixture.img, fixture.imgErr = BuildImage(ctx, bin)
		fixture.built = fixture.imgErr == nil && !existed
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

// imageExists reports whether the image of binary is on the engine already
// (another test process, or a run before this one, built it).
func imageExists(ctx context.Context, binary string) bool {
	data, err := os.ReadFile(binary)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(data)
	c, err := engine(ctx)
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.ImageInspect(ctx, ImageRepo+":"+hex.EncodeToString(sum[:])[:12])
	return err == nil
}
