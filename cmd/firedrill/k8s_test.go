package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/firedrill/firedrill/scenarios/k8s"
)

// TestK8sCommand: firedrill k8s prints objects that decode strictly and
// pass k8s.Validate (exit 0), to stdout or --out, and says on stderr what
// the image must hold.
func TestK8sCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	flagship := "../../examples/ordersync/scenarios/flagship.yaml"
	code, out, errOut := runCLI(t, ctx, "k8s", flagship, "--shards", "4", "--image", "firedrill:test", "--namespace", "drills", "--name", "flagship", "--seed", "5", "--cpu", "500m", "--memory", "256Mi")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	objs, err := k8s.Decode(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := k8s.Validate(objs); err != nil {
		t.Fatal(err)
	}
	shards := objs[3].(*batchv1.Job)
	c := shards.Spec.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"run /firedrill/scenario/scenarios/flagship.yaml", "--shard $(JOB_COMPLETION_INDEX)/4", "--barrier http://flagship-merge.drills.svc:7070", "--seed 5"} {
		if !strings.Contains(args, want) {
			t.Errorf("shard args %q lack %q", args, want)
		}
	}
	if c.Image != "firedrill:test" || c.Resources.Limits.Cpu().String() != "500m" || c.Resources.Limits.Memory().String() != "256Mi" || shards.Namespace != "drills" {
		t.Errorf("image %q, limits %v, namespace %q", c.Image, c.Resources.Limits, shards.Namespace)
	}
	if !strings.Contains(errOut, `warning: systems.sync.service.command "go run ./service" runs inside each shard's pod`) {
		t.Errorf("stderr does not name the service command:\n%s", errOut)
	}

	file := filepath.Join(t.TempDir(), "run.yaml")
	if code, out, errOut := runCLI(t, ctx, "k8s", flagship, "--shards", "2", "--image", "x", "--out", file); code != 0 || out != "" {
		t.Fatalf("--out: exit %d, stdout %q\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if objs, err := k8s.Decode(strings.NewReader(string(data))); err != nil || k8s.Validate(objs) != nil {
		t.Errorf("--out file: %v, %v", err, k8s.Validate(objs))
	}
}

// TestK8sCommandDefaultImage: without --image, the image is the one the
// docker runtime builds of this binary, firedrill:<its digest>.
func TestK8sCommandDefaultImage(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, context.Background(), "k8s", "../../scenarios/k8s/testdata/small/scenarios/tickets.yaml", "--shards", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	objs, err := k8s.Decode(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	img := objs[3].(*batchv1.Job).Spec.Template.Spec.Containers[0].Image
	if tag, ok := strings.CutPrefix(img, "firedrill:"); !ok || len(tag) != 12 {
		t.Errorf("default image %q, want firedrill:<12 hex digits>", img)
	}
}

// TestK8sCommandRefuses: a bad scenario, a scenario a pod cannot run and
// bad flags exit 2 with a message naming the problem.
func TestK8sCommandRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	small := "../../scenarios/k8s/testdata/small/scenarios/tickets.yaml"
	docker := filepath.Join(t.TempDir(), "small")
	if err := os.CopyFS(docker, os.DirFS("../../scenarios/k8s/testdata/small")); err != nil {
		t.Fatal(err)
	}
	dockerFile := filepath.Join(docker, "scenarios", "tickets.yaml")
	data, _ := os.ReadFile(dockerFile)
	if err := os.WriteFile(dockerFile, append(data, "runtime: docker\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad scenario", []string{"../../scenarios/testdata/bad/several.yaml", "--shards", "2"}, `systems.shop.mocks: unknown field "mocks"`},
		{"missing scenario", []string{"no/such.yaml", "--shards", "2"}, "no such file"},
		{"runtime docker", []string{dockerFile, "--shards", "2", "--image", "x"}, "runtime: docker needs a Docker engine"},
		{"shards 0", []string{small, "--shards", "0", "--image", "x"}, "shards 0 is not between 1 and 1024"},
		{"shards 2000", []string{small, "--shards", "2000", "--image", "x"}, "shards 2000 is not between 1 and 1024"},
		{"shards not a number", []string{small, "--shards", "four", "--image", "x"}, `invalid argument "four"`},
		{"no shards", []string{small, "--image", "x"}, `required flag(s) "shards" not set`},
		{"bad name", []string{small, "--shards", "2", "--image", "x", "--name", "Tickets!"}, `name "Tickets!"`},
		{"bad memory", []string{small, "--shards", "2", "--image", "x", "--memory", "lots"}, `memory "lots" is not a positive quantity`},
		{"no scenario", []string{"--shards", "2"}, "accepts 1 arg(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, ctx, append([]string{"k8s"}, tc.args...)...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stdout %.60q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}
