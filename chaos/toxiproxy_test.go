package chaos

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/rs/zerolog"
)

func TestEmbeddedCloseStopsAPIAndProxies(t *testing.T) {
	t.Parallel()
	tp, err := Embedded(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tp.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %q, want loopback", tp.URL())
	}
	p := proxyTo(t, tp, "svc", tcpUpstream(t, echo))
	if !strings.HasPrefix(p.Listen, "127.0.0.1:") || strings.HasSuffix(p.Listen, ":0") {
		t.Errorf("proxy listens on %q, want the actual loopback port", p.Listen)
	}
	c := dial(t, p.Listen, 5*time.Second)
	if _, err := roundTrip(c); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	if err := tp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", p.Listen, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("proxy listener after Close: %v, want refused", err)
	}
	if _, err := roundTrip(c); err == nil {
		t.Error("connection through the proxy survived Close")
	}
	if _, err := tp.Version(context.Background()); err == nil {
		t.Error("API answers after Close")
	}
	if err := tp.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	var nilTP *Toxiproxy
	if err := nilTP.Close(); err != nil {
		t.Errorf("nil Close = %v", err)
	}
}

// TestStandardClientDrivesEmbedded proves that Toxiproxy's own client (and
// so toxiproxy-cli, which is built on it) drives the embedded server.
func TestStandardClientDrivesEmbedded(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	up := tcpUpstream(t, echo)
	cl := toxiclient.NewClient(tp.URL())
	p, err := cl.CreateProxy("std", "127.0.0.1:0", up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("slow", "latency", "downstream", 1, toxiclient.Attributes{"latency": 50}); err != nil {
		t.Fatal(err)
	}
	got, err := tp.Lookup(context.Background(), "std")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Toxics) != 1 || got.Toxics[0].Name != "slow" || got.Toxics[0].Attributes["latency"] != 50 {
		t.Errorf("firedrill sees %+v, want the client's latency toxic", got.Toxics)
	}
	if err := tp.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	toxics, err := p.Toxics()
	if err != nil || len(toxics) != 0 {
		t.Errorf("client sees %v, %v after Reset; want none", toxics, err)
	}
	if err := p.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ResetState(); err != nil {
		t.Fatal(err)
	}
	if got, _ := tp.Lookup(context.Background(), "std"); got == nil || !got.Enabled {
		t.Errorf("after the client's reset: %+v, want enabled", got)
	}
	if v, err := tp.Version(context.Background()); err != nil || v == "" {
		t.Errorf("Version = %q, %v", v, err)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	ctx := context.Background()
	up := tcpUpstream(t, echo)
	proxyTo(t, tp, "dup", up)
	if _, err := tp.Proxy(ctx, "dup", up); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `create proxy "dup"`) {
		t.Errorf("duplicate proxy: %v, want ErrExists naming it", err)
	}
	if _, err := tp.Lookup(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing proxy: %v, want ErrNotFound", err)
	}
	if err := tp.RemoveToxic(ctx, "dup", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing toxic: %v, want ErrNotFound", err)
	}
	if _, err := tp.Apply(ctx, "nope", mustParse(t, Down, nil)); !errors.Is(err, ErrNotFound) {
		t.Errorf("down on a missing proxy: %v, want ErrNotFound", err)
	}
	if err := tp.AddToxic(ctx, "dup", Toxic{Kind: Down}); !errors.Is(err, ErrInvalid) {
		t.Errorf("down as a toxic: %v, want ErrInvalid", err)
	}
	for _, bad := range []struct{ name, upstream string }{{"", up}, {"x", "no-port"}} {
		if _, err := tp.Proxy(ctx, bad.name, bad.upstream); !errors.Is(err, ErrInvalid) {
			t.Errorf("Proxy(%q, %q) = %v, want ErrInvalid", bad.name, bad.upstream, err)
		}
	}
	if _, err := tp.Proxy(ctx, "x", up, WithListen("nope")); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithListen(nope) = %v, want ErrInvalid", err)
	}
	if err := tp.DeleteProxy(ctx, "dup"); err != nil {
		t.Fatal(err)
	}
	if err := tp.DeleteProxy(ctx, "dup"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	// A browser may not drive the API.
	req, _ := http.NewRequest(http.MethodGet, tp.URL()+"/proxies", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("browser request: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestRemote(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"ftp://x:1", "http://", "http://%zz"} {
		if _, err := Remote(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Remote(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	tp := embedded(t)
	for _, u := range []string{tp.URL(), tp.URL() + "/", strings.TrimPrefix(tp.URL(), "http://")} {
		r, err := Remote(u, WithRequestTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if r.URL() != tp.URL() {
			t.Errorf("Remote(%q).URL() = %q", u, r.URL())
		}
		if _, err := r.Proxies(context.Background()); err != nil {
			t.Errorf("Remote(%q): %v", u, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close of a remote: %v", err)
		}
	}
	down, _ := Remote("127.0.0.1:1")
	if _, err := down.Proxies(context.Background()); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("unreachable: %v, want connection refused", err)
	}
	for _, o := range []Option{WithAPIAddr(""), WithLogger(nil), WithRequestTimeout(0)} {
		if _, err := Remote("127.0.0.1:1", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad option: %v, want ErrInvalid", err)
		}
	}
}

func TestEmbeddedLogsThroughSlog(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	tp := embedded(t, WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	proxyTo(t, tp, "logged", tcpUpstream(t, echo))
	// Toxiproxy logs "Started proxy" after the API has answered.
	logged := func() bool {
		got := string(buf.Bytes())
		return strings.Contains(got, "toxiproxy: Started proxy") && strings.Contains(got, "name=logged")
	}
	for deadline := time.Now().Add(5 * time.Second); !logged() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if !logged() {
		t.Errorf("log lacks Toxiproxy's own line:\n%s", buf.Bytes())
	}
	for _, tc := range []struct {
		level slog.Level
		want  zerolog.Level
	}{{slog.LevelDebug, zerolog.DebugLevel}, {slog.LevelWarn, zerolog.WarnLevel}, {slog.LevelError + 4, zerolog.Disabled}} {
		zl := zerologTo(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: tc.level})))
		if zl.GetLevel() != tc.want {
			t.Errorf("slog level %v: zerolog level %v, want %v", tc.level, zl.GetLevel(), tc.want)
		}
	}
	var quiet syncBuffer
	tq := embedded(t, WithLogger(slog.New(slog.NewTextHandler(&quiet, &slog.HandlerOptions{Level: slog.LevelError}))))
	proxyTo(t, tq, "quiet", tcpUpstream(t, echo))
	if len(quiet.Bytes()) != 0 {
		t.Errorf("info lines at level error:\n%s", quiet.Bytes())
	}
}

func TestEmbeddedAPIAddrInUse(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	_, err := Embedded(context.Background(), WithAPIAddr(strings.TrimPrefix(tp.URL(), "http://")))
	if err == nil || !strings.Contains(err.Error(), "chaos: toxiproxy API on 127.0.0.1:") {
		t.Errorf("second server on the same port: %v", err)
	}
}

func TestPopulate(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	up := tcpUpstream(t, echo)
	off := false
	got, err := tp.Populate(context.Background(), []ProxyConfig{
		{Name: "one", Listen: "127.0.0.1:0", Upstream: up},
		{Name: "two", Listen: "127.0.0.1:0", Upstream: up, Enabled: &off},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "one" || !got[0].Enabled || strings.HasSuffix(got[0].Listen, ":0") || got[1].Enabled {
		t.Errorf("Populate = %+v", got)
	}
	if _, err := roundTrip(dial(t, got[0].Listen, 5*time.Second)); err != nil {
		t.Errorf("through a populated proxy: %v", err)
	}
	_, err = tp.Populate(context.Background(), []ProxyConfig{{Name: "", Listen: "127.0.0.1:0", Upstream: up}, {Name: "x", Listen: "nope", Upstream: "nope"}})
	for _, want := range []string{"proxy 0: name is empty", `proxy 1 (x): upstream "nope"`, `proxy 1 (x): listen "nope"`} {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("bad configs: %v, want %q", err, want)
		}
	}
}
