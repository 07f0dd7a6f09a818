package mocks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestJournalMasksCredentialsByName: on both kinds of mock, and on a
// GraphQL answer a fault shaped, the journal keeps no credential-shaped
// query value (code, sig, access_token, api_key), header (X-Access-Jwt)
// or JSON body field (password), while what is not a credential stays.
func TestJournalMasksCredentialsByName(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value"
	for _, tc := range []struct {
		contract string
		faulted  bool
	}{{"shop.openapi.yaml", false}, {"crm.graphql", false}, {"crm.graphql", true}} {
		t.Run(tc.contract, func(t *testing.T) {
			t.Parallel()
			spec := Spec{}
			if tc.faulted {
				spec.Faults = []Fault{{Fault: "status", Params: map[string]string{"status": "503"}}}
			}
			v, err := New(loadExample(t, tc.contract), spec, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			srv := httptest.NewServer(v.Handler)
			defer srv.Close()
			path := "/admin/api/2026-01/orders"
			body := `{"email":"a@example.com","password":"` + secret + `","note":{"api_key":"` + secret + `"}}`
			if v.GraphQL != nil {
				path = v.GraphQL.Path()
				body = `{"query":"{ customers { totalCount } } query Login { login(password: \"` + secret + `\") }","operationName":"Login","variables":{"password":"` + secret + `"}}`
			}
			q := "?code=" + secret + "&sig=" + secret + "&access_token=" + secret + "&api_key=" + secret + "&page=2"
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path+q, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Access-Jwt", secret)
			req.Header.Set("X-Request-Id", "rid-1")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			es := v.Journal.Entries(toolkit.Filter{})
			if len(es) != 1 {
				t.Fatalf("%d entries, want 1", len(es))
			}
			if tc.faulted && es[0].Fault == "" {
				t.Fatalf("the fault did not shape the answer: %+v", es[0])
			}
			raw, _ := json.Marshal(es)
			if strings.Contains(string(raw), secret) {
				t.Errorf("the journal holds the secret: %s", raw)
			}
			if !strings.Contains(es[0].Query, "page=2") || es[0].Header.Get("X-Request-Id") != "rid-1" && !tc.faulted {
				t.Errorf("the journal lost what is no secret: %s", raw)
			}
		})
	}
}
