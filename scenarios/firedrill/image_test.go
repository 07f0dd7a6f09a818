package firedrill

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks"
)

// TestCheckBinary: only a static linux Go executable of the engine's
// architecture goes into an image FROM scratch.
func TestCheckBinary(t *testing.T) {
	t.Parallel()
	bin := staticBinary(t)
	if err := checkBinary(bin, "x86_64"); err != nil && strings.Contains(err.Error(), "dynamically") {
		t.Fatalf("the static binary was refused: %v", err)
	}
	text := filepath.Join(t.TempDir(), "firedrill")
	os.WriteFile(text, []byte("#!/bin/sh\necho firedrill\n"), 0o755)
	dynamic := "/bin/ls" // linked against libc, as a cgo build is
	for _, tt := range []struct {
		path, arch, want string
	}{
		{dynamic, "x86_64", "dynamically linked"},
		{text, "x86_64", "not an ELF executable"},
		{bin, map[string]string{"amd64": "aarch64", "arm64": "x86_64"}[goarchOf(t, bin)], "the engine runs"},
	} {
		err := checkBinary(tt.path, tt.arch)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "CGO_ENABLED=0 GOOS=linux") {
			t.Errorf("checkBinary(%s, %s) = %v, want a refusal naming %q and how to build", tt.path, tt.arch, err, tt.want)
		}
	}
}

// goarchOf is the GOARCH a Go binary was built for.
func goarchOf(t *testing.T, path string) string {
	t.Helper()
	for _, arch := range []string{"amd64", "arm64"} {
		if checkBinary(path, arch) == nil {
			return arch
		}
	}
	t.Fatalf("%s is neither amd64 nor arm64", path)
	return ""
}

// TestBuildImage: the image is built once per binary, tagged by its
// digest, labelled, and a container's Terminate leaves it; a dynamic
// binary is refused.
func TestBuildImage(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	if !strings.HasPrefix(img, ImageRepo+":") || len(img) != len(ImageRepo)+1+12 {
		t.Fatalf("tag %q, want %s:<12 hex digits>", img, ImageRepo)
	}
	c, err := engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, err := c.ImageInspect(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if before.Config == nil || before.Config.Labels[LabelKind] != KindImage || len(before.Config.Entrypoint) != 1 || before.Config.Entrypoint[0] != "/firedrill" {
		t.Errorf("image config %+v, want label %s=%s and entrypoint /firedrill", before.Config, LabelKind, KindImage)
	}
	start := time.Now()
	again, err := BuildImage(ctx, staticBinary(t))
	took := time.Since(start)
	if err != nil || again != img {
		t.Fatalf("second BuildImage = %q, %v; want %q", again, err, img)
	}
	if after, err := c.ImageInspect(ctx, img); err != nil || after.ID != before.ID || after.Created != before.Created {
		t.Errorf("the second BuildImage built again: image %s → %s", before.ID, after.ID)
	}
	if took > 5*time.Second {
		t.Errorf("the second BuildImage took %v: the fast path does not build", took)
	}
	t.Logf("second BuildImage of the same binary: %v", took)

	mock, err := Run(ctx, img, WithMock("pets", mocks.Spec{Contract: petstore}), WithRunID("build-image-test"), testMemory)
	terminate(t, mock)
	if err != nil {
		t.Fatal(err)
	}
	if err := mock.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImageInspect(ctx, img); err != nil {
		t.Fatalf("the image did not survive a container's Terminate: %v", err)
	}
	if err := mock.Terminate(ctx); err != nil {
		t.Errorf("a second Terminate: %v", err)
	}

	if _, err := BuildImage(ctx, "/bin/ls"); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0 GOOS=linux") {
		t.Errorf("BuildImage of a dynamic binary: %v, want a refusal saying how to build", err)
	}
}

// TestBuildDockerfile: a service's Dockerfile is built with its labels,
// kept, and removed by RemoveImage.
func TestBuildDockerfile(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	os.WriteFile(df, []byte("FROM "+img+"\nCOPY hello.txt /hello.txt\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	tag := "firedrill-test/service:dockerfile"
	t.Cleanup(func() { RemoveImage(ctx, tag) })
	if err := BuildDockerfile(ctx, df, tag, map[string]string{LabelRun: "dockerfile-test", LabelKind: KindService}); err != nil {
		t.Fatal(err)
	}
	c, err := engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Labels[LabelRun] != "dockerfile-test" {
		t.Errorf("labels %v, want %s=dockerfile-test", got.Config.Labels, LabelRun)
	}
	if err := RemoveImage(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImageInspect(ctx, tag); err == nil {
		t.Error("RemoveImage left the image")
	}
	if err := BuildDockerfile(ctx, filepath.Join(dir, "absent"), tag, nil); err == nil {
		t.Error("a missing Dockerfile was built")
	}
}

// TestImageTag: the tag of a binary's image is its digest, shortened, as
// BuildImage tags it; a binary that cannot be read is an error.
func TestImageTag(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "firedrill")
	if err := os.WriteFile(bin, []byte("not really a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	const want = "firedrill:3d1f26f6196e" // sha256sum of the bytes, shortened
	if got, err := ImageTag(bin); err != nil || got != want {
		t.Errorf("ImageTag = %q, %v; want %q", got, err, want)
	}
	if got, err := ImageTag(""); err != nil || !strings.HasPrefix(got, "firedrill:") || len(got) != len("firedrill:")+12 {
		t.Errorf("ImageTag of this executable = %q, %v", got, err)
	}
	if _, err := ImageTag(bin + ".missing"); err == nil {
		t.Error("ImageTag of a missing binary: no error")
	}
}
