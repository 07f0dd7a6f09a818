package mocks

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestServeLimits: a mock served by Serve refuses headers past its limit
// with 431 (64 KiB unless Settings say otherwise), for both kinds, and its
// journal takes the byte bound of its Settings.
func TestServeLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		set    Settings
		header int // a header this big is refused
		fits   int // and this one is served
		idle   time.Duration
	}{
		{"shop.openapi.yaml", Settings{}, 900 << 10, 8 << 10, toolkit.DefaultIdleTimeout},
		{"crm.graphql", Settings{}, 900 << 10, 8 << 10, toolkit.DefaultIdleTimeout},
		{"shop.openapi.yaml", Settings{Limits: toolkit.ServerLimits{MaxHeaderBytes: 1 << 10, IdleTimeout: time.Second}, JournalBytes: 1 << 20}, 8 << 10, 100, time.Second},
	} {
		v, err := New(loadExample(t, tc.file), Spec{}, tc.set)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		srv, err := Serve(context.Background(), v, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		get := func(n int) int {
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("X-Pad", strings.Repeat("p", n))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := get(tc.header); got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s %+v: a %d-byte header got %d, want 431", tc.file, tc.set, tc.header, got)
		}
		if got := get(tc.fits); got == http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s %+v: a %d-byte header got 431", tc.file, tc.set, tc.fits)
		}
		want := tc.set.JournalBytes
		if want == 0 {
			want = toolkit.DefaultJournalBytes
		}
		if got := v.Journal.Stats().MaxBytes; got != want {
			t.Errorf("%s: journal bound %d, want %d", tc.file, got, want)
		}
		if srv.Limits.IdleTimeout != tc.idle {
			t.Errorf("%s: idle timeout %v, want %v", tc.file, srv.Limits.IdleTimeout, tc.idle)
		}
	}
}
