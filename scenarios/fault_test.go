package scenarios

import "testing"

// TestFaultPartial: a fault that fails only some calls (a rate under 1,
// one operation, a toxicity under 1) is partial, which the breaker gate
// does not judge as an outage; one that fails every call is not.
func TestFaultPartial(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f       Fault
		partial bool
	}{
		{Fault{System: "ledger", Fault: "status", Params: map[string]string{"status": "503"}}, false},
		{Fault{System: "ledger", Fault: "status", Params: map[string]string{"status": "503", "rate": "1"}}, false},
		{Fault{System: "ledger", Fault: "status", Params: map[string]string{"status": "503", "rate": "0.35"}}, true},
		{Fault{System: "ledger", Fault: "truncated", Params: map[string]string{"operation": "upsertEntry"}}, true},
		{Fault{Proxy: "ledger", Toxic: "down"}, false},
		{Fault{Proxy: "ledger", Toxic: "reset_peer", Toxicity: 1}, false},
		{Fault{Proxy: "ledger", Toxic: "reset_peer", Toxicity: 0.5}, true},
		{Fault{Proxy: "ledger", Toxic: "latency", Params: map[string]string{"rate": "0.5"}}, false}, // no such toxic parameter: not read
	} {
		if got := tc.f.partial(); got != tc.partial {
			t.Errorf("%+v: partial %v, want %v", tc.f, got, tc.partial)
		}
	}
}
