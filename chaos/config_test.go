package chaos

import (
	"errors"
	"strings"
	"testing"
)

func TestReadConfig(t *testing.T) {
	t.Parallel()
	good := `[
  {"name": "accounting", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9000"},
  {"name": "crm", "upstream": "127.0.0.1:9001", "enabled": false}
]`
	got, err := ReadConfig(strings.NewReader(good), "toxiproxy.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Listen != DefaultListen || got[1].Enabled == nil || *got[1].Enabled {
		t.Errorf("ReadConfig = %+v", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"[\n{\"name\": \"a\",\n \"upstream\": 5}]", `toxiproxy.json:3: field upstream: want string, got number`},
		{"[\n{\"name\": \"a\", \"upstreem\": \"x:1\"}]", `toxiproxy.json:2: json: unknown field "upstreem"`},
		{"[\n\n{\"name\": }]", "toxiproxy.json:3: invalid character '}'"},
		{`[{"upstream": "x:1"}, {"name": "b"}]`, "proxy 0: name is required"},
		{`[{"upstream": "x:1"}, {"name": "b"}]`, "proxy 1 (b): upstream is required"},
		{`[] []`, "data after the array"},
	} {
		_, err := ReadConfig(strings.NewReader(tc.in), "toxiproxy.json")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzReadConfig(f *testing.F) {
	f.Add(`[{"name": "a", "upstream": "127.0.0.1:1"}]`)
	f.Add("[\n{\"name\": 1}]")
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, in string) {
		configs, err := ReadConfig(strings.NewReader(in), "f.json")
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "f.json") {
				t.Fatalf("error %v is not ErrInvalid naming the file", err)
			}
			return
		}
		for _, c := range configs {
			if c.Name == "" || c.Upstream == "" || c.Listen == "" {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}
