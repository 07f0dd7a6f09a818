package firedrill

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/mocks"
)

// TestClean: Clean removes the containers, running or not, and the
// networks of one run, and nothing of another run.
func TestClean(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	const run, other = "clean-test", "clean-test-other"
	nw, err := NewNetwork(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Remove(ctx) })
	a, err := Run(ctx, img, WithMock("pets", mocks.Spec{Contract: petstore}), WithRunID(run), testMemory)
	terminate(t, a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RunChaos(ctx, img, nil, WithRunID(run), testMemory)
	terminate(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx, nil); err != nil { // a stopped container goes too
		t.Fatal(err)
	}
	kept, err := Run(ctx, img, WithMock("pets", mocks.Spec{Contract: petstore}), WithRunID(other), testMemory)
	terminate(t, kept)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Clean(ctx, run, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Containers) != 2 || len(got.Networks) != 1 || got.Networks[0] != nw.Name || len(got.Images) != 0 {
		t.Fatalf("Clean removed %+v, want 2 containers and the network %s", got, nw.Name)
	}
	if got.String() != "2 container(s), 1 network(s), 0 image(s)" || got.Total() != 3 {
		t.Errorf("summary %q, total %d", got, got.Total())
	}
	c, err := engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	left, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", LabelRun+"="+run)})
	if err != nil || len(left.Items) != 0 {
		t.Errorf("containers left: %v %v", left.Items, err)
	}
	if docker, err := exec.LookPath("docker"); err == nil {
		out, err := exec.CommandContext(ctx, docker, "ps", "-a", "-q", "--filter", "label="+LabelRun+"="+run).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("docker ps -a shows the run's containers: %q %v", out, err)
		}
	}
	ks, err := c.ContainerList(ctx, client.ContainerListOptions{Filters: make(client.Filters).Add("label", LabelRun+"="+other)})
	if err != nil || len(ks.Items) != 1 {
		t.Errorf("the other run's container: %v %v", ks.Items, err)
	}
	if again, err := Clean(ctx, run, true); err != nil || again.Total() != 0 {
		t.Errorf("a second Clean: %+v %v", again, err)
	}
	if ids := got.Containers; slices.Contains(ids, "") {
		t.Errorf("a container without a name: %v", ids)
	}
}
