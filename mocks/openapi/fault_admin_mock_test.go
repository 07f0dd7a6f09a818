package openapi

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestFaultAdminOnTheMocksHost: a fault added through the OpenAPI mock's
// own admin API at run time shapes its answers, and removing it restores
// them.
func TestFaultAdminOnTheMocksHost(t *testing.T) {
	t.Parallel()
	srv := accountingServer(t, WithFaults(toolkit.NewFaultSet(1)))
	base := srv.URL[:len(srv.URL)-len("/v1")]
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/invoices", nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("before any fault: %d", got)
	}
	resp, err := http.Post(base+toolkit.FaultsPath, "application/json", bytes.NewBufferString(`{"id":"down","kind":"status","params":{"status":"503"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("adding a fault through the mock's admin API: %d", resp.StatusCode)
	}
	if got := get(); got != http.StatusServiceUnavailable {
		t.Errorf("with the fault on: %d, want 503", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+toolkit.FaultsPath+"/down", nil)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := get(); got != http.StatusOK {
		t.Errorf("after removing the fault: %d, want 200", got)
	}
}
