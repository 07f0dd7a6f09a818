package graphql_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// TestInvalidUTF8BodyRefused: a JSON (or application/graphql) body that is
// not UTF-8 is refused with 400 and an error naming the body, and runs
// nothing, where its variables used to be stored with replacement
// characters; the same request in UTF-8 runs.
func TestInvalidUTF8BodyRefused(t *testing.T) {
	t.Parallel()
	srv := crmServer(t, keyedCRM, graphql.WithStateful(true))
	send := func(ctype, body string) (int, string) {
		resp, err := http.Post(srv.URL, ctype, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	json := func(email string) string {
		return `{"query":` + strconv.Quote(upsert) + `,"variables":{"input":{"email":"` + email + `"}}}`
	}
	for _, tc := range []struct{ ctype, body string }{
		{"application/json", json("a\xffb@example.com")},
		{"application/graphql", "mutation { upsertCustomer(input: {email: \"a\xffb@example.com\"}) { created } }"},
	} {
		if status, body := send(tc.ctype, tc.body); status != http.StatusBadRequest || !strings.Contains(body, "body is not valid UTF-8") {
			t.Errorf("%s with invalid UTF-8: %d %s, want 400 naming the body", tc.ctype, status, body)
		}
	}
	if n := srv.Mock.Store().Len("Customer"); n != 0 {
		t.Fatalf("%d customers stored from invalid bodies", n)
	}
	if status, body := send("application/json", json("ä@example.com")); status != http.StatusOK || strings.Contains(body, `"errors"`) {
		t.Fatalf("a UTF-8 body: %d %s", status, body)
	}
	if n := srv.Mock.Store().Len("Customer"); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
}
