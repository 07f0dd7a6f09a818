package graphql_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/graphql"
)

// TestIdempotencyKeyTooLong: a key past the 255 characters Stripe allows,
// by the directive or the header, is refused with 400 and
// IDEMPOTENCY_KEY_TOO_LONG and runs nothing; a 255-character key works.
func TestIdempotencyKeyTooLong(t *testing.T) {
	t.Parallel()
	for _, form := range keyForms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			srv := crmServer(t, form.sdl, append([]graphql.Option{graphql.WithStateful(true)}, form.opts...)...)
			customers := func() int { return srv.Mock.Store().Len("Customer") }
			ada := map[string]any{"email": "ada@example.com", "firstName": "Ada"}
			status, _, body := form.send(t, srv.URL, strings.Repeat("k", 256), ada)
			if status != http.StatusBadRequest || code(body) != graphql.CodeIdempotencyKeyTooLong || customers() != 0 {
				t.Fatalf("a 256-character key: %d %s, %d customers; want 400 %s and none", status, body, customers(), graphql.CodeIdempotencyKeyTooLong)
			}
			key := strings.Repeat("k", 255)
			for range 2 {
				if status, _, body := form.send(t, srv.URL, key, ada); status != http.StatusOK || code(body) != "" {
					t.Fatalf("a 255-character key: %d %s", status, body)
				}
			}
			if customers() != 1 {
				t.Errorf("a 255-character key sent twice made %d customers, want 1", customers())
			}
		})
	}
}
