package contracts

import (
	"testing"
)

// TestSampleRequestExampleFormat: a request sample uses the schema's own
// example only when it is in the schema's format as a Validator checks it
// (Xero's "5gj1e5cc-..." is not a uuid); otherwise it is generated. A valid
// example is kept.
func TestSampleRequestExampleFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		schema   string
		keepsOwn bool
	}{
		{"request, uuid example breaks the format", `{"type":"string","format":"uuid","example":"5gj1e5cc-ab12-4f0e-b0ef-4dd6a5a7b1f1"}`, false},
		{"request, uuid example valid", `{"type":"string","format":"uuid","example":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}`, true},
		{"request, date-time example breaks the format", `{"type":"string","format":"date-time","example":"/Date(1573755038314)/"}`, false},
		{"request, email example valid", `{"type":"string","format":"email","example":"ada@example.com"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleSchema(t, tt.schema)
			v := Sample(s, SampleOptions{Seed: 7, Direction: Request})
			if got := v == s.Example; got != tt.keepsOwn {
				t.Errorf("sample %v: kept the example %v = %v, want %v", v, s.Example, got, tt.keepsOwn)
			}
			if vs := NewValidator(nil).ValidateValue(s, v, false); len(vs) > 0 {
				t.Errorf("request sample %v breaks its schema: %v", v, vs)
			}
		})
	}
}
