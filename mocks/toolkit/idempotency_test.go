package toolkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestKeyClaims: the rules both mock kinds share, through Claim: a first
// request, its repeat, a reuse with another request, one in flight, keys
// scoped by credential (an X-API-Key one too), answers asking for a retry
// not stored, a forgotten claim, the window and the bound on keys.
func TestKeyClaims(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	s, err := NewIdempotency(IdempotencyOptions{Window: time.Hour, MaxKeys: 2, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	req := func(header ...string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	first := s.Claim(req(), "k1", []byte("upsert a"))
	if first.Standing != KeyFirst {
		t.Fatalf("first claim: %v", first.Standing)
	}
	if c := s.Claim(req(), "k1", []byte("upsert a")); c.Standing != KeyInFlight {
		t.Errorf("a repeat while the first runs: %v, want KeyInFlight", c.Standing)
	}
	first.Finish(http.StatusOK, http.Header{"X-Vendor": {"v"}}, []byte(`{"data":1}`))
	first.Finish(http.StatusOK, nil, []byte(`{"data":2}`)) // a second Finish changes nothing
	repeat := s.Claim(req(), "k1", []byte("upsert a"))
	if repeat.Standing != KeyRepeat {
		t.Fatalf("a repeat: %v, want KeyRepeat", repeat.Standing)
	}
	w := httptest.NewRecorder()
	if body := repeat.Replay(w); string(body) != `{"data":1}` || w.Body.String() != `{"data":1}` || w.Header().Get(ReplayedHeader) != "true" || w.Header().Get("X-Vendor") != "v" {
		t.Errorf("replayed %q %v", w.Body.String(), w.Header())
	}
	if c := s.Claim(req(), "k1", []byte("upsert b")); c.Standing != KeyReused {
		t.Errorf("the key with another request: %v, want KeyReused", c.Standing)
	}
	if c := s.Claim(req("X-API-Key", "other"), "k1", []byte("upsert b")); c.Standing != KeyFirst {
		t.Errorf("the key from another API key: %v, want KeyFirst (keys are scoped by credential)", c.Standing)
	} else {
		c.Forget()
		if again := s.Claim(req("X-API-Key", "other"), "k1", []byte("upsert b")); again.Standing != KeyFirst {
			t.Errorf("after Forget: %v, want KeyFirst", again.Standing)
		}
	}
	// A vendor's own key header scopes keys once the options name it.
	shop, err := NewIdempotency(IdempotencyOptions{KeyHeader: "X-Shopify-Access-Token"})
	if err != nil {
		t.Fatal(err)
	}
	shop.Claim(req("X-Shopify-Access-Token", "a"), "k", []byte("x")).Finish(http.StatusOK, nil, []byte("a's"))
	if c := shop.Claim(req("X-Shopify-Access-Token", "b"), "k", []byte("x")); c.Standing != KeyFirst {
		t.Errorf("the key from another shop's token: %v, want KeyFirst (keys are scoped by the vendor's key header)", c.Standing)
	}
	throttled := s.Claim(req("Authorization", "Bearer a"), "k2", []byte("x"))
	throttled.Finish(http.StatusTooManyRequests, nil, nil)
	if c := s.Claim(req("Authorization", "Bearer a"), "k2", []byte("x")); c.Standing != KeyFirst {
		t.Errorf("after a 429: %v, want KeyFirst (not stored)", c.Standing)
	}
	now = now.Add(2 * time.Hour)
	if c := s.Claim(req(), "k1", []byte("upsert b")); c.Standing != KeyFirst {
		t.Errorf("past the window: %v, want KeyFirst", c.Standing)
	}
	s.mu.Lock()
	n := s.order.Len()
	s.mu.Unlock()
	if n > 2 {
		t.Errorf("%d keys kept, want at most MaxKeys 2", n)
	}
}
