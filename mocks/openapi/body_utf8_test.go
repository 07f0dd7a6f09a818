package openapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestInvalidUTF8JSONBodyRefused: a JSON body that is not UTF-8 (RFC 8259
// requires it) is refused with a 400 problem naming the body, and nothing
// is stored, where it used to be stored with replacement characters; the
// same body in UTF-8 is created.
func TestInvalidUTF8JSONBodyRefused(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	for _, ctype := range []string{"application/json", "application/json; charset=utf-8"} {
		resp := call(t, m, "POST", "/v1/pets", "{\"name\":\"R\xffx\",\"species\":\"dog\"}", "X-API-Key", "k", "Content-Type", ctype)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != toolkit.ProblemContentType {
			t.Fatalf("%s: invalid UTF-8 answered %d %s: %s", ctype, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var p toolkit.Problem
		if err := json.Unmarshal(body, &p); err != nil || len(p.Violations) == 0 || p.Violations[0].In != "body" {
			t.Fatalf("%s: the problem does not name the body: %s", ctype, body)
		}
	}
	if n := m.Store().Len("pets"); n != 0 {
		t.Fatalf("%d pets stored from invalid bodies", n)
	}
	if e := m.Journal().Entries(toolkit.Filter{}); len(e) == 0 || e[0].Valid || len(e[0].Violations) == 0 {
		t.Errorf("the journal does not say the request broke the contract: %+v", e)
	}
	resp := call(t, m, "POST", "/v1/pets", `{"name":"Rëx 🐕","species":"dog"}`, "X-API-Key", "k", "Content-Type", "application/json")
	if body := readBody(t, resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a UTF-8 body answered %d: %s", resp.StatusCode, body)
	}
	if n := m.Store().Len("pets"); n != 1 {
		t.Errorf("%d pets stored, want 1", n)
	}
}
