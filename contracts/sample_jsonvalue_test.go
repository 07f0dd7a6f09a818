package contracts_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/firedrill/firedrill/contracts"
)

func TestJSONValue(t *testing.T) {
	t.Parallel()
	type point struct {
		X int `json:"x"`
	}
	for _, tt := range []struct {
		name    string
		in, out any
	}{
		{"nil", nil, nil},
		{"string", "s", "s"},
		{"int64, as Sample gives integers", int64(7), 7.0},
		{"int", 2, 2.0},
		{"float64", 1.5, 1.5},
		{"nested", map[string]any{"n": int64(3), "list": []string{"a"}, "obj": map[string]any{"f": 1.5}},
			map[string]any{"n": 3.0, "list": []any{"a"}, "obj": map[string]any{"f": 1.5}}},
		{"struct", point{1}, map[string]any{"x": 1.0}},
		{"already shaped", []any{1.0, map[string]any{"b": "c"}, nil, true}, []any{1.0, map[string]any{"b": "c"}, nil, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := contracts.JSONValue(tt.in); !reflect.DeepEqual(got, tt.out) {
				t.Errorf("JSONValue(%#v) = %#v; want %#v", tt.in, got, tt.out)
			}
		})
	}
	if got := contracts.JSONValue(math.NaN()); got == nil || !math.IsNaN(got.(float64)) {
		t.Errorf("NaN, which JSON cannot hold: got %v; want it back as is", got)
	}
}

// The value JSONValue returns is a copy: changing it leaves the input alone,
// even when the input was already in JSON shapes.
func TestJSONValueCopies(t *testing.T) {
	t.Parallel()
	in := map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}}
	out := contracts.JSONValue(in).(map[string]any)
	out["a"].([]any)[1].(map[string]any)["b"] = "changed"
	out["a"].([]any)[0] = 2.0
	out["new"] = true
	if want := (map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}}); !reflect.DeepEqual(in, want) {
		t.Errorf("changing the copy changed the input: %v", in)
	}
}
