package k8s_test

import (
	"errors"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/firedrill/firedrill/scenarios/k8s"
)

// parts names the objects of a run for a mutation.
type parts struct {
	cm            *corev1.ConfigMap
	merge, shards *batchv1.Job
	svc           *corev1.Service
}

func (p parts) shard() *corev1.Container  { return &p.shards.Spec.Template.Spec.Containers[0] }
func (p parts) merger() *corev1.Container { return &p.merge.Spec.Template.Spec.Containers[0] }

func setArg(c *corev1.Container, flag, value string) {
	for i, a := range c.Args {
		if a == flag {
			c.Args[i+1] = value
		}
	}
}

// TestValidateNegative: each mutation of a valid run makes Validate name
// the problem; the run unmutated passes (the control). Two mutations at
// once give one error naming both.
func TestValidateNegative(t *testing.T) {
	t.Parallel()
	fresh := func(t *testing.T) ([]runtime.Object, parts) {
		objs, err := k8s.Objects(read(t, small), k8s.Options{Shards: 3, Image: "firedrill:test"})
		if err != nil {
			t.Fatal(err)
		}
		return objs, parts{objs[0].(*corev1.ConfigMap), objs[1].(*batchv1.Job), objs[3].(*batchv1.Job), objs[2].(*corev1.Service)}
	}
	i32 := func(v int32) *int32 { return &v }
	for _, tc := range []struct {
		name   string
		mutate func(p parts)
		want   string
	}{
		{"bad ConfigMap name", func(p parts) { p.cm.Name = "Tickets_Scenario" }, "ConfigMap Tickets_Scenario: metadata.name:"},
		{"Service name with a leading digit", func(p parts) { p.svc.Name = "1-merge" }, "Service 1-merge: metadata.name:"},
		{"Job name over 63", func(p parts) { p.shards.Name = strings.Repeat("a", 64) }, "must be no more than 63 characters"},
		{"no namespace", func(p parts) { p.svc.Namespace = "" }, "metadata.namespace: empty"},
		{"bad label value", func(p parts) { p.merge.Labels["firedrill.dev/run"] = "a b" }, "metadata.labels[firedrill.dev/run]:"},
		{"instance label differs", func(p parts) { p.cm.Labels["app.kubernetes.io/instance"] = "other" }, "want app.kubernetes.io/name=firedrill and app.kubernetes.io/instance equal"},
		{"ConfigMap key with a slash", func(p parts) {
			p.cm.Data["contracts/x.yaml"] = "x"
		}, `data key "contracts/x.yaml"`},
		{"ConfigMap over 1 MiB", func(p parts) { p.cm.Data["big"] = strings.Repeat("x", k8s.MaxBundle) }, "over the 1048576 a ConfigMap may"},
		{"key missing", func(p parts) { delete(p.cm.Data, "003-tickets.ndjson") }, `key "003-tickets.ndjson" is not in ConfigMap`},
		{"item path with ..", func(p parts) {
			p.shards.Spec.Template.Spec.Volumes[2].ConfigMap.Items[1].Path = "../x.yaml"
		}, `item path "../x.yaml" must be relative`},
		{"ConfigMap not of the run", func(p parts) {
			p.shards.Spec.Template.Spec.Volumes[2].ConfigMap.Name = "elsewhere"
		}, `ConfigMap "elsewhere" is not one of the run's`},
		{"missing volume", func(p parts) {
			p.shards.Spec.Template.Spec.Volumes = p.shards.Spec.Template.Spec.Volumes[:2]
		}, `volumeMounts: "scenario" names no volume of the pod`},
		{"completions 0", func(p parts) { p.shards.Spec.Completions = i32(0) }, "spec.completions: 0, want at least 1"},
		{"Indexed without completions", func(p parts) { p.shards.Spec.Completions = nil }, "spec.completions: required when completionMode is Indexed"},
		{"parallelism over completions", func(p parts) { p.merge.Spec.Parallelism = i32(2) }, "spec.parallelism: 2, want 0 to completions"},
		{"shards not all at once", func(p parts) { p.shards.Spec.Parallelism = i32(2) }, "every shard must run at once"},
		{"restartPolicy Always", func(p parts) {
			p.merge.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
		}, `restartPolicy: "Always", a Job's pods restart Never or OnFailure`},
		{"podFailurePolicy with OnFailure", func(p parts) {
			p.shards.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}, "podFailurePolicy and backoffLimitPerIndex need Never"},
		{"retries", func(p parts) { p.merge.Spec.BackoffLimit = i32(6) }, "a failed pod would be run again with a new clock"},
		{"no deadline", func(p parts) { p.shards.Spec.ActiveDeadlineSeconds = nil }, "spec.activeDeadlineSeconds: want a positive bound"},
		{"selector mismatch", func(p parts) { p.svc.Spec.Selector["app.kubernetes.io/component"] = "shard" }, "does not match the merge pod's labels"},
		{"selector too wide", func(p parts) { delete(p.svc.Spec.Selector, "app.kubernetes.io/component") }, "selects the shards' pods too"},
		{"not headless", func(p parts) { p.svc.Spec.ClusterIP = "" }, `spec.clusterIP: "", want None`},
		{"bad port", func(p parts) { p.svc.Spec.Ports[0].Port = 70000 }, "spec.ports[0].port:"},
		{"targetPort of no container", func(p parts) { p.merger().Ports[0].Name = "other" }, `targetPort "barrier" is no port of the merge pod`},
		{"merge serves elsewhere", func(p parts) { setArg(p.merger(), "--serve", ":8080") }, `--serve ":8080", the Service sends to :7070`},
		{"merge waits for another count", func(p parts) { setArg(p.merger(), "--shards", "4") }, `--shards "4", the shards Job has 3`},
		{"shard count", func(p parts) { setArg(p.shard(), "--shard", "$(JOB_COMPLETION_INDEX)/4") }, `--shard "$(JOB_COMPLETION_INDEX)/4", want "$(JOB_COMPLETION_INDEX)/3"`},
		{"barrier elsewhere", func(p parts) {
			setArg(p.shard(), "--barrier", "http://other.default.svc:7070")
		}, `the merge Service is "http://helpdesk-tickets-hold-at-2x-peak-merge.default.svc:7070"`},
		{"no seed", func(p parts) {
			c := p.shard()
			for i, a := range c.Args {
				if a == "--seed" {
					c.Args = append(c.Args[:i:i], c.Args[i+2:]...)
					break
				}
			}
		}, "0 --seed, want one"},
		{"two seeds", func(p parts) { c := p.shard(); c.Args = append(c.Args, "--seed", "1") }, "2 --seed, want one"},
		{"scenario not mounted", func(p parts) { p.shard().Args[1] = "/firedrill/scenario/other.yaml" }, `scenario "/firedrill/scenario/other.yaml" is not a file the pod mounts`},
		{"one out for all", func(p parts) { setArg(p.shard(), "--out", "/results/shard") }, `--out "/results/shard" is the same for every shard`},
		{"index not in env", func(p parts) { p.shard().Env = p.shard().Env[1:] }, "$(JOB_COMPLETION_INDEX) is not in the container's env"},
		{"pulled always", func(p parts) { p.merger().ImagePullPolicy = corev1.PullAlways }, `imagePullPolicy: "Always"`},
		{"writable root", func(p parts) { f := false; p.shard().SecurityContext.ReadOnlyRootFilesystem = &f }, "securityContext: want runAsNonRoot, readOnlyRootFilesystem"},
		{"as root", func(p parts) { p.merge.Spec.Template.Spec.SecurityContext.RunAsUser = nil }, "securityContext.runAsUser: want a user other than root"},
		{"request over limit", func(p parts) {
			p.shard().Resources.Requests[corev1.ResourceCPU] = p.shard().Resources.Limits[corev1.ResourceMemory]
		}, "the cpu request 1Gi is over its limit 1"},
		{"no merge Job", func(p parts) {
			indexed := batchv1.IndexedCompletion
			p.merge.Spec.CompletionMode = &indexed
		}, "run: no merge Job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, p := fresh(t)
			tc.mutate(p)
			err := k8s.Validate(objs)
			var ve *k8s.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v\nwant a problem with %q", err, tc.want)
			}
		})
	}
	objs, p := fresh(t)
	if err := k8s.Validate(objs); err != nil {
		t.Fatalf("control: %v", err)
	}
	p.cm.Name = "Bad"
	p.shards.Spec.Completions = i32(0)
	var ve *k8s.ValidationError
	if err := k8s.Validate(objs); !errors.As(err, &ve) || len(ve.Problems) < 2 ||
		!strings.Contains(err.Error(), "ConfigMap Bad: metadata.name") || !strings.Contains(err.Error(), "completions: 0") {
		t.Errorf("two problems at once: %v", err)
	}
	if err := k8s.Validate(append(objs, &corev1.Pod{})); err == nil || !strings.Contains(err.Error(), "is not one of a sharded run's") {
		t.Errorf("a Pod among the objects: %v", err)
	}
}

// TestDecodeStrict: a field the kind has not, a field given twice, a kind
// the scheme does not know are errors; the stream as written decodes.
func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	objs, err := k8s.Objects(read(t, small), k8s.Options{Shards: 2, Image: "firedrill:test"})
	if err != nil {
		t.Fatal(err)
	}
	_, out := roundTrip(t, objs)
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", "  completionMode: Indexed\n", "  completionMode: Indexed\n  completionModes: Indexed\n", `unknown field "spec.completionModes"`},
		{"duplicate field", "  completionMode: Indexed\n", "  completionMode: Indexed\n  completionMode: Indexed\n", `key "completionMode" already set`},
		{"unknown kind", "kind: Service\n", "kind: Servise\n", `no kind "Servise"`},
	} {
		bad := strings.Replace(string(out), tc.from, tc.to, 1)
		if bad == string(out) {
			t.Fatalf("%s: %q is not in the output", tc.name, tc.from)
		}
		if _, err := k8s.Decode(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Decode = %v, want %q", tc.name, err, tc.want)
		}
	}
}
