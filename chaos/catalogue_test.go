package chaos

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestParseToxic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   string
		params map[string]string
		want   Toxic
	}{
		{"latency", map[string]string{"latency": "500ms", "jitter": "50ms"},
			Toxic{Kind: "latency", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"latency": 500, "jitter": 50}}},
		{"latency", map[string]string{"latency": "1s", "direction": "upstream", "toxicity": "30%"},
			Toxic{Kind: "latency", Stream: Upstream, Toxicity: 0.3, Attributes: map[string]int64{"latency": 1000}}},
		{"latency", map[string]string{"latency": "250", "toxicity": "0.5"}, // bare number: Toxiproxy's ms
			Toxic{Kind: "latency", Stream: Downstream, Toxicity: 0.5, Attributes: map[string]int64{"latency": 250}}},
		{"latency", map[string]string{"latency": "1s", "stream": "upstream"},
			Toxic{Kind: "latency", Stream: Upstream, Toxicity: 1, Attributes: map[string]int64{"latency": 1000}}},
		{"bandwidth", map[string]string{"rate": "1.5MB/s"},
			Toxic{Kind: "bandwidth", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"rate": 1500}}},
		{"bandwidth", map[string]string{"rate": "64"},
			Toxic{Kind: "bandwidth", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"rate": 64}}},
		{"slow_close", map[string]string{"delay": "2s"},
			Toxic{Kind: "slow_close", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"delay": 2000}}},
		{"timeout", map[string]string{},
			Toxic{Kind: "timeout", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{}}},
		{"reset_peer", map[string]string{"timeout": "100ms"},
			Toxic{Kind: "reset_peer", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"timeout": 100}}},
		{"limit_data", map[string]string{"bytes": "4KiB"},
			Toxic{Kind: "limit_data", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"bytes": 4096}}},
		{"slicer", map[string]string{"average_size": "1KB", "size_variation": "100", "delay": "1.5ms"},
			Toxic{Kind: "slicer", Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{"average_size": 1000, "size_variation": 100, "delay": 1500}}},
		{Down, nil, Toxic{Kind: Down, Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{}}},
	} {
		got, err := ParseToxic(tc.kind, tc.params)
		if err != nil {
			t.Errorf("%s %v: %v", tc.kind, tc.params, err)
			continue
		}
		if got.Kind != tc.want.Kind || got.Stream != tc.want.Stream || got.Toxicity != tc.want.Toxicity || !maps.Equal(got.Attributes, tc.want.Attributes) {
			t.Errorf("%s %v = %+v, want %+v", tc.kind, tc.params, got, tc.want)
		}
		if !maps.Equal(got.Params, tc.params) {
			t.Errorf("%s: Params %v, want the text as written %v", tc.kind, got.Params, tc.params)
		}
	}
}

func TestParseToxicNamesTheBadParameter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   string
		params map[string]string
		want   []string
	}{
		{"latncy", nil, []string{`unknown toxic "latncy"`, "known: bandwidth, down, latency"}},
		{"latency", map[string]string{"latency": "fast"}, []string{`toxic latency: parameter latency="fast": not a duration`, "a duration like 500ms, 0s..1h0m0s"}},
		{"latency", map[string]string{"latency": "1.5ms"}, []string{"not a whole number of milliseconds"}},
		{"latency", map[string]string{"latency": "-5ms"}, []string{`latency="-5ms": out of range`}},
		{"latency", map[string]string{"latency": "2h"}, []string{`latency="2h": out of range`}},
		{"latency", map[string]string{}, []string{"parameter latency is required"}},
		{"latency", map[string]string{"latency": "1s", "jiter": "5ms"}, []string{`parameter jiter="5ms": unknown parameter (want one of latency, jitter, direction, toxicity)`}},
		{"latency", map[string]string{"latency": "1s", "direction": "sideways"}, []string{`direction="sideways": unknown direction (want upstream or downstream)`}},
		{"latency", map[string]string{"latency": "1s", "direction": "upstream", "stream": "upstream"}, []string{`stream="upstream": given with direction`}},
		{"latency", map[string]string{"latency": "1s", "stream": "up"}, []string{`stream="up": unknown direction`}},
		{"latency", map[string]string{"latency": "1s", "toxicity": "1.5"}, []string{`toxicity="1.5": out of range`}},
		{"latency", map[string]string{"latency": "1s", "toxicity": "lots"}, []string{`toxicity="lots": not a number`}},
		{"bandwidth", map[string]string{"rate": "0"}, []string{`rate="0": out of range (want a rate like 100KB/s, 1..10000000 KB/s)`}},
		{"bandwidth", map[string]string{"rate": "1500B/s"}, []string{`rate="1500B/s": not a whole number`}},
		{"bandwidth", map[string]string{"rate": "10 parsecs"}, []string{`unknown unit "parsecs"`}},
		{"limit_data", map[string]string{"bytes": "lots"}, []string{`bytes="lots": not a number`}},
		{"slicer", map[string]string{"average_size": "10", "size_variation": "10"}, []string{"size_variation", "less than average_size (10)"}},
		{"slicer", map[string]string{"average_size": "10", "delay": "1.5us"}, []string{"not a whole number of microseconds"}},
		{Down, map[string]string{"toxicity": "0.5"}, []string{`toxic down: parameter toxicity="0.5": unknown parameter (want no parameters)`}},
		// Every problem at once.
		{"slicer", map[string]string{"delay": "x", "colour": "red"}, []string{`delay="x"`, `colour="red"`, "average_size is required"}},
	} {
		_, err := ParseToxic(tc.kind, tc.params)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s %v: err = %v, want ErrInvalid", tc.kind, tc.params, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: %q lacks %q", tc.kind, tc.params, err, w)
			}
		}
	}
}

func TestCatalogueIsCompleteAndSorted(t *testing.T) {
	t.Parallel()
	var names []string
	for _, s := range Catalogue() {
		names = append(names, s.Kind)
		for _, p := range s.Params {
			if p.Doc == "" || p.Max <= p.Min {
				t.Errorf("%s.%s: doc %q, range %d..%d", s.Kind, p.Name, p.Doc, p.Min, p.Max)
			}
		}
	}
	want := "bandwidth down latency limit_data reset_peer slicer slow_close timeout"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("catalogue %q, want %q", got, want)
	}
}

func TestUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		unit time.Duration
		want int64
	}{{"1m30s", time.Millisecond, 90_000}, {"500us", time.Microsecond, 500}, {" 7 ", time.Millisecond, 7}} {
		if got, err := parseDuration(tc.in, tc.unit); err != nil || got != tc.want {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for in, want := range map[string]int64{"1500": 1500, "10KB": 10_000, "4KiB": 4096, "1.5mb": 1_500_000, "2 GiB": 2 << 30, "3B": 3} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KB", "1.2.3", "0.5", "1e3", "99999999999999999999GB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

// FuzzParseToxic: any text gives a toxic in range or an ErrInvalid error
// naming the toxic, never a panic.
func FuzzParseToxic(f *testing.F) {
	for _, s := range []string{"500ms", "1.5MB/s", "4KiB", "30%", "-1", "1e400", "NaN", "9223372036854775807", ".", "upstream"} {
		f.Add("latency", "latency", s)
		f.Add("bandwidth", "rate", s)
		f.Add("slicer", "average_size", s)
		f.Add("timeout", "toxicity", s)
	}
	f.Fuzz(func(t *testing.T, kind, param, value string) {
		tx, err := ParseToxic(kind, map[string]string{param: value})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		spec := catalogue[kind]
		for _, p := range spec.Params {
			if v, ok := tx.Attributes[p.Name]; ok && (v < p.Min || v > p.Max) {
				t.Fatalf("%s.%s = %d out of %d..%d", kind, p.Name, v, p.Min, p.Max)
			}
		}
		if tx.Toxicity < 0 || tx.Toxicity > 1 {
			t.Fatalf("toxicity %v", tx.Toxicity)
		}
	})
}
