package load_test

import (
	"context"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/load"
	"github.com/firedrill/firedrill/mocks/openapi"
)

// newOrdersMock serves testdata/orders.yaml from a stateful firedrill mock
// on loopback.
func newOrdersMock(t testing.TB) (*contracts.OpenAPI, *openapi.Server) {
	t.Helper()
	c, err := contracts.LoadOpenAPI(context.Background(), "testdata/orders.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := openapi.NewServer(c, openapi.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return c, srv
}

// The proof: a chained flow (create, then get by the captured id)
// against a stateful firedrill mock, every get finding its record.
func TestChainedFlowAgainstStatefulMock(t *testing.T) {
	t.Parallel()
	c, srv := newOrdersMock(t)
	create, err := load.ContractOperation(c, "createOrder", 7)
	if err != nil {
		t.Fatal(err)
	}
	flow := load.Flow{Name: "order", Steps: []load.Step{
		{Name: "create", Method: create.Method, URL: srv.URL + create.Path, BodyFunc: create.Body,
			Unique: []string{"reference"}, Expect: 201, Capture: map[string]string{"id": "$.id"}},
		{Name: "get", URL: srv.URL + "/orders/${id}", Expect: 200},
	}}
	rep, err := load.Run(context.Background(), load.Plan{Flow: flow, Shape: load.Constant(100), Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cr, _ := rep.Step("create")
	get, _ := rep.Step("get")
	// A busy machine may lose hits at the end of the schedule; every
	// iteration sent must still complete.
	if rep.Sent < 20 || cr.Requests != rep.Sent || get.Requests != rep.Sent {
		t.Fatalf("sent %d, create %d, get %d", rep.Sent, cr.Requests, get.Requests)
	}
	if cr.Success != 1 || get.Success != 1 || get.StatusCodes[200] != rep.Sent {
		t.Fatalf("create %v %v, get %v %v", cr.StatusCodes, cr.ErrorTexts, get.StatusCodes, get.ErrorTexts)
	}
	// Negative control: a get of an id nobody created finds nothing, so the
	// check above could fail.
	miss, err := load.Run(context.Background(), load.Plan{
		Flow:  load.Flow{Steps: []load.Step{{Name: "get", URL: srv.URL + "/orders/never-${uuid}", Expect: 200}}},
		Shape: load.Constant(20), Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if miss.Steps[0].Requests == 0 || miss.Steps[0].Success != 0 {
		t.Fatalf("gets of unknown ids: %+v", miss.Steps[0])
	}
}
