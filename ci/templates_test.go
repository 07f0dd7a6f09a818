package ci

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type ghWorkflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Env  map[string]string
	Jobs map[string]struct {
		RunsOn  string `yaml:"runs-on"`
		Timeout int    `yaml:"timeout-minutes"`
		Steps   []struct {
			Name string         `yaml:"name"`
			Uses string         `yaml:"uses"`
			Run  string         `yaml:"run"`
			If   string         `yaml:"if"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// checkGitHubWorkflow returns every way wf fails to run a scenario and
// publish its reports.
func checkGitHubWorkflow(data []byte) error {
	var wf ghWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return err
	}
	var errs []error
	out := wf.Env["FIREDRILL_OUT"]
	if len(wf.On) == 0 || out == "" || len(wf.Jobs) == 0 {
		errs = append(errs, errors.New("needs triggers, FIREDRILL_OUT and a job"))
	}
	for name, job := range wf.Jobs {
		var ran, summary, junit, artefact bool
		if job.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("job %s: no timeout-minutes", name))
		}
		for _, s := range job.Steps {
			publishes := false
			switch {
			case strings.Contains(s.Run, "firedrill run \"$SCENARIO\" --out \"$FIREDRILL_OUT\""):
				ran = true
			case strings.Contains(s.Run, "$FIREDRILL_OUT/summary.md") && strings.Contains(s.Run, "$GITHUB_STEP_SUMMARY"):
				summary, publishes = true, true
			case strings.Contains(fmt.Sprint(s.With["report_paths"]), out+"/junit.xml"):
				junit, publishes = true, true
			case strings.HasPrefix(s.Uses, "actions/upload-artifact@") && strings.Contains(fmt.Sprint(s.With["path"]), out+"/report.html"):
				artefact, publishes = true, true
			}
			if publishes && s.If != "always()" {
				errs = append(errs, fmt.Errorf("job %s step %q: publishes reports but not if: always(), so a failed gate hides them", name, s.Name))
			}
		}
		for what, ok := range map[string]bool{"firedrill run": ran, "job summary": summary, "JUnit report": junit, "report.html artefact": artefact} {
			if !ok {
				errs = append(errs, fmt.Errorf("job %s: no %s step", name, what))
			}
		}
	}
	return errors.Join(errs...)
}

// checkGitLabJob returns every way the GitLab CI file fails to run a
// scenario and keep its reports.
func checkGitLabJob(data []byte) error {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	vars, _ := doc["variables"].(map[string]any)
	out, _ := vars["FIREDRILL_OUT"].(string)
	var job struct {
		Script    []string `yaml:"script"`
		Artifacts struct {
			When    string   `yaml:"when"`
			Paths   []string `yaml:"paths"`
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	raw, err := yaml.Marshal(doc["firedrill"])
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, &job); err != nil {
		return err
	}
	var errs []error
	if out == "" {
		errs = append(errs, errors.New("no FIREDRILL_OUT variable"))
	}
	if !strings.Contains(strings.Join(job.Script, "\n"), `firedrill run "$SCENARIO" --out "$FIREDRILL_OUT"`) {
		errs = append(errs, errors.New("job firedrill: script does not run the scenario"))
	}
	if job.Artifacts.When != "always" {
		errs = append(errs, errors.New("job firedrill: artifacts not kept when: always, so a failed gate hides them"))
	}
	if job.Artifacts.Reports.JUnit != out+"/junit.xml" {
		errs = append(errs, fmt.Errorf("job firedrill: reports.junit is %q", job.Artifacts.Reports.JUnit))
	}
	if !strings.Contains(strings.Join(job.Artifacts.Paths, " "), out+"/report.html") {
		errs = append(errs, errors.New("job firedrill: report.html not kept"))
	}
	return errors.Join(errs...)
}

func TestCITemplates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		check  func([]byte) error
		mangle func(string) string
		want   string
	}{
		{"templates/github-actions.yml", checkGitHubWorkflow,
			func(s string) string {
				return strings.Replace(s, "if: always()\n        uses: actions/upload-artifact", "uses: actions/upload-artifact", 1)
			},
			"not if: always()"},
		{"templates/gitlab-ci.yml", checkGitLabJob,
			func(s string) string { return strings.Replace(s, "when: always", "when: on_success", 1) },
			"not kept when: always"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.check(data); err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			broken := tt.mangle(string(data))
			if broken == string(data) {
				t.Fatal("the negative control changed nothing")
			}
			if err := tt.check([]byte(broken)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("broken %s: %v, want %q", tt.file, err, tt.want)
			}
		})
	}
}
