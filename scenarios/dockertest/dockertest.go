// Package dockertest is what firedrill's tests that need a Docker engine
// share: whether one is there, and a static firedrill binary to put in
// firedrill's image.
//
// A machine without an engine skips those tests, saying so; a machine with
// one runs them, and a failure to reach it fails them: CI must not pass a
// suite of skipped container tests unseen.
package dockertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// engineSocket is where a local Docker engine listens by default.
const engineSocket = "/var/run/docker.sock"

// Present reports whether this machine has a Docker engine to use: DOCKER_HOST
// is set, or the default socket exists.
func Present() bool {
	if os.Getenv("DOCKER_HOST") != "" {
		return true
	}
	_, err := os.Stat(engineSocket)
	return err == nil
}

// Need stops a test where there is no Docker engine (it skips, naming what
// is missing) and fails it where there is one that does not answer.
func Need(tb testing.TB) {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skipf("the docker runtime's tests run on Linux, where firedrill's image is built from this binary")
	}
	if !Present() {
		tb.Skipf("no Docker engine here (no %s, no DOCKER_HOST): the docker runtime's tests need one", engineSocket)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.APIVersion}}").CombinedOutput(); err != nil {
		tb.Fatalf("a Docker engine is configured here but does not answer (docker version: %v): %s", err, strings.TrimSpace(string(out)))
	}
	// Ryuk, testcontainers' reaper, cannot be pulled where there is no
	// registry; firedrill terminates what it starts itself.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		if err := exec.CommandContext(ctx, "docker", "image", "inspect", "testcontainers/ryuk:0.14.0").Run(); err != nil {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
	}
}

var static struct {
	once sync.Once
	path string
	err  error
}

// Firedrill builds a static Linux firedrill binary (CGO_ENABLED=0), once per
// test binary, and returns its path: what firedrill's image holds.
func Firedrill(tb testing.TB) string {
	tb.Helper()
	static.once.Do(func() {
		dir, err := os.MkdirTemp("", "firedrill-static-")
		if err != nil {
			static.err = err
			return
		}
		static.path = filepath.Join(dir, "firedrill")
		static.err = Build(static.path, "github.com/firedrill/firedrill/cmd/firedrill")
	})
	if static.err != nil {
		tb.Fatal(static.err)
	}
	return static.path
}

// Build builds the Go package pkg as a static Linux binary at out.
func Build(out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
