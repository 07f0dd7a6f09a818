package contracts

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Rate{
		"40/s":      {40, time.Second},
		"0.5/s":     {0.5, time.Second},
		"2400/m":    {2400, time.Minute},
		"5000/h":    {5000, time.Hour},
		" 3 / min ": {3, time.Minute},
		"3/500ms":   {3, 500 * time.Millisecond},
		".5/sec":    {0.5, time.Second},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseRate(got.String()); err != nil || back.PerSecond() != got.PerSecond() {
			t.Errorf("%q: String %q reads back as %v, %v", in, got.String(), back, err)
		}
	}
	for _, in := range []string{"", "40", "12.5", "fast", "0/s", "-1/s", "4/d", "NaN/s", "Inf/s", "/s", "40/", "40/-1s", "1/0s"} {
		_, err := ParseRate(in)
		if !errors.Is(err, ErrRate) || !strings.Contains(err.Error(), RateGrammar) {
			t.Errorf("ParseRate(%q): %v, want ErrRate with the grammar", in, err)
		}
	}
}

// TestRateEncodings: a rate reads and writes the same text in YAML and JSON,
// and a bare number is refused in both.
func TestRateEncodings(t *testing.T) {
	t.Parallel()
	var v struct {
		Peak Rate `yaml:"peak" json:"peak"`
	}
	if err := yaml.Unmarshal([]byte("peak: 0.5/s\n"), &v); err != nil || v.Peak.PerSecond() != 0.5 {
		t.Fatalf("yaml: %v %v", v.Peak, err)
	}
	out, _ := yaml.Marshal(v)
	if string(out) != "peak: 0.5/s\n" {
		t.Errorf("yaml writes %q", out)
	}
	j, _ := json.Marshal(v)
	if string(j) != `{"peak":"0.5/s"}` {
		t.Errorf("json writes %s", j)
	}
	if err := json.Unmarshal([]byte(`{"peak":"600/m"}`), &v); err != nil || v.Peak.PerSecond() != 10 {
		t.Errorf("json: %v %v", v.Peak, err)
	}
	if err := yaml.Unmarshal([]byte("peak: 40\n"), &v); !errors.Is(err, ErrRate) {
		t.Errorf("yaml bare number: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"peak":40}`), &v); !errors.Is(err, ErrRate) {
		t.Errorf("json bare number: %v", err)
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"40/s", "600/m", "2/h", "1e3", "x/y/z", "3/500ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if v := r.PerSecond(); !(v > 0) || r.Per <= 0 {
			t.Fatalf("%q gives %v (%g/s)", s, r, v)
		}
	})
}
