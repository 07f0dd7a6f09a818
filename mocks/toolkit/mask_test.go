package toolkit

import "testing"

func TestMaskQuery(t *testing.T) {
	t.Parallel()
	s := Secrets{query: map[string]bool{"k": true}}
	tests := map[string]string{
		"":                      "",
		"limit=1":               "limit=1",
		"k=abc&limit=1":         "k=%2A%2A%2A&limit=1",
		"api_token=x":           "api_token=%2A%2A%2A",
		"%zz=1&password=hunter": Masked,
	}
	for in, want := range tests {
		if got := s.MaskQuery(in); got != want {
			t.Errorf("MaskQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
