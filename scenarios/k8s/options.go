package k8s

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options.
const (
	DefaultNamespace = "default"
	DefaultCPU       = "1"
	DefaultMemory    = "1Gi"
	// MaxShards bounds Options.Shards.
	MaxShards = 1024
	// MaxName is the longest run name: "-shards" and the suffixes
	// Kubernetes appends to the names of pods fit after it within the 63
	// characters of a label value.
	MaxName = 52
	// BarrierPort is where the merge step listens for the shards.
	BarrierPort = 7070
	// SetupGrace is the time a shard may take before the attack starts:
	// its pod scheduled, the image pulled, every shard at the barrier (the
	// service's own start_timeout comes on top).
	SetupGrace = 5 * time.Minute
	// ReportGrace is the time after settle for the gates, the reports and
	// the upload of a shard's run folder, and for the merge of them all.
	ReportGrace = 2 * time.Minute
)

// Options say how a scenario runs on Kubernetes.
type Options struct {
	// Shards is how many pods share the load, 1 to MaxShards.
	Shards int
	// Image holds firedrill as its entrypoint, e.g. firedrill:3f2a9c1b0d4e
	// (firedrill.ImageTag).
	Image string
	// Namespace of every object (DefaultNamespace when "").
	Namespace string
	// Name of the run, a DNS-1035 label of at most MaxName characters;
	// derived from the scenario's name when "" (see Name).
	Name string
	// Seed is passed to every shard; nil takes the scenario's, or one is
	// picked (and Warn told) when the scenario has none, so that the
	// shards together send what one process would.
	Seed *int64
	// CPU and Memory are each container's requests and limits
	// (DefaultCPU, DefaultMemory when "").
	CPU, Memory string
	// Warn hears what runs but needs the user's attention: a service
	// command the image must hold, a picked seed. Nil discards.
	Warn func(msg string)
	// PickSeed picks a seed when neither Seed nor the scenario has one
	// (random when nil).
	PickSeed func() int64
}

// resources are the parsed CPU and Memory.
type resources struct{ cpu, memory resource.Quantity }

func (o *Options) resources() (resources, error) {
	var r resources
	for _, f := range []struct {
		name, value, def string
		q                *resource.Quantity
	}{{"cpu", o.CPU, DefaultCPU, &r.cpu}, {"memory", o.Memory, DefaultMemory, &r.memory}} {
		v := f.value
		if v == "" {
			v = f.def
		}
		q, err := resource.ParseQuantity(v)
		if err != nil || q.Sign() <= 0 {
			return r, fmt.Errorf("k8s: %s %q is not a positive quantity (e.g. %s)", f.name, v, f.def)
		}
		*f.q = q
	}
	return r, nil
}

var notLabel = regexp.MustCompile(`[^a-z0-9]+`)

// Name derives a run name from a scenario's name: lowercase letters,
// digits and dashes, starting with a letter ("run-" put in front of a
// leading digit), cut at a dash to at most MaxName characters. It fails
// when nothing of the name is left.
func Name(scenario string) (string, error) {
	n := strings.Trim(notLabel.ReplaceAllString(strings.ToLower(scenario), "-"), "-")
	if n == "" {
		return "", fmt.Errorf("k8s: no run name can be made of %q: give one with --name", scenario)
	}
	if n[0] >= '0' && n[0] <= '9' {
		n = "run-" + n
	}
	if len(n) > MaxName {
		n = n[:MaxName]
		if i := strings.LastIndexByte(n, '-'); i >= MaxName/2 {
			n = n[:i]
		}
		n = strings.TrimRight(n, "-")
	}
	if err := CheckName(n); err != nil {
		return "", err
	}
	return n, nil
}

// CheckName reports why name cannot name a run: the Service is named
// after it (a DNS-1035 label), and "-shards" and the pods' suffixes must
// fit after it.
func CheckName(name string) error {
	if len(name) > MaxName {
		return fmt.Errorf("k8s: name %q is %d characters: at most %d leave room for -shards and the pods' suffixes", name, len(name), MaxName)
	}
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return fmt.Errorf("k8s: name %q: %s", name, strings.Join(errs, "; "))
	}
	return nil
}
