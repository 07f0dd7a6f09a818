package mocks

import (
	"context"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestServeNetwork: a mock on loopback (the default) refuses to listen on
// every interface; one on a private network (in a container) may.
func TestServeNetwork(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "shop.openapi.yaml")
	v, err := New(c, Spec{}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if srv, err := Serve(context.Background(), v, "0.0.0.0:0", nil); err == nil {
		srv.Close()
		t.Fatal("a loopback mock listened on every interface")
	} else if !strings.Contains(err.Error(), "--network private") {
		t.Errorf("the refusal does not say how to opt in: %v", err)
	}
	p, err := New(c, Spec{}, Settings{Network: toolkit.NetworkPrivate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	srv, err := Serve(context.Background(), p, "0.0.0.0:0", nil)
	if err != nil {
		t.Fatalf("a private-network mock could not listen on every interface: %v", err)
	}
	srv.Close()
	if _, err := New(c, Spec{}, Settings{Network: "public"}); err == nil {
		t.Error("an unknown network accepted")
	}
}

// TestCheckWebhookNetwork: where a webhook may go, checked without knowing
// the network (a declaration read on its own), on loopback, and on a
// private network.
func TestCheckWebhookNetwork(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url                     string
		unknown, loop, priv     bool // accepted
		wantLoop, wantUnknownIs string
	}{
		{url: "http://127.0.0.1:9000/hooks", unknown: true, loop: true, priv: true},
		{url: "http://localhost:9000/hooks", unknown: true, loop: true, priv: true},
		{url: "http://sync:8080/hooks", unknown: true, priv: true, wantLoop: "--network private"},
		{url: "http://10.0.0.7/hooks", unknown: true, priv: true, wantLoop: "loopback only"},
		{url: "http://[fd00::7]/hooks", unknown: true, priv: true, wantLoop: "loopback only"},
		{url: "http://100.64.1.1/hooks", unknown: true, priv: true, wantLoop: "loopback only"},
		{url: "http://169.254.169.254/latest", wantLoop: "loopback only", wantUnknownIs: "loopback only"},
		{url: "http://93.184.216.34/hooks", wantLoop: "loopback only", wantUnknownIs: "loopback only"},
		{url: "http://example.com/hooks", priv: true, wantLoop: "loopback only", wantUnknownIs: "loopback only"},
	}
	for _, tt := range tests {
		s := Spec{Stateful: true, Webhooks: []Webhook{{URL: tt.url}}}
		check := func(what string, errs []FieldError, ok bool, want string) {
			t.Helper()
			if ok != (len(errs) == 0) {
				t.Errorf("%s %s: %v, want accepted %v", what, tt.url, errs, ok)
			}
			if !ok && len(errs) > 0 && (errs[0].Field != "webhooks[0].url" || !strings.Contains(errs[0].Message, want)) {
				t.Errorf("%s %s: %v, want webhooks[0].url naming %q", what, tt.url, errs, want)
			}
		}
		check("Check", s.Check(KindOpenAPI), tt.unknown, tt.wantUnknownIs)
		check("CheckOn(loopback)", s.CheckOn(KindOpenAPI, toolkit.NetworkLoopback), tt.loop, tt.wantLoop)
		check("CheckOn(private)", s.CheckOn(KindOpenAPI, toolkit.NetworkPrivate), tt.priv, "private addresses")
	}
	// New checks against its network: an alias on loopback is refused, on
	// a private network accepted.
	c := loadExample(t, "shop.openapi.yaml")
	s := Spec{Stateful: true, Webhooks: []Webhook{{URL: "http://sync:8080/hooks"}}}
	if v, err := New(c, s, Settings{}); err == nil {
		v.Close()
		t.Error("New on loopback accepted a webhook to a container's alias")
	}
	v, err := New(c, s, Settings{Network: toolkit.NetworkPrivate})
	if err != nil {
		t.Fatalf("New on a private network: %v", err)
	}
	v.Close()
}
