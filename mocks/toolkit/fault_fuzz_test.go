package toolkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var faultSeeds = []string{
	`{"kind":"status","rate":0.3,"params":{"status":503}}`,
	`{"id":"x","kind":"rate_limited","params":{"retry_after":"2s","limit":100,"reset":"epoch","limit_header":"X-Limit"}}`,
	`{"kind":"slow","operation":"listPets","params":{"delay":"1s","trickle":"2s","chunks":4}}`,
	`{"kind":"truncated","params":{"at":0.25,"framing":"chunked"}}`,
	`{"kind":"malformed","params":{"mode":"nan"}}`,
	`{"kind":"bad_data","rate":1,"params":{"mode":"null"}}`,
	`{"kind":"expired_credentials","params":{"max_credentials":10}}`,
	`{"kind":"status","rate":0}`,
	`{"kind":"status","rate":"high"}`,
	`{"kind":"status","params":{"status":[503]}}`,
	`{"kind":"status"} {}`,
	`{"kind":"status","colour":"red"}`,
	"{\n\"kind\": \"slow\",\n\"params\": {\"delay\": \"-1s\"}\n}",
	`{"id":"a/b","kind":"status"}`,
	``,
	`[]`,
	`null`,
}

// FuzzParseHTTPFault: whatever the bytes, ParseHTTPFault never panics; a
// refusal wraps ErrFaultInvalid; an accepted fault is added to a set as is
// and survives a round trip through JSON unchanged.
func FuzzParseHTTPFault(f *testing.F) {
	for _, s := range faultSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fault, err := ParseHTTPFault(data)
		if err != nil {
			if !errors.Is(err, ErrFaultInvalid) {
				t.Fatalf("refusal %v does not wrap ErrFaultInvalid", err)
			}
			return
		}
		if _, err := NewFaultSet(1).Add(fault); err != nil {
			t.Fatalf("parsed fault %+v refused by Add: %v", fault, err)
		}
		out, err := json.Marshal(fault)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseHTTPFault(out)
		if err != nil {
			t.Fatalf("round trip of %s: %v", out, err)
		}
		if d := cmp.Diff(fault, again); d != "" {
			t.Fatalf("round trip changed the fault (-first +again):\n%s", d)
		}
	})
}

// FuzzAdminFaults sends arbitrary bodies to the admin fault endpoint: the
// answer is 201, 400 or 409 with JSON, never a 5xx, and the set holds a
// fault only when 201 said so.
func FuzzAdminFaults(f *testing.F) {
	for _, s := range faultSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs := NewFaultSet(1)
		h := fs.AdminHandler()
		req := httptest.NewRequest(http.MethodPost, FaultsPath, bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusCreated:
			var a ActiveFault
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || len(fs.List()) != 1 || fs.List()[0].ID != a.ID {
				t.Fatalf("201 %s, set %+v", w.Body, fs.List())
			}
		case http.StatusBadRequest, http.StatusConflict:
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || len(fs.List()) != 0 {
				t.Fatalf("%d %s, set %+v", w.Code, w.Body, fs.List())
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
