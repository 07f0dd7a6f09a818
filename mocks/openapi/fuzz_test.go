package openapi

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// FuzzMockRequest sends arbitrary requests to the petstore mock, stateless
// and stateful: whatever a client sends, the answer is never a 5xx and
// nothing panics (a panic would be recovered into a journaled 500).
func FuzzMockRequest(f *testing.F) {
	f.Add("GET", "/v1/pets/1", "", "X-API-Key", "k", "", []byte(nil))
	f.Add("POST", "/v1/pets", "", "X-API-Key", "k", "application/json", []byte(`{"name":"Rex","species":"dog"}`))
	f.Add("PATCH", "/v1/pets/1", "", "X-API-Key", "k", "application/merge-patch+json", []byte(`{"tags":null}`))
	f.Add("GET", "/v1/pets", "limit=0&offset=-1&status=x", "Prefer", "code=999", "", []byte(nil))
	f.Add("PUT", "/v1/pets/%2F..", "a=%zz", "Accept", "text/html", "text/plain", []byte("\x00\xff"))
	f.Add("DELETE", "/__firedrill/collections/pets", "", "", "", "", []byte(nil))
	f.Add("PUT", "/__firedrill/collections/pets", "", "", "", "application/json", []byte(`[{"id":{"x":1}}]`))
	f.Add("POST", "/__firedrill/collections/pets", "", "", "", "application/json", []byte(`[{"name":"Rex","species":"dog"},{"id":1,"name":7}]`))
	f.Add("POST", "/__firedrill/collections/nope", "", "", "", "application/json", []byte(`{"name":"\ud800"}`))
	f.Add("POST", "/__firedrill/collections/pets", "webhooks=false", "", "", "application/json", []byte(`{"id":9,"name":"Late","species":"cat"}`))
	f.Add("PATCH", "/__firedrill/collections/pets/1", "webhooks=false&webhooks=0", "", "", "application/json", []byte(`{"name":null,"tags":[1]}`))
	f.Add("PATCH", "/__firedrill/collections/pets/%2F/x", "webhooks=%zz", "", "", "application/json", []byte(`[{}]`))
	f.Add("PATCH", "/__firedrill/collections/nope/1", "", "", "", "application/json", []byte(`{"id":{"x":1}}`))
	stateless := newPetstore(f)
	stateful := newPetstore(f, WithStateful(true), WithJournalSize(64))
	f.Fuzz(func(t *testing.T, method, path, query, hname, hvalue, ctype string, body []byte) {
		if method == "" {
			method = "GET"
		}
		for _, m := range []*Mock{stateless, stateful} {
			req := &http.Request{
				Method:     method,
				URL:        &url.URL{Path: path, RawQuery: query},
				Header:     http.Header{},
				Body:       io.NopCloser(bytes.NewReader(body)),
				Host:       "127.0.0.1",
				RemoteAddr: "127.0.0.1:1",
			}
			req.Header.Set("X-API-Key", "k")
			if hname != "" && fuzzHeaderOK(hname) {
				req.Header.Set(hname, hvalue)
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			w := newRecorder()
			m.ServeHTTP(w, req)
			if w.code >= 500 {
				t.Fatalf("%s %s?%s (%s: %q, %s) answered %d: %s", method, path, query, hname, hvalue, ctype, w.code, w.body)
			}
		}
	})
}

func fuzzHeaderOK(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}
