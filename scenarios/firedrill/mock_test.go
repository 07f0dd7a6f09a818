package firedrill

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
)

var (
	petstore = filepath.Join("..", "..", "contracts", "testdata", "openapi", "petstore30.yaml")
	crm      = filepath.Join("..", "..", "examples", "ordersync", "contracts", "crm.graphql")
)

// TestRunOptionErrors: options that cannot apply fail Run before any
// container is created.
func TestRunOptionErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		opts []testcontainers.ContainerCustomizer
		want string
	}{
		{nil, "no mock"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{Contract: petstore}), WithMock("pets", mocks.Spec{Contract: petstore})}, "declared twice"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{Contract: "absent.yaml"})}, "absent.yaml"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{Contract: petstore, Stateful: true, Records: map[string]mocks.Records{"pets": {File: "gone.ndjson"}}})}, "gone.ndjson"},
		{[]testcontainers.ContainerCustomizer{WithMock("", mocks.Spec{Contract: petstore})}, "system's name"},
		{[]testcontainers.ContainerCustomizer{WithMock("a/b", mocks.Spec{Contract: petstore})}, "system's name"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{})}, "no contract"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{Contract: petstore}), WithStartupTimeout(0)}, "startup timeout"},
		{[]testcontainers.ContainerCustomizer{WithMock("pets", mocks.Spec{Contract: petstore}), WithRunID(" ")}, "run id"},
	} {
		c, err := Run(ctx, "firedrill:none", tt.opts...)
		if c != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%d options) = %v, %v; want no container and an error naming %q", len(tt.opts), c, err, tt.want)
		}
	}
	if _, err := RunChaos(ctx, "firedrill:none", []int{9000, 9000}); err == nil {
		t.Error("RunChaos took a proxy port twice")
	}
	if _, err := RunChaos(ctx, "firedrill:none", nil, WithMock("pets", mocks.Spec{Contract: petstore})); err == nil {
		t.Error("RunChaos took a mock")
	}
}

// TestMockFilesRoundTrip: the declaration written into the container names
// the container's copies of its files, and reads back as it was declared.
func TestMockFilesRoundTrip(t *testing.T) {
	t.Parallel()
	seed := filepath.Join("..", "..", "examples", "ledgersync", "seed")
	spec := mocks.Spec{Contract: petstore, Stateful: true, APIKeys: []string{"k"}, OAuthTokenTTL: contracts.Duration(time.Minute),
		Records: map[string]mocks.Records{"pets": {File: filepath.Join(seed, "accounts.ndjson")}, "owners": {Items: []map[string]any{{"id": "1"}}}}}
	files, err := mockFiles(1, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].ContainerFilePath != "/mocks/1/contract/petstore30.yaml" || files[1].ContainerFilePath != "/mocks/1/records/1-accounts.ndjson" || files[2].ContainerFilePath != "/mocks/1/mock.yaml" {
		t.Fatalf("files %+v", files)
	}
	decl, _ := io.ReadAll(files[2].Reader)
	var back mocks.Spec
	if err := yaml.Unmarshal(decl, &back); err != nil {
		t.Fatalf("the declaration does not read back: %v\n%s", err, decl)
	}
	want := spec
	want.Contract = "/mocks/1/contract/petstore30.yaml"
	want.Records = map[string]mocks.Records{"pets": {File: "/mocks/1/records/1-accounts.ndjson"}, "owners": spec.Records["owners"]}
	if diff := cmp.Diff(want, back, cmpopts.IgnoreUnexported(mocks.Records{})); diff != "" {
		t.Errorf("the declaration written into the container reads back otherwise (-want +got):\n%s\n%s", diff, decl)
	}
	if spec.Contract != petstore {
		t.Error("mockFiles changed the caller's declaration")
	}
}

// get fetches url from the host and returns the status and body.
func get(t *testing.T, ctx context.Context, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunStatefulMocks: a container with two mocks (a stateful OpenAPI one
// and a GraphQL one) answers the host at MockURL, keeps what it is sent,
// and journals it.
func TestRunStatefulMocks(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	seed := filepath.Join(t.TempDir(), "pets.ndjson")
	if err := os.WriteFile(seed, []byte(`{"id": 41, "name": "Seeded", "tag": "cat"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	petSpec := mocks.Spec{Contract: petstore, Stateful: true, Records: map[string]mocks.Records{"pets": {File: seed}}}
	start := time.Now()
	c, err := Run(ctx, img, WithMock("pets", petSpec), WithMock("crm", mocks.Spec{Contract: crm}), WithAdminHost("pets.test"),
		WithRunID("stateful-test"), WithStartupTimeout(time.Minute), testMemory, testcontainers.WithEnv(map[string]string{"FIREDRILL_TEST": "1"}))
	terminate(t, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Run: two mocks in a container, healthy after %v", time.Since(start))
	if c.MockPort("pets") != MockPort || c.MockPort("crm") != MockPort+1 || c.MockPort("shop") != 0 {
		t.Errorf("ports pets %d, crm %d, shop %d", c.MockPort("pets"), c.MockPort("crm"), c.MockPort("shop"))
	}
	pets, err := c.MockURL(ctx, "pets")
	if err != nil || !strings.HasPrefix(pets, "http://127.0.0.1:") {
		t.Fatalf("MockURL = %q, %v", pets, err)
	}
	if code, body := get(t, ctx, http.MethodPost, pets+"/v1/pets", `{"name": "Rex", "tag": "dog"}`); code != http.StatusCreated {
		t.Fatalf("POST /v1/pets: %d %s", code, body)
	}
	if code, body := get(t, ctx, http.MethodGet, pets+"/v1/pets", ""); code != http.StatusOK || !strings.Contains(body, "Rex") || !strings.Contains(body, "Seeded") {
		t.Errorf("GET /v1/pets after a create, the records file copied in: %d %s", code, body)
	}
	for host, want := range map[string]int{"pets.test": http.StatusOK, "elsewhere.test": http.StatusForbidden} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, pets+"/__firedrill/health", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("admin API with Host %s: %d, want %d (WithAdminHost)", host, resp.StatusCode, want)
		}
	}
	if code, body := get(t, ctx, http.MethodGet, pets+"/__firedrill/requests", ""); code != http.StatusOK || !strings.Contains(body, "/v1/pets") || !strings.Contains(body, "POST") || !strings.Contains(body, `"system":"pets"`) {
		t.Errorf("journal: %d %s", code, body)
	}
	crmURL, err := c.MockURL(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, ctx, http.MethodGet, crmURL+"/__firedrill/health", ""); code != http.StatusOK {
		t.Errorf("the second mock: %d %s", code, body)
	}
	if _, err := c.MockURL(ctx, "shop"); err == nil || !strings.Contains(err.Error(), "pets, crm") {
		t.Errorf("MockURL of an unknown system: %v", err)
	}
	ins, err := c.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l := ins.Config.Labels; l[LabelRun] != "stateful-test" || l[LabelKind] != KindMock || l[LabelSystem] != "pets,crm" {
		t.Errorf("labels %v", l)
	}
	if ins.HostConfig.Memory != 128<<20 {
		t.Errorf("memory bound %d, want the caller's 128 MiB", ins.HostConfig.Memory)
	}
	if !strings.Contains(strings.Join(ins.Config.Env, " "), "FIREDRILL_TEST=1") {
		t.Errorf("WithEnv not applied: %v", ins.Config.Env)
	}
}

// TestWebhookAcrossContainers: a stateful mock delivers its webhook to
// another container by its alias on a private network; the admin API
// answers that alias too.
func TestWebhookAcrossContainers(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 3*time.Minute)
	nw, err := NewNetwork(ctx, "webhook-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Remove(context.Background()) })
	recv, err := Run(ctx, img, WithMock("recv", mocks.Spec{Contract: petstore}), WithRunID("webhook-test"), testMemory,
		network.WithNetwork([]string{"recv"}, nw))
	terminate(t, recv)
	if err != nil {
		t.Fatal(err)
	}
	spec := mocks.Spec{Contract: petstore, Stateful: true, Webhooks: []mocks.Webhook{{URL: "http://recv:8080/hooks", On: []string{"create"}}},
		WebhookRetry: &mocks.WebhookRetry{Attempts: 1}}
	shop, err := Run(ctx, img, WithMock("shop", spec), WithRunID("webhook-test"), testMemory, network.WithNetwork([]string{"shop"}, nw))
	terminate(t, shop)
	if err != nil {
		t.Fatal(err)
	}
	shopURL, _ := shop.MockURL(ctx, "shop")
	if code, body := get(t, ctx, http.MethodPost, shopURL+"/v1/pets", `{"name": "Rex"}`); code != http.StatusCreated {
		t.Fatalf("POST: %d %s", code, body)
	}
	recvURL, _ := recv.MockURL(ctx, "recv")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, ctx, http.MethodGet, recvURL+"/__firedrill/requests", "")
		if strings.Contains(body, "/hooks") {
			break
		}
		if time.Now().After(deadline) {
			_, sent := get(t, ctx, http.MethodGet, shopURL+"/__firedrill/requests", "")
			t.Fatalf("the webhook never reached the receiver by its alias; its journal: %s\nthe sender's: %s", body, sent)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The admin API answers the alias the container has on the network,
	// and no other name.
	for host, want := range map[string]int{"recv:8080": http.StatusOK, "shop": http.StatusForbidden} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, recvURL+"/__firedrill/health", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("admin API with Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// TestRunReportsRefusal: a declaration the mock refuses in the container
// (a webhook to a public address) fails Run at once, with the mock's own
// words from the container's log.
func TestRunReportsRefusal(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, 2*time.Minute)
	spec := mocks.Spec{Contract: petstore, Stateful: true, Webhooks: []mocks.Webhook{{URL: "http://8.8.8.8/hooks"}}}
	start := time.Now()
	c, err := Run(ctx, img, WithMock("pets", spec), WithRunID("refusal-test"), testMemory)
	terminate(t, c)
	if err == nil || !strings.Contains(err.Error(), "webhooks[0].url") || !strings.Contains(err.Error(), "8.8.8.8") {
		t.Fatalf("Run = %v, want the mock's refusal of the webhook", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("a refused declaration took %v to fail: the wait should stop when the container exits", took)
	}
}
