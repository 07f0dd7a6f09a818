package firedrill

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go/network"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks"
)

// TestChaosContainer: a proxy created through the API of a chaos container
// forwards, on the run's network, to a mock container by its alias; the
// host reaches the mock through it, and not once the proxy is disabled.
func TestChaosContainer(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	const run = "chaos-test"
	nw, err := NewNetwork(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Remove(context.Background()) })
	mock, err := Run(ctx, img, WithMock("pets", mocks.Spec{Contract: petstore}), WithRunID(run), testMemory, network.WithNetwork([]string{"pets"}, nw))
	terminate(t, mock)
	if err != nil {
		t.Fatal(err)
	}
	// No memory bound of the test's own: DefaultMemory holds.
	tp, err := RunChaos(ctx, img, []int{9000}, WithRunID(run), network.WithNetwork([]string{"toxiproxy"}, nw))
	terminate(t, tp)
	if err != nil {
		t.Fatal(err)
	}
	api, err := tp.APIURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := chaos.Remote(api)
	if err != nil {
		t.Fatal(err)
	}
	p, err := remote.Proxy(ctx, "pets", "pets:"+strconv.Itoa(mock.MockPort("pets")), chaos.WithListen("0.0.0.0:9000"))
	if err != nil {
		t.Fatalf("a proxy listening on every interface of the container: %v", err)
	}
	if p.Listen != "0.0.0.0:9000" && p.Listen != "[::]:9000" {
		t.Errorf("proxy listens on %s", p.Listen)
	}
	hp, err := tp.ProxyHostPort(ctx, 9000)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, ctx, http.MethodGet, "http://"+hp+"/v1/pets", ""); code != http.StatusOK || !strings.Contains(body, "Rex") {
		t.Fatalf("the mock through the proxy: %d %s", code, body)
	}
	if _, err := tp.ProxyHostPort(ctx, 9001); err == nil {
		t.Error("a port the container does not expose was given")
	}
	if ins, err := tp.Inspect(ctx); err != nil || ins.Config.Labels[LabelKind] != KindChaos || ins.Config.Labels[LabelRun] != run || ins.HostConfig.Memory != DefaultMemory {
		t.Errorf("labels %v, memory %d (want %d): %v", ins.Config.Labels, ins.HostConfig.Memory, DefaultMemory, err)
	}
	// Control: with the proxy disabled the mock is out of reach.
	if err := remote.SetEnabled(ctx, "pets", false); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hp+"/v1/pets", nil)
	c := http.Client{Timeout: 3 * time.Second}
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("the disabled proxy answered %d", resp.StatusCode)
	}
}
