package ci

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listServer serves 23 invoices under every pagination scheme, 10 a page,
// and refuses requests without the bearer token "s3cret".
func listServer(t testing.TB) *httptest.Server {
	t.Helper()
	const total, size = 23, 10
	item := func(i int) map[string]any {
		return map[string]any{"reference": strconv.Itoa(i), "id": float64(i), "amount_cents": float64(i * 100)}
	}
	slice := func(from int) []map[string]any {
		var out []map[string]any
		for i := from; i < min(from+size, total); i++ {
			out = append(out, item(i))
		}
		return out
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		from, _ := strconv.Atoi(q.Get("from"))
		w.Header().Set("Content-Type", "application/json")
		var body any
		switch r.URL.Path {
		case "/link":
			if from+size < total {
				w.Header().Set("Link", fmt.Sprintf(`</link?from=%d>; rel="next", </link?from=0>; rel="first"`, from+size))
			}
			body = slice(from)
		case "/next":
			b := map[string]any{"data": map[string]any{"items": slice(from)}}
			if from+size < total {
				b["next"] = fmt.Sprintf("/next?from=%d", from+size)
			}
			body = b
		case "/cursor":
			c, _ := strconv.Atoi(q.Get("cursor"))
			b := map[string]any{"items": slice(c)}
			if c+size < total {
				b["meta"] = map[string]any{"next_cursor": strconv.Itoa(c + size)}
			}
			body = b
		case "/page":
			p, _ := strconv.Atoi(q.Get("page"))
			n, _ := strconv.Atoi(q.Get("per_page"))
			if n != size {
				http.Error(w, "per_page", http.StatusBadRequest)
				return
			}
			body = slice((p - 1) * size)
		case "/offset":
			o, _ := strconv.Atoi(q.Get("offset"))
			body = map[string]any{"results": slice(o)}
		case "/stripe":
			after, _ := strconv.Atoi(q.Get("starting_after"))
			if q.Get("starting_after") != "" {
				after++
			}
			body = map[string]any{"object": "list", "data": slice(after), "has_more": after+size < total}
		case "/paypal":
			b := map[string]any{"items": slice(from), "links": []any{map[string]any{"rel": "self", "href": "/paypal"}}}
			if from+size < total {
				b["links"] = append(b["links"].([]any), map[string]any{"rel": "next", "href": fmt.Sprintf("/paypal?from=%d", from+size), "method": "GET"})
			}
			body = b
		case "/loop":
			w.Header().Set("Link", `</loop>; rel="next"`)
			body = slice(0)
		case "/bad":
			_, _ = w.Write([]byte(`{"items": [1, 2]}`))
			return
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPSourcePagination(t *testing.T) {
	t.Parallel()
	srv := listServer(t)
	env := func(k string) string { return map[string]string{"TOKEN": "s3cret"}[k] }
	tests := []struct {
		path   string
		items  string
		paging Paging
	}{
		{"/link", "", Paging{Kind: PagingLink}},
		{"/next", "data.items", Paging{Kind: PagingNext, Next: "next"}},
		{"/cursor", "items", Paging{Kind: PagingCursor, Next: "meta.next_cursor", Param: "cursor"}},
		{"/page", "", Paging{Kind: PagingPage, Param: "page", SizeParam: "per_page", Size: 10}},
		{"/offset", "results", Paging{Kind: PagingOffset, Param: "offset"}},
		{"/stripe", "data", Paging{Kind: PagingAfterLast, Param: "starting_after", More: "has_more"}},
		{"/paypal", "items", Paging{Kind: PagingNext, Next: "links"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			s := &HTTPSource{URL: srv.URL + tt.path, Items: tt.items, Paging: tt.paging, Auth: Auth{BearerEnv: "TOKEN"}, Getenv: env}
			recs, err := s.Records(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 23 || recs[0]["reference"] != "0" || recs[22]["reference"] != "22" {
				t.Fatalf("got %d records: %v", len(recs), recs)
			}
		})
	}
}

func TestHTTPSourceErrors(t *testing.T) {
	t.Parallel()
	srv := listServer(t)
	env := func(k string) string { return map[string]string{"TOKEN": "s3cret", "WRONG": "nope"}[k] }
	tests := []struct {
		name string
		src  HTTPSource
		want string
	}{
		{"missing env", HTTPSource{URL: srv.URL + "/link", Auth: Auth{BearerEnv: "UNSET"}}, "environment variable UNSET is empty"},
		{"refused", HTTPSource{URL: srv.URL + "/link", Auth: Auth{BearerEnv: "WRONG"}}, "page 1: status 401: unauthorized"},
		{"loop", HTTPSource{URL: srv.URL + "/loop", Paging: Paging{Kind: PagingLink}, Auth: Auth{BearerEnv: "TOKEN"}}, "the pagination loops"},
		{"page bound", HTTPSource{URL: srv.URL + "/link", Paging: Paging{Kind: PagingLink}, Auth: Auth{BearerEnv: "TOKEN"}, MaxPages: 2}, "more than 2 pages"},
		{"not records", HTTPSource{URL: srv.URL + "/bad", Items: "items", Auth: Auth{BearerEnv: "TOKEN"}}, "record 0: want an object, got float64"},
		{"no items field", HTTPSource{URL: srv.URL + "/next", Items: "rows", Auth: Auth{BearerEnv: "TOKEN"}}, `field "rows": not in the page`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.src
			s.Getenv = env
			_, err := s.Records(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "nope") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestHTTPSourceTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	_, err := (&HTTPSource{URL: srv.URL, Timeout: 50 * time.Millisecond}).Records(context.Background())
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") || time.Since(start) > 5*time.Second {
		t.Fatalf("err=%v after %s", err, time.Since(start))
	}
}

func TestHTTPSourceInCheck(t *testing.T) {
	t.Parallel()
	srv := listServer(t)
	var src []map[string]any
	for i := range 24 {
		src = append(src, map[string]any{"id": float64(i), "total": float64(i)})
	}
	c := Check{Name: "staging", Source: Static(src), Join: Join{Source: "id", Target: "reference"},
		Target: &HTTPSource{URL: srv.URL + "/link", Paging: Paging{Kind: PagingLink}, Auth: Auth{BearerEnv: "TOKEN"}, Getenv: func(string) string { return "s3cret" }},
		Fields: []Field{{Name: "total", Source: "total", Target: "amount_cents / 100.0"}}}
	r := runCheck(t, c)
	if r.Passed || r.Matched != 23 || r.Missing.Count != 1 || r.Missing.Examples[0].Key != "23" {
		t.Fatalf("%s: %+v", r.Reason, r.Missing)
	}
}

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"`)
	f.Add(`<https://x/a,b>; rel="prev next"; title="a, b"`)
	f.Add(`<>;rel=next`)
	f.Fuzz(func(t *testing.T, h string) {
		got := nextLink([]string{h})
		if got != "" && !strings.Contains(h, got) {
			t.Fatalf("nextLink(%q) = %q, not from the header", h, got)
		}
	})
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"`: "https://x/a?page=2",
		`<https://x/first>; rel="first", <https://x/a,b>; rel="prev next"`:   "https://x/a,b",
		`<https://x/a>; rel="last"`:                                          "",
		`<https://x/a>; title="next"`:                                        "",
		`garbage`:                                                            "",
	}
	for h, want := range tests {
		if got := nextLink([]string{h}); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", h, got, want)
		}
	}
}
