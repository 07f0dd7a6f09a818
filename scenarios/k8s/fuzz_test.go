package k8s_test

import (
	"testing"

	"github.com/firedrill/firedrill/scenarios/k8s"
)

// FuzzName: whatever a scenario is called, Name gives a valid run name or
// an error, never a name the API server would refuse.
func FuzzName(f *testing.F) {
	for _, s := range []string{"order sync holds at 3x peak", "3x", "", "日本語", "a--b", "-a-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, scenario string) {
		name, err := k8s.Name(scenario)
		if err != nil {
			return
		}
		if err := k8s.CheckName(name); err != nil {
			t.Errorf("Name(%q) = %q: %v", scenario, name, err)
		}
	})
}
