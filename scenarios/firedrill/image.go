package firedrill

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ImageRepo is the repository of the images BuildImage tags.
const ImageRepo = "firedrill"

// imageDockerfile is the whole image: the static binary, nothing else.
const imageDockerfile = "FROM scratch\nCOPY firedrill /firedrill\nENTRYPOINT [\"/firedrill\"]\n"

// BuildImage builds, through testcontainers-go, an image FROM scratch that
// holds the static linux firedrill binary at binary (this executable when
// "") as /firedrill, its entrypoint, and returns its tag,
// firedrill:<the first 12 hex digits of the binary's SHA-256>, labelled
// LabelKind=image. The image is kept: no Terminate removes it, and a
// binary already built into an image is not built again. Nothing is
// pulled. A binary that is not a static linux executable of the engine's
// architecture is refused: build it with CGO_ENABLED=0 GOOS=linux.
func BuildImage(ctx context.Context, binary string) (string, error) {
	if binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("firedrill: build image: %w", err)
		}
		binary = exe
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		return "", fmt.Errorf("firedrill: build image: %w", err)
	}
	tag := imageTag(data)
	image := ImageRepo + ":" + tag
	c, err := engine(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.ImageInspect(ctx, image); err == nil {
		return image, nil // built already: the tag is the binary's digest
	}
	info, err := c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoEngine, err)
	}
	if err := checkBinary(binary, info.Info.Architecture); err != nil {
		return "", err
	}
	archive, err := buildContext(data)
	if err != nil {
		return "", fmt.Errorf("firedrill: build image: %w", err)
	}
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		ContextArchive: bytes.NewReader(archive),
		Repo:           ImageRepo,
		Tag:            tag,
		KeepImage:      true,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Labels = map[string]string{LabelKind: KindImage}
			o.PullParent = false
		},
	}}
	if err := build(ctx, &req); err != nil {
		return "", fmt.Errorf("firedrill: build image %s: %w", image, err)
	}
	return image, nil
}

// ImageTag is the image BuildImage tags for the binary at path (this
// executable when ""), without building it: firedrill:<the first 12 hex
// digits of the binary's SHA-256>.
func ImageTag(binary string) (string, error) {
	if binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("firedrill: image tag: %w", err)
		}
		binary = exe
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		return "", fmt.Errorf("firedrill: image tag: %w", err)
	}
	return ImageRepo + ":" + imageTag(data), nil
}

// imageTag is the tag of the image of a binary: its digest, shortened.
func imageTag(binary []byte) string {
	sum := sha256.Sum256(binary)
	return hex.EncodeToString(sum[:])[:12]
}

// build builds the image of req without starting a container.
func build(ctx context.Context, req *testcontainers.ContainerRequest) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoEngine, err)
	}
	defer p.Close()
	_, err = p.BuildImage(ctx, req)
	return err
}

// buildContext is the tar of a build context holding the Dockerfile and
// the binary.
func buildContext(binary []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(imageDockerfile)}, {"firedrill", 0o755, binary}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// elfMachines maps an engine's architecture to the ELF machine its
// binaries have.
var elfMachines = map[string]elf.Machine{
	"x86_64": elf.EM_X86_64, "amd64": elf.EM_X86_64,
	"aarch64": elf.EM_AARCH64, "arm64": elf.EM_AARCH64,
	"s390x": elf.EM_S390, "ppc64le": elf.EM_PPC64, "riscv64": elf.EM_RISCV,
}

// checkBinary refuses what cannot run alone in an image FROM scratch on
// an engine of architecture arch: anything but a static linux Go
// executable of that architecture.
func checkBinary(path, arch string) error {
	refuse := func(why string) error {
		return fmt.Errorf("firedrill: %s %s: an image FROM scratch needs a static linux binary: build it with CGO_ENABLED=0 GOOS=linux GOARCH=%s go build ./cmd/firedrill", path, why, goarch(arch))
	}
	f, err := elf.Open(path)
	if err != nil {
		return refuse("is not an ELF executable")
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return refuse("is dynamically linked (it names an interpreter)")
		}
	}
	if want, ok := elfMachines[strings.ToLower(arch)]; ok && f.Machine != want {
		return refuse(fmt.Sprintf("is built for %s, the engine runs %s", f.Machine, arch))
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return refuse("is not a Go executable")
	}
	for _, s := range bi.Settings {
		if s.Key == "GOOS" && s.Value != "linux" {
			return refuse("is built for GOOS=" + s.Value)
		}
	}
	return nil
}

// goarch is the GOARCH of an engine's architecture.
func goarch(arch string) string {
	switch strings.ToLower(arch) {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	}
	return arch
}

// BuildDockerfile builds the image of a Dockerfile, its directory the build
// context, for the service under test, tagged tag (REPO[:TAG], latest when
// no tag) and labelled labels (LabelRun, for Clean to find it). The image is
// kept until RemoveImage.
func BuildDockerfile(ctx context.Context, dockerfile, tag string, labels map[string]string) error {
	if _, err := os.Stat(dockerfile); err != nil {
		return fmt.Errorf("firedrill: build %s: %w", dockerfile, err)
	}
	repo, version := splitTag(tag)
	if repo == "" {
		return fmt.Errorf("firedrill: build %s: the image needs a tag, REPO[:TAG]", dockerfile)
	}
	ReaperPolicy(ctx)
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        filepath.Dir(dockerfile),
		Dockerfile:     filepath.Base(dockerfile),
		Repo:           repo,
		Tag:            version,
		KeepImage:      true,
		BuildLogWriter: io.Discard,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Labels = labels
		},
	}}
	if err := build(ctx, &req); err != nil {
		return fmt.Errorf("firedrill: build %s as %s: %w", dockerfile, tag, err)
	}
	return nil
}

// splitTag splits REPO[:TAG] (a registry's port is part of REPO).
func splitTag(tag string) (repo, version string) {
	if i := strings.LastIndex(tag, ":"); i > strings.LastIndex(tag, "/") {
		return tag[:i], tag[i+1:]
	}
	return tag, "latest"
}

// RemoveImage removes the image tagged tag (forced: containers of it that
// are stopped do not keep it).
func RemoveImage(ctx context.Context, tag string) error {
	c, err := engine(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true}); err != nil {
		return fmt.Errorf("firedrill: remove image %s: %w", tag, err)
	}
	return nil
}
