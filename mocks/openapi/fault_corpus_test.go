package openapi

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestBadDataOnRealContracts breaks the answers of real vendors' contracts
// (PayPal, Twilio, HubSpot, Adyen, Postmark: oneOf, allOf, nullable, 3.1
// types): every answer bad_data marks must fail kin-openapi's response
// validation (no false mark), and most JSON answers with fields can be
// broken.
func TestBadDataOnRealContracts(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpusDir(t), "openapi")
	names := []string{
		"paypal__checkout_orders_v2.json",
		"paypal__billing_subscriptions_v1.json",
		"twilio__twilio_conversations_v1.json",
		"hubspot__business-units-v3.openapi.yaml",
		"adyen__CheckoutService-v71.json",
		"postmark__account-0.9.0.swagger.yaml",
	}
	if os.Getenv("FIREDRILL_CORPUS_FULL") != "" { // every document, Stripe's included
		all, _ := filepath.Glob(filepath.Join(dir, "*"))
		names = names[:0]
		for _, f := range all {
			names = append(names, filepath.Base(f))
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := contracts.LoadOpenAPI(context.Background(), filepath.Join(dir, name))
			if err != nil {
				t.Skipf("not loadable: %v", err)
			}
			fs := toolkit.NewFaultSet(1)
			m, err := NewHandler(c, WithFaults(fs))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fs.Add(toolkit.HTTPFault{Kind: toolkit.FaultBadData}); err != nil {
				t.Fatal(err)
			}
			v := contracts.NewValidator(c.Doc)
			var answered, broken int
			for i, op := range reqgen.Ops(c.Doc) {
				req, err := reqgen.Build(c.Doc, "http://127.0.0.1"+m.BasePath(), op, int64(i+1))
				if err != nil {
					continue
				}
				w := httptest.NewRecorder()
				m.ServeHTTP(w, req)
				if w.Code >= 500 {
					t.Errorf("%s: %d %.300s", op.Name(), w.Code, w.Body.String())
				}
				if w.Code >= 300 || w.Body.Len() < 3 {
					continue
				}
				answered++
				entries := m.Journal().Entries(toolkit.Filter{})
				label := entries[len(entries)-1].Fault
				if label == "" {
					continue
				}
				rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
				if vs := v.ValidateResponse(context.Background(), req, rt, w.Code, w.Header(), w.Body.Bytes()); len(vs) == 0 {
					t.Errorf("%s: marked %q but passes validation: %.300s", op.Name(), label, w.Body.String())
					continue
				}
				broken++
			}
			t.Logf("%d of %d answers with a body broken", broken, answered)
			if answered > 0 && broken*10 < answered*8 {
				t.Errorf("only %d of %d answers could be broken, want 80%%", broken, answered)
			}
		})
	}
}
