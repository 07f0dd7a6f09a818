package toolkit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseNetwork(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Network{"": NetworkLoopback, "loopback": NetworkLoopback, "private": NetworkPrivate} {
		if got, err := ParseNetwork(in); err != nil || got != want {
			t.Errorf("ParseNetwork(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseNetwork("public"); err == nil || !strings.Contains(err.Error(), "loopback or private") {
		t.Errorf("ParseNetwork(public) = %v, want a refusal naming the networks", err)
	}
}

// Every address class, allowed or refused, on each network: the check the
// webhook dialer makes on the address a name resolved to.
func TestNetworkAllowsIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip                string
		loopback, private bool
	}{
		{"127.0.0.1", true, true},
		{"127.8.9.10", true, true},
		{"::1", true, true},
		{"::ffff:127.0.0.1", true, true},
		{"10.1.2.3", false, true},           // RFC 1918
		{"172.17.0.2", false, true},         // RFC 1918, Docker's bridge
		{"172.32.0.1", false, false},        // just past 172.16.0.0/12
		{"192.168.1.1", false, true},        // RFC 1918
		{"::ffff:192.168.1.1", false, true}, // mapped
		{"fd00::1", false, true},            // RFC 4193
		{"100.64.0.1", false, true},         // RFC 6598
		{"100.127.255.254", false, true},    // RFC 6598, last
		{"100.128.0.1", false, false},       // past it
		{"169.254.169.254", false, false},   // link-local: cloud metadata
		{"fe80::1", false, false},           // link-local
		{"93.184.216.34", false, false},     // public
		{"2606:4700::1111", false, false},   // public
		{"0.0.0.0", false, false},
		{"224.0.0.1", false, false}, // multicast
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		if got := NetworkLoopback.AllowsIP(ip); got != tt.loopback {
			t.Errorf("loopback AllowsIP(%s) = %v, want %v", tt.ip, got, tt.loopback)
		}
		if got := NetworkPrivate.AllowsIP(ip); got != tt.private {
			t.Errorf("private AllowsIP(%s) = %v, want %v", tt.ip, got, tt.private)
		}
		addr := net.JoinHostPort(tt.ip, "80")
		if err := NetworkPrivate.control("tcp", addr, nil); (err == nil) != tt.private {
			t.Errorf("private dialer on %s: %v, want allowed %v", addr, err, tt.private)
		}
	}
}

func TestNetworkAllowsURLAndListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url               string
		loopback, private bool
	}{
		{"http://127.0.0.1:9/x", true, true},
		{"http://localhost/x", true, true},
		{"https://[::1]:9/x", true, true},
		{"http://sync:8080/hooks", false, true}, // a container's alias: checked at dial time
		{"http://10.0.0.7/hooks", false, true},
		{"http://169.254.169.254/latest", false, false},
		{"http://8.8.8.8/", false, false},
		{"ftp://sync/x", false, false},
		{"sync:8080", false, false},
	}
	for _, tt := range tests {
		if got := NetworkLoopback.AllowsURL(tt.url); got != tt.loopback {
			t.Errorf("loopback AllowsURL(%s) = %v, want %v", tt.url, got, tt.loopback)
		}
		if got := NetworkPrivate.AllowsURL(tt.url); got != tt.private {
			t.Errorf("private AllowsURL(%s) = %v, want %v", tt.url, got, tt.private)
		}
	}
	for addr, want := range map[string][2]bool{
		"127.0.0.1:8080": {true, true}, "localhost:0": {true, true}, "[::1]:1": {true, true},
		"0.0.0.0:8080": {false, true}, ":8080": {false, true}, "10.0.0.2:80": {false, true}, "nonsense": {false, false},
	} {
		if got := NetworkLoopback.AllowsListen(addr); got != want[0] {
			t.Errorf("loopback AllowsListen(%s) = %v, want %v", addr, got, want[0])
		}
		if got := NetworkPrivate.AllowsListen(addr); got != want[1] {
			t.Errorf("private AllowsListen(%s) = %v, want %v", addr, got, want[1])
		}
	}
}

// A subscriber by name is refused on loopback, accepted on a private
// network, and a name that resolves to a public address is refused when
// the delivery connects: the check is on the address, not the name.
func TestWebhooksPrivateNetwork(t *testing.T) {
	t.Parallel()
	if _, err := NewWebhooks(WebhookOptions{Subscribers: []WebhookSubscriber{{URL: "http://sync:8080/hooks"}}}); err == nil || !strings.Contains(err.Error(), "only receivers on loopback") {
		t.Errorf("a subscriber by name on loopback: %v, want a refusal", err)
	}
	if _, err := NewWebhooks(WebhookOptions{Network: "lan", Subscribers: nil}); err == nil {
		t.Error("an unknown network accepted")
	}
	for _, u := range []string{"http://169.254.169.254/", "http://1.1.1.1/"} {
		if _, err := NewWebhooks(WebhookOptions{Network: NetworkPrivate, Subscribers: []WebhookSubscriber{{URL: u}}}); err == nil || !strings.Contains(err.Error(), "private addresses") {
			t.Errorf("subscriber %s on a private network: %v, want a refusal", u, err)
		}
	}
	if _, err := ParseWebhookOn("http://sync:8080/hooks,events=create", NetworkPrivate); err != nil {
		t.Errorf("ParseWebhookOn(private) refused an alias: %v", err)
	}
	if _, err := ParseWebhook("http://sync:8080/hooks"); err == nil {
		t.Error("ParseWebhook accepted an alias on loopback")
	}

	// Deliveries by name: "localhost" resolves to loopback and arrives; a
	// subscriber whose name resolves to a public address is refused at
	// dial time (here a literal stands for what a resolver would give).
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	w, err := NewWebhooks(WebhookOptions{Network: NetworkPrivate, MaxAttempts: 1, Timeout: 2 * time.Second,
		Subscribers: []WebhookSubscriber{{URL: "http://localhost:" + port + "/hooks"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	j := NewJournal(100)
	if err := w.Attach("shop", j, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if !w.Reaches("http://sync:9/x") || w.Reaches("http://169.254.169.254/x") {
		t.Error("Reaches does not follow the private network")
	}
	w.Enqueue(EventCreate, "orders.created", "orders/1", map[string]any{"id": "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for got.Load() == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if got.Load() == 0 {
		t.Fatal("the delivery to loopback by name never arrived")
	}
	d := &net.Dialer{Control: NetworkPrivate.control}
	if c, err := d.DialContext(ctx, "tcp", "93.184.216.34:80"); err == nil {
		c.Close()
		t.Fatal("the private dialer connected to a public address")
	} else if !strings.Contains(err.Error(), "not a private address") {
		t.Errorf("the private dialer's refusal: %v", err)
	}
}

// TestSubscribeOnNetwork: a subscription made through a contract follows
// the mock's network as declared subscribers do.
func TestSubscribeOnNetwork(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		network Network
		url     string
		ok      bool
	}{
		{NetworkLoopback, "http://127.0.0.1:9/hooks", true},
		{NetworkLoopback, "http://sync:8080/hooks", false},
		{NetworkPrivate, "http://sync:8080/hooks", true},
		{NetworkPrivate, "http://192.168.0.9/hooks", true},
		{NetworkPrivate, "http://169.254.169.254/hooks", false},
		{NetworkPrivate, "http://8.8.8.8/hooks", false},
	} {
		w, err := NewWebhooks(WebhookOptions{Network: tt.network})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Subscribe("we_1", WebhookSubscriber{URL: tt.url})
		w.Close()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Subscribe(%s) = %v, want accepted %v", tt.network, tt.url, err, tt.ok)
		}
	}
}
