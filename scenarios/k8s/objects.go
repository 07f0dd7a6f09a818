package k8s

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/firedrill/firedrill/scenarios"
)

// ErrNotInPod is wrapped by the error of a scenario that cannot run in a
// pod: a runtime other than embedded, a service the pod cannot start.
var ErrNotInPod = errors.New("k8s: cannot run in a pod")

// Where things are in every pod.
const (
	ScenarioMount = "/firedrill/scenario"
	ResultsMount  = "/results"
	tmpMount      = "/tmp"
	// indexEnv is the shard's index, set from the Indexed Job's annotation.
	indexEnv = "JOB_COMPLETION_INDEX"
	// indexAnnotation is where an Indexed Job's pod finds its index.
	indexAnnotation = "batch.kubernetes.io/job-completion-index"
	// runAsUser is the user every container runs as: the image FROM
	// scratch has no user of its own, and runAsNonRoot needs a number.
	runAsUser = 65532
	// clientApplyLimit is about the largest bundle kubectl apply without
	// --server-side takes: its last-applied-configuration annotation
	// holds the whole ConfigMap, and annotations 256 KiB at most.
	clientApplyLimit = 240 << 10
)

// Labels on every object.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelRun       = "firedrill.dev/run"
)

// run is what the objects of one sharded run share.
type run struct {
	s        *scenarios.Scenario
	o        Options
	name, ns string
	seed     int64
	res      resources
	deadline time.Duration // the shards' whole life
	bundle   *Bundle
	barrier  string
}

// Objects builds the objects that run s's load as opts.Shards shards and
// merge their results, in the order Write prints them: the ConfigMap of
// the scenario's files, the merge Job, its Service, the shards' Job. s
// must be valid (scenarios.ReadFile); Objects refuses, wrapping
// ErrNotInPod, what a pod cannot run, and a bad option, naming it.
func Objects(s *scenarios.Scenario, opts Options) ([]runtime.Object, error) {
	r, err := newRun(s, opts)
	if err != nil {
		return nil, err
	}
	objs := []runtime.Object{r.configMap(), r.mergeJob(), r.service(), r.shardJob()}
	if err := Validate(objs); err != nil {
		return nil, fmt.Errorf("k8s: the objects made are not valid (a bug of firedrill's): %w", err)
	}
	return objs, nil
}

func newRun(s *scenarios.Scenario, o Options) (*run, error) {
	if err := inPod(s, o.warn); err != nil {
		return nil, err
	}
	if o.Shards < 1 || o.Shards > MaxShards {
		return nil, fmt.Errorf("k8s: shards %d is not between 1 and %d", o.Shards, MaxShards)
	}
	if strings.TrimSpace(o.Image) == "" {
		return nil, errors.New("k8s: image is required: the image whose entrypoint is firedrill")
	}
	r := &run{s: s, o: o, name: o.Name, ns: o.Namespace}
	if r.ns == "" {
		r.ns = DefaultNamespace
	}
	if errs := dns1123Label(r.ns); errs != "" {
		return nil, fmt.Errorf("k8s: namespace %q: %s", r.ns, errs)
	}
	var err error
	if r.name == "" {
		if r.name, err = Name(s.Name); err != nil {
			return nil, err
		}
	} else if err := CheckName(r.name); err != nil {
		return nil, err
	}
	if r.res, err = o.resources(); err != nil {
		return nil, err
	}
	if r.bundle, err = NewBundle(s); err != nil {
		return nil, err
	}
	if size := r.bundle.Size(); size > clientApplyLimit {
		o.warn(fmt.Sprintf("the scenario's files weigh %s: apply with kubectl apply --server-side (or kubectl create), as client-side apply copies the ConfigMap into an annotation, and annotations hold at most 256 KiB", bytesText(size)))
	}
	warnEnv(r.bundle.Files[0].Data, o.warn)
	r.seed = r.pickSeed()
	r.deadline = shardDeadline(s)
	r.barrier = fmt.Sprintf("http://%s-merge.%s.svc:%d", r.name, r.ns, BarrierPort)
	return r, nil
}

func (o Options) warn(msg string) {
	if o.Warn != nil {
		o.Warn(msg)
	}
}

// inPod refuses what cannot run in a pod and warns of what runs only with
// the right image.
func inPod(s *scenarios.Scenario, warn func(string)) error {
	var problems []string
	switch s.Runtime {
	case "docker":
		problems = append(problems, "runtime: docker needs a Docker engine, which a pod has not: use runtime embedded")
	case "staging":
		problems = append(problems, "runtime: staging is a drill against real endpoints: run it with firedrill drill")
	}
	if s.Load == nil {
		problems = append(problems, "load: a sharded run splits the load, and the scenario has none")
	}
	for _, name := range s.SystemNames() {
		svc := s.Systems[name].Service
		if svc == nil {
			continue
		}
		path := "systems." + name + ".service"
		if svc.Build != "" && len(svc.Command) == 0 {
			problems = append(problems, path+".build: a pod cannot build an image: give the service a command (the embedded runtime's)")
		}
		if len(svc.Command) > 0 {
			msg := fmt.Sprintf("%s.command %q runs inside each shard's pod: the image must hold it (firedrill's own image, FROM scratch, holds firedrill alone)", path, strings.Join(svc.Command, " "))
			if svc.Build != "" {
				msg += fmt.Sprintf("; build %q is the docker runtime's and is not used", svc.Build)
			}
			warn(msg)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrNotInPod, s.File(), strings.Join(problems, "; "))
	}
	return nil
}

// warnEnv names the environment variables the scenario reads with no
// default: the pods do not set them.
func warnEnv(scenario []byte, warn func(string)) {
	refs, _ := scenarios.ParseRefs(string(scenario))
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref.Kind == scenarios.RefEnv && !ref.HasDefault && !seen[ref.Name] {
			seen[ref.Name] = true
			warn(fmt.Sprintf("the scenario reads ${env:%s} with no default, and the pods do not set it: add it to the shards' env (from a Secret) or give a default", ref.Name))
		}
	}
}

func (r *run) pickSeed() int64 {
	switch {
	case r.o.Seed != nil:
		return *r.o.Seed
	case r.s.Seed != 0:
		return r.s.Seed
	}
	var seed int64
	if r.o.PickSeed != nil {
		seed = r.o.PickSeed()
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	}
	r.o.warn(fmt.Sprintf("the scenario has no seed: every shard gets --seed %d, so together they send what one process would", seed))
	return seed
}

// shardDeadline bounds a shard's life: set-up (the pod, the image, the
// barrier, the service's start), the attack, settle, and the reports and
// upload.
func shardDeadline(s *scenarios.Scenario) time.Duration {
	start := scenarios.DefaultStartTimeout
	for _, name := range s.SystemNames() {
		if svc := s.Systems[name].Service; svc != nil && svc.StartTimeout.D() > start {
			start = svc.StartTimeout.D()
		}
	}
	settle := scenarios.DefaultSettle
	if c := s.Gates.Consistency; c != nil && c.Settle.D() > 0 {
		settle = c.Settle.D()
	}
	var probes time.Duration
	for _, p := range s.Gates.Probes {
		if p.Within != nil && p.Within.D() > probes {
			probes = p.Within.D()
		}
	}
	return SetupGrace + start + s.Load.Duration.D() + settle + probes + ReportGrace
}

func (r *run) labels(component string) map[string]string {
	return map[string]string{
		LabelName:      "firedrill",
		LabelInstance:  r.name,
		LabelRun:       r.name,
		LabelComponent: component,
	}
}

func (r *run) meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: r.ns, Labels: r.labels(component)}
}

func (r *run) configMap() *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.name+"-scenario", "scenario"),
	}
	for _, f := range r.bundle.Files {
		if f.text() {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[f.Key] = string(f.Data)
			continue
		}
		if cm.BinaryData == nil {
			cm.BinaryData = map[string][]byte{}
		}
		cm.BinaryData[f.Key] = f.Data
	}
	return cm
}

func (r *run) service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(r.name+"-merge", "merge"),
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{LabelRun: r.name, LabelComponent: "merge"},
			Ports: []corev1.ServicePort{{
				Name: "barrier", Port: BarrierPort, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromString("barrier"),
			}},
		},
	}
}

// mergeTimeout is how long the merge step waits for every shard's run
// folder: as long as a shard may live.
func (r *run) mergeTimeout() time.Duration { return r.deadline }

func (r *run) mergeJob() *batchv1.Job {
	c := r.container("merge", []string{
		"merge", "--serve", fmt.Sprintf(":%d", BarrierPort),
		"--shards", strconv.Itoa(r.o.Shards),
		"--out", ResultsMount,
		"--timeout", r.mergeTimeout().String(),
	})
	c.Ports = []corev1.ContainerPort{{Name: "barrier", ContainerPort: BarrierPort, Protocol: corev1.ProtocolTCP}}
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("barrier")}},
		PeriodSeconds: 2,
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: r.meta(r.name+"-merge", "merge"),
		Spec: batchv1.JobSpec{
			Completions:           ptr(int32(1)),
			Parallelism:           ptr(int32(1)),
			BackoffLimit:          ptr(int32(0)),
			ActiveDeadlineSeconds: ptr(seconds(r.mergeTimeout() + ReportGrace)),
			Template:              r.podTemplate("merge", c, nil),
		},
	}
}

func (r *run) shardJob() *batchv1.Job {
	index := "$(" + indexEnv + ")"
	c := r.container("shard", []string{
		"run", ScenarioMount + "/" + r.bundle.Scenario,
		"--shard", index + "/" + strconv.Itoa(r.o.Shards),
		"--barrier", r.barrier,
		"--seed", strconv.FormatInt(r.seed, 10),
		"--out", ResultsMount + "/shard-" + index,
	})
	c.Env = append([]corev1.EnvVar{{
		Name: indexEnv,
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			APIVersion: "v1", FieldPath: "metadata.annotations['" + indexAnnotation + "']",
		}},
	}}, c.Env...)
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "scenario", MountPath: ScenarioMount, ReadOnly: true})
	items := make([]corev1.KeyToPath, len(r.bundle.Files))
	for i, f := range r.bundle.Files {
		items[i] = corev1.KeyToPath{Key: f.Key, Path: f.Path}
	}
	scenario := corev1.Volume{Name: "scenario", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.name + "-scenario"},
		Items:                items,
	}}}
	n := int32(r.o.Shards)
	indexed := batchv1.IndexedCompletion
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: r.meta(r.name+"-shards", "shard"),
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &n,
			Parallelism:    &n,
			// A shard that fails is not run again (its clock would not be
			// the others'), and does not stop the others: the merge step
			// reports it missing.
			BackoffLimitPerIndex:  ptr(int32(0)),
			ActiveDeadlineSeconds: ptr(seconds(r.deadline)),
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				// Exit 2: the scenario or the command line is wrong, the
				// same in every shard.
				Action: batchv1.PodFailurePolicyActionFailJob,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr("shard"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{2},
				},
			}}},
			Template: r.podTemplate("shard", c, []corev1.Volume{scenario}),
		},
	}
}

func (r *run) container(name string, args []string) corev1.Container {
	limits := corev1.ResourceList{corev1.ResourceCPU: r.res.cpu, corev1.ResourceMemory: r.res.memory}
	return corev1.Container{
		Name:            name,
		Image:           r.o.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            args,
		// Writable, unlike the image's /: a service without a dir of
		// its own runs here.
		WorkingDir: tmpMount,
		Env:        []corev1.EnvVar{{Name: "HOME", Value: tmpMount}},
		Resources:  corev1.ResourceRequirements{Requests: limits, Limits: limits.DeepCopy()},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "results", MountPath: ResultsMount},
			{Name: "tmp", MountPath: tmpMount},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			ReadOnlyRootFilesystem:   ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

func (r *run) podTemplate(component string, c corev1.Container, volumes []corev1.Volume) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: r.labels(component)},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr(false),
			EnableServiceLinks:           ptr(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				RunAsUser:      ptr(int64(runAsUser)),
				RunAsGroup:     ptr(int64(runAsUser)),
				FSGroup:        ptr(int64(runAsUser)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{c},
			Volumes: append([]corev1.Volume{
				{Name: "results", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}, volumes...),
		},
	}
}

func ptr[T any](v T) *T { return &v }

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }
