package toolkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// TestIdempotencyLongKeysRefused: 1,000 POSTs with distinct 300 KB keys
// (300 MB of keys) are each told 400 with a problem naming the header, run
// nothing, and leave the heap small; a 200-character key, within the 255
// Stripe allows, is kept and replayed as usual.
func TestIdempotencyLongKeysRefused(t *testing.T) {
	s, err := NewIdempotency(IdempotencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	h := s.Stage(func(w http.ResponseWriter, x *Exchange) {
		ran++
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1}`))
	})
	post := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/v1/charges", strings.NewReader(`{}`))
		r.Header.Set(DefaultIdempotencyHeader, key)
		w := httptest.NewRecorder()
		h(w, &Exchange{Request: r, Body: []byte(`{}`), Operation: "createCharge", Entry: &Entry{}})
		return w
	}
	for i := range 1000 {
		key := strings.Repeat(string(rune('a'+i%26)), 300<<10) + string(rune('0'+i%10))
		w := post(key)
		if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != ProblemContentType {
			t.Fatalf("a 300 KB key: %d %s, want 400 %s", w.Code, w.Header().Get("Content-Type"), ProblemContentType)
		}
		if i == 0 {
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || len(p.Violations) != 1 || p.Violations[0].In != "header" || p.Violations[0].Name != DefaultIdempotencyHeader {
				t.Fatalf("problem %s does not name the header %s (%v)", w.Body, DefaultIdempotencyHeader, err)
			}
		}
	}
	if ran != 0 {
		t.Errorf("the handler ran %d times for refused keys", ran)
	}
	if heap := heapInuse(); heap > 200<<20 {
		t.Errorf("heap in use %d MiB after 1,000 refused 300 KB keys, want under 200 MiB", heap>>20)
	}
	runtime.KeepAlive(s)
	key := strings.Repeat("k", 200)
	if w := post(key); w.Code != http.StatusCreated {
		t.Fatalf("a 200-character key: %d %s, want 201", w.Code, w.Body)
	}
	if w := post(key); w.Code != http.StatusCreated || w.Header().Get(ReplayedHeader) != "true" || ran != 1 {
		t.Errorf("its repeat: %d, replayed %q, ran %d times; want a replayed 201 run once", w.Code, w.Header().Get(ReplayedHeader), ran)
	}
	if c := s.Claim(httptest.NewRequest(http.MethodPost, "/", nil), strings.Repeat("é", 255), nil); c.Standing != KeyFirst {
		t.Errorf("255 characters of two bytes each: %v, want KeyFirst (the bound counts characters)", c.Standing)
	}
}

// TestIdempotencyBoundedByBytes: the stored answers stay within MaxBytes,
// the oldest keys going first.
func TestIdempotencyBoundedByBytes(t *testing.T) {
	t.Parallel()
	s, err := NewIdempotency(IdempotencyOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	body := make([]byte, 100<<10)
	for i := range 50 {
		c := s.Claim(r, "key-"+string(rune('A'+i)), []byte("x"))
		if c.Standing != KeyFirst {
			t.Fatalf("claim %d: %v", i, c.Standing)
		}
		c.Finish(http.StatusOK, nil, body)
	}
	if n := s.Bytes(); n > 1<<20 || n < 5*100<<10 {
		t.Errorf("the store holds %d bytes, want at most %d and most of it used", n, 1<<20)
	}
	if c := s.Claim(r, "key-"+string(rune('A'+49)), []byte("x")); c.Standing != KeyRepeat {
		t.Errorf("the newest key: %v, want KeyRepeat", c.Standing)
	}
	if c := s.Claim(r, "key-A", []byte("x")); c.Standing != KeyFirst {
		t.Errorf("the oldest key: %v, want KeyFirst (dropped)", c.Standing)
	}
	if _, err := NewIdempotency(IdempotencyOptions{MaxBytes: -1}); err == nil {
		t.Error("a negative MaxBytes was accepted")
	}
}
