package load

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore is a stateful stand-in for a mock collection: POST /orders
// creates a record with a fresh id, GET /orders/{id} reads it back.
type fakeStore struct {
	mu      sync.Mutex
	records map[string]json.RawMessage
	next    atomic.Uint64
	gets    atomic.Uint64
	misses  atomic.Uint64
	delay   time.Duration
}

func newFakeStore(t testing.TB, delay time.Duration) (*fakeStore, *httptest.Server) {
	t.Helper()
	f := &fakeStore{records: map[string]json.RawMessage{}, delay: delay}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/orders":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := strconv.FormatUint(f.next.Add(1), 10)
		body["id"] = id
		raw, _ := json.Marshal(body)
		f.mu.Lock()
		f.records[id] = raw
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/orders/"+id)
		w.WriteHeader(http.StatusCreated)
		w.Write(raw)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		f.gets.Add(1)
		f.mu.Lock()
		raw, ok := f.records[strings.TrimPrefix(r.URL.Path, "/orders/")]
		f.mu.Unlock()
		if !ok {
			f.misses.Add(1)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (f *fakeStore) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records)
}
