package k8s

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ValidationError lists every problem Validate found.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("k8s: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// checker collects problems, each prefixed with the object it is about.
type checker struct {
	problems []string
	cms      map[string]*corev1.ConfigMap
}

func (c *checker) addf(where, format string, args ...any) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

func (c *checker) errs(where, field string, errs []string) {
	for _, e := range errs {
		c.addf(where, "%s: %s", field, e)
	}
}

func dns1123Label(s string) string { return strings.Join(validation.IsDNS1123Label(s), "; ") }

// Validate checks a sharded run's objects against the rules the API
// server enforces that apimachinery's validation helpers can check
// (names, labels, keys, ports, the Job rules), and those a sharded run
// needs: one ConfigMap holding every key the shards mount, a headless
// Service selecting the merge pod, the shards' command naming the
// Service, the shard count and a seed, every container locked down. It
// returns a *ValidationError listing every problem, or nil.
func Validate(objs []runtime.Object) error {
	c := &checker{cms: map[string]*corev1.ConfigMap{}}
	var svcs []*corev1.Service
	var merge, shards *batchv1.Job
	for i, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			c.configMap(o)
			c.cms[o.Namespace+"/"+o.Name] = o
		case *corev1.Service:
			c.service(o)
			svcs = append(svcs, o)
		case *batchv1.Job:
			c.job(o)
			if o.Spec.CompletionMode != nil && *o.Spec.CompletionMode == batchv1.IndexedCompletion {
				shards = o
			} else {
				merge = o
			}
		default:
			c.addf(fmt.Sprintf("object %d", i), "kind %T is not one of a sharded run's", o)
		}
	}
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			c.volumeSources("Job "+j.Name, j.Namespace, j.Spec.Template.Spec.Volumes)
		}
	}
	switch {
	case merge == nil:
		c.addf("run", "no merge Job (a Job that is not Indexed)")
	case shards == nil:
		c.addf("run", "no shards Job (an Indexed Job)")
	case len(svcs) != 1:
		c.addf("run", "%d Services: want one, the merge step's barrier", len(svcs))
	default:
		c.run(merge, shards, svcs[0])
	}
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: c.problems}
}

func (c *checker) meta(where, kind, name, ns string, labels map[string]string) {
	var errs []string
	switch kind {
	case "Service":
		errs = validation.IsDNS1035Label(name)
	case "Job":
		errs = validation.IsDNS1123Subdomain(name)
		if len(name) > validation.LabelValueMaxLength {
			errs = append(errs, fmt.Sprintf("must be no more than %d characters (the job-name label of its pods)", validation.LabelValueMaxLength))
		}
	default:
		errs = validation.IsDNS1123Subdomain(name)
	}
	c.errs(where, "metadata.name", errs)
	if ns == "" {
		c.addf(where, "metadata.namespace: empty")
	}
	c.errs(where, "metadata.namespace", validation.IsDNS1123Label(ns))
	c.labels(where, "metadata.labels", labels)
	run := labels[LabelRun]
	if labels[LabelName] != "firedrill" || run == "" || labels[LabelInstance] != run {
		c.addf(where, "metadata.labels: want %s=firedrill and %s equal to %s=%q", LabelName, LabelInstance, LabelRun, run)
	}
}

func (c *checker) labels(where, field string, labels map[string]string) {
	for _, k := range sortedStrings(labels) {
		c.errs(where, field+" key "+strconv.Quote(k), validation.IsQualifiedName(k))
		c.errs(where, field+"["+k+"]", validation.IsValidLabelValue(labels[k]))
	}
}

func (c *checker) configMap(cm *corev1.ConfigMap) {
	where := "ConfigMap " + cm.Name
	c.meta(where, "ConfigMap", cm.Name, cm.Namespace, cm.Labels)
	size := 0
	for _, k := range sortedStrings(cm.Data) {
		c.errs(where, "data key "+strconv.Quote(k), validation.IsConfigMapKey(k))
		size += len(k) + len(cm.Data[k])
	}
	for _, k := range sortedStrings(cm.BinaryData) {
		c.errs(where, "binaryData key "+strconv.Quote(k), validation.IsConfigMapKey(k))
		if _, ok := cm.Data[k]; ok {
			c.addf(where, "key %q is in data and binaryData", k)
		}
		size += len(k) + len(cm.BinaryData[k])
	}
	if size > MaxBundle {
		c.addf(where, "holds %d bytes, over the %d a ConfigMap may", size, MaxBundle)
	}
}

func (c *checker) service(s *corev1.Service) {
	where := "Service " + s.Name
	c.meta(where, "Service", s.Name, s.Namespace, s.Labels)
	if s.Spec.ClusterIP != corev1.ClusterIPNone {
		c.addf(where, "spec.clusterIP: %q, want None (headless: the barrier is one pod)", s.Spec.ClusterIP)
	}
	if len(s.Spec.Ports) == 0 {
		c.addf(where, "spec.ports: none")
	}
	for i, p := range s.Spec.Ports {
		field := fmt.Sprintf("spec.ports[%d]", i)
		c.errs(where, field+".port", validation.IsValidPortNum(int(p.Port)))
		if p.Name != "" {
			c.errs(where, field+".name", validation.IsValidPortName(p.Name))
		}
		if p.TargetPort.StrVal != "" {
			c.errs(where, field+".targetPort", validation.IsValidPortName(p.TargetPort.StrVal))
		} else if p.TargetPort.IntVal != 0 {
			c.errs(where, field+".targetPort", validation.IsValidPortNum(int(p.TargetPort.IntVal)))
		}
	}
	if len(s.Spec.Selector) == 0 {
		c.addf(where, "spec.selector: empty, it would select no pod")
	}
	c.labels(where, "spec.selector", s.Spec.Selector)
}

func (c *checker) job(j *batchv1.Job) {
	where := "Job " + j.Name
	c.meta(where, "Job", j.Name, j.Namespace, j.Labels)
	s := j.Spec
	pod := s.Template.Spec
	indexed := s.CompletionMode != nil && *s.CompletionMode == batchv1.IndexedCompletion
	if indexed && s.Completions == nil {
		c.addf(where, "spec.completions: required when completionMode is Indexed")
	}
	if s.Completions != nil && *s.Completions < 1 {
		c.addf(where, "spec.completions: %d, want at least 1", *s.Completions)
	}
	if s.Parallelism != nil && (*s.Parallelism < 0 || s.Completions != nil && *s.Parallelism > *s.Completions) {
		c.addf(where, "spec.parallelism: %d, want 0 to completions", *s.Parallelism)
	}
	if s.BackoffLimitPerIndex != nil && !indexed {
		c.addf(where, "spec.backoffLimitPerIndex: only an Indexed Job may have one")
	}
	if s.BackoffLimit == nil && s.BackoffLimitPerIndex == nil {
		c.addf(where, "spec.backoffLimit: unset, so a failed pod would be run again (6 times) with a new clock")
	}
	if (s.BackoffLimit != nil && *s.BackoffLimit != 0) || (s.BackoffLimitPerIndex != nil && *s.BackoffLimitPerIndex != 0) {
		c.addf(where, "spec.backoffLimit: a failed pod would be run again with a new clock: want 0")
	}
	if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds <= 0 {
		c.addf(where, "spec.activeDeadlineSeconds: want a positive bound")
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		c.addf(where, "spec.template.spec.restartPolicy: %q, a Job's pods restart Never or OnFailure", pod.RestartPolicy)
	}
	if (s.PodFailurePolicy != nil || s.BackoffLimitPerIndex != nil) && pod.RestartPolicy != corev1.RestartPolicyNever {
		c.addf(where, "spec.template.spec.restartPolicy: %q, podFailurePolicy and backoffLimitPerIndex need Never", pod.RestartPolicy)
	}
	if s.Selector != nil && (s.ManualSelector == nil || !*s.ManualSelector) {
		c.addf(where, "spec.selector: set without manualSelector; the API server generates it")
	}
	c.labels(where, "spec.template.metadata.labels", s.Template.Labels)
	c.podSpec(where, pod)
}

func (c *checker) podSpec(where string, pod corev1.PodSpec) {
	volumes := map[string]bool{}
	for i, v := range pod.Volumes {
		c.errs(where, fmt.Sprintf("volumes[%d].name", i), validation.IsDNS1123Label(v.Name))
		if volumes[v.Name] {
			c.addf(where, "volumes[%d].name: %q twice", i, v.Name)
		}
		volumes[v.Name] = true
	}
	if len(pod.Containers) == 0 {
		c.addf(where, "spec.template.spec.containers: none")
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		c.addf(where, "securityContext.runAsUser: want a user other than root (the image has none of its own)")
	}
	for _, ct := range pod.Containers {
		cw := where + " container " + ct.Name
		c.errs(cw, "name", validation.IsDNS1123Label(ct.Name))
		if strings.TrimSpace(ct.Image) == "" {
			c.addf(cw, "image: empty")
		}
		if ct.ImagePullPolicy != corev1.PullIfNotPresent {
			c.addf(cw, "imagePullPolicy: %q, want IfNotPresent (an image loaded into the cluster is not pulled)", ct.ImagePullPolicy)
		}
		env := map[string]bool{}
		for _, e := range ct.Env {
			c.errs(cw, "env "+e.Name, validation.IsEnvVarName(e.Name))
			env[e.Name] = true
		}
		for i, a := range ct.Args {
			for _, m := range varRef.FindAllStringSubmatch(a, -1) {
				if !env[m[1]] {
					c.addf(cw, "args[%d]: $(%s) is not in the container's env, so it would not be expanded", i, m[1])
				}
			}
		}
		mounts := map[string]bool{}
		for _, m := range ct.VolumeMounts {
			if !volumes[m.Name] {
				c.addf(cw, "volumeMounts: %q names no volume of the pod", m.Name)
			}
			if !path.IsAbs(m.MountPath) || mounts[m.MountPath] {
				c.addf(cw, "volumeMounts: mountPath %q must be absolute and mounted once", m.MountPath)
			}
			mounts[m.MountPath] = true
		}
		for _, p := range ct.Ports {
			c.errs(cw, "ports.containerPort", validation.IsValidPortNum(int(p.ContainerPort)))
			if p.Name != "" {
				c.errs(cw, "ports.name", validation.IsValidPortName(p.Name))
			}
		}
		for name, req := range ct.Resources.Requests {
			if lim, ok := ct.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
				c.addf(cw, "resources: the %s request %s is over its limit %s", name, req.String(), lim.String())
			}
		}
		if len(ct.Resources.Limits) == 0 {
			c.addf(cw, "resources.limits: none")
		}
		sc := ct.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			c.addf(cw, "securityContext: want runAsNonRoot, readOnlyRootFilesystem and no privilege escalation")
		}
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// volumeSources checks that every ConfigMap volume names a ConfigMap of
// the run, and every key it mounts is in it, at a relative path.
func (c *checker) volumeSources(where, ns string, volumes []corev1.Volume) {
	for _, v := range volumes {
		src := v.ConfigMap
		if src == nil {
			continue
		}
		cm := c.cms[ns+"/"+src.Name]
		if cm == nil {
			c.addf(where, "volume %q: ConfigMap %q is not one of the run's", v.Name, src.Name)
			continue
		}
		paths := map[string]bool{}
		for _, it := range src.Items {
			_, text := cm.Data[it.Key]
			_, bin := cm.BinaryData[it.Key]
			if !text && !bin {
				c.addf(where, "volume %q: key %q is not in ConfigMap %s", v.Name, it.Key, cm.Name)
			}
			if it.Path == "" || path.IsAbs(it.Path) || slices.Contains(strings.Split(it.Path, "/"), "..") || paths[it.Path] {
				c.addf(where, "volume %q: item path %q must be relative, without .., and used once", v.Name, it.Path)
			}
			paths[it.Path] = true
		}
	}
}

// run checks what ties the objects of a sharded run together.
func (c *checker) run(merge, shards *batchv1.Job, svc *corev1.Service) {
	podLabels := merge.Spec.Template.Labels
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			c.addf("Service "+svc.Name, "spec.selector %s=%s does not match the merge pod's labels", k, v)
		}
	}
	if len(svc.Spec.Selector) > 0 && selects(svc.Spec.Selector, shards.Spec.Template.Labels) {
		c.addf("Service "+svc.Name, "spec.selector selects the shards' pods too")
	}
	for _, p := range svc.Spec.Ports {
		if name := p.TargetPort.StrVal; name != "" && !slices.ContainsFunc(merge.Spec.Template.Spec.Containers, func(ct corev1.Container) bool {
			return slices.ContainsFunc(ct.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == name })
		}) {
			c.addf("Service "+svc.Name, "targetPort %q is no port of the merge pod", name)
		}
	}
	if merge.Spec.Completions == nil || *merge.Spec.Completions != 1 {
		c.addf("Job "+merge.Name, "spec.completions: the merge step is one pod")
	}
	n := -1
	if shards.Spec.Completions != nil {
		n = int(*shards.Spec.Completions)
	}
	if shards.Spec.Parallelism == nil || int(*shards.Spec.Parallelism) != n {
		c.addf("Job "+shards.Name, "spec.parallelism: every shard must run at once to meet at the barrier: want %d", n)
	}
	if len(svc.Spec.Ports) > 0 {
		port := svc.Spec.Ports[0].Port
		mergeArgs := containerArgs(merge)
		if got, want := flagValue(mergeArgs, "--serve"), fmt.Sprintf(":%d", port); got != want {
			c.addf("Job "+merge.Name, "args: --serve %q, the Service sends to %s", got, want)
		}
		if got := flagValue(mergeArgs, "--shards"); got != strconv.Itoa(n) {
			c.addf("Job "+merge.Name, "args: --shards %q, the shards Job has %d", got, n)
		}
		barrier := fmt.Sprintf("http://%s.%s.svc:%d", svc.Name, svc.Namespace, port)
		c.shardArgs(shards, n, barrier)
	}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// shardArgs checks the shards' command: the scenario under its mount,
// the index out of n, the barrier, one seed for all.
func (c *checker) shardArgs(j *batchv1.Job, n int, barrier string) {
	where := "Job " + j.Name
	args := containerArgs(j)
	if len(args) < 2 || args[0] != "run" {
		c.addf(where, "args: want run SCENARIO ..., got %q", args)
		return
	}
	mounted := false
	for _, v := range j.Spec.Template.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		for _, it := range v.ConfigMap.Items {
			mounted = mounted || args[1] == mountPathOf(j, v.Name)+"/"+it.Path
		}
	}
	if !mounted {
		c.addf(where, "args: scenario %q is not a file the pod mounts", args[1])
	}
	if got, want := flagValue(args, "--shard"), "$("+indexEnv+")/"+strconv.Itoa(n); got != want {
		c.addf(where, "args: --shard %q, want %q", got, want)
	}
	if got := flagValue(args, "--barrier"); got != barrier {
		c.addf(where, "args: --barrier %q, the merge Service is %q", got, barrier)
	}
	seeds := 0
	for i, a := range args {
		if a == "--seed" && i+1 < len(args) {
			seeds++
			if _, err := strconv.ParseInt(args[i+1], 10, 64); err != nil {
				c.addf(where, "args: --seed %q is not a number", args[i+1])
			}
		}
	}
	if seeds != 1 {
		c.addf(where, "args: %d --seed, want one: every shard must generate the data one process would", seeds)
	}
	if !strings.Contains(flagValue(args, "--out"), "$("+indexEnv+")") {
		c.addf(where, "args: --out %q is the same for every shard", flagValue(args, "--out"))
	}
}

func containerArgs(j *batchv1.Job) []string {
	if cs := j.Spec.Template.Spec.Containers; len(cs) > 0 {
		return cs[0].Args
	}
	return nil
}

func mountPathOf(j *batchv1.Job, volume string) string {
	for _, ct := range j.Spec.Template.Spec.Containers {
		for _, m := range ct.VolumeMounts {
			if m.Name == volume {
				return strings.TrimRight(m.MountPath, "/")
			}
		}
	}
	return "\x00" // not mounted: matches no argument
}

// flagValue is the value after flag in args, "" when absent.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func sortedStrings[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
