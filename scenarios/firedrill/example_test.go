package firedrill_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/scenarios/firedrill"
)

// A Go team's own test starts its vendors' mocks in a container beside the
// image of its service: the firedrill binary was built with
// CGO_ENABLED=0 GOOS=linux go build -o bin/firedrill ./cmd/firedrill.
// (It needs a Docker engine, so it has no Output to check.)
func ExampleRun() {
	ctx := context.Background()
	image, err := firedrill.BuildImage(ctx, "bin/firedrill") // once; later runs find it built
	if err != nil {
		log.Fatal(err)
	}
	nw, err := firedrill.NewNetwork(ctx, "order-sync-test")
	if err != nil {
		log.Fatal(err)
	}
	defer nw.Remove(ctx)

	shop, err := firedrill.Run(ctx, image,
		firedrill.WithMock("shop", mocks.Spec{
			Contract: "contracts/shop.openapi.yaml",
			Stateful: true,
			// The service under test, by its alias on the network.
			Webhooks: []mocks.Webhook{{URL: "http://sync:8080/webhooks/orders", On: []string{"create"}}},
		}),
		firedrill.WithMock("accounting", mocks.Spec{Contract: "contracts/accounting.openapi.yaml", Stateful: true}),
		firedrill.WithRunID("order-sync-test"),
		network.WithNetwork([]string{"vendors"}, nw),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.Memory = 128 << 20 }),
	)
	defer shop.Terminate(ctx) // before the error check: a container may exist
	if err != nil {
		log.Fatal(err)
	}
	// The service reaches the mocks on the network: http://vendors:8080
	// for the shop, http://vendors:8081 for accounting.
	fmt.Println("accounting in the network:", fmt.Sprintf("http://vendors:%d", shop.MockPort("accounting")))

	// The test reaches them from the host.
	base, err := shop.MockURL(ctx, "shop")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(base+"/admin/api/2026-01/orders", "application/json", strings.NewReader(`{"number": 1001}`))
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	journal, err := http.Get(base + "/__firedrill/requests")
	if err != nil {
		log.Fatal(err)
	}
	defer journal.Body.Close()
	body, _ := io.ReadAll(journal.Body)
	fmt.Println("journal:", len(body) > 0)
}
