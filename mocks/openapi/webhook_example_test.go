package openapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/examples/petstore"
	"github.com/firedrill/firedrill/mocks/openapi"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A stateful mock tells a subscriber about every pet created, signed as the
// Standard Webhooks specification says.
func ExampleWithWebhooks() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	got := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("webhook-timestamp")
		var unix int64
		fmt.Sscan(ts, &unix)
		valid := toolkit.StandardSignature(secret, r.Header.Get("webhook-id"), unix, body) == r.Header.Get("webhook-signature")
		got <- fmt.Sprint(valid, " ", strings.Contains(string(body), `"type":"pets.created"`))
	}))
	defer receiver.Close()

	hooks, err := toolkit.NewWebhooks(toolkit.WebhookOptions{Subscribers: []toolkit.WebhookSubscriber{{URL: receiver.URL, Secret: secret}}})
	if err != nil {
		panic(err)
	}
	defer hooks.Close()
	c, _ := contracts.ParseOpenAPI(context.Background(), "petstore.yaml", petstore.Contract())
	m, err := openapi.NewHandler(c, openapi.WithStateful(true), openapi.WithWebhooks(hooks))
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("POST", "/v1/pets", strings.NewReader(`{"name":"Tom","species":"cat"}`))
	req.Header.Set("X-API-Key", "k")
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	m.ServeHTTP(w, req)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hooks.Drain(ctx); err != nil {
		panic(err)
	}
	fmt.Println(w.Code, <-got)
	// Output: 201 true true
}
