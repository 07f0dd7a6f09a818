package store_test

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/store"
)

const walkRecords = 23 // not a multiple of any page size used

// seeded returns a store over the fixture contract with n records in coll.
func seeded(t *testing.T, coll string, n int) (*store.Store, store.Collection, []string) {
	t.Helper()
	s := shopStore(t)
	c, ok := s.Collection(coll)
	if !ok {
		t.Fatalf("no collection %q", coll)
	}
	var ids []string
	for i := range n {
		rec, err := s.Create(coll, nil, store.Record{"name": fmt.Sprint("r", i)})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := c.IDOf(rec)
		ids = append(ids, id)
	}
	return s, c, ids
}

// fetch answers one list request the way the mock does, rendered and
// re-read as a client would.
func fetch(t *testing.T, s *store.Store, c store.Collection, query url.Values) map[string]any {
	t.Helper()
	req, err := c.List.PageRequest(query)
	if err != nil {
		t.Fatalf("page request %v: %v", query, err)
	}
	items, page, err := s.List(c.Name, nil, req)
	if err != nil {
		t.Fatalf("list %v: %v", query, err)
	}
	page.URL, page.Query = "http://127.0.0.1:9/list", query
	out, ok := c.List.Render(items, page, nil).(map[string]any)
	if !ok {
		t.Fatalf("render of a wrapper is %T", out)
	}
	return out
}

func idsIn(t *testing.T, c store.Collection, answer map[string]any) []string {
	t.Helper()
	var ids []string
	for _, it := range dig(answer, c.List.ItemsField).([]any) {
		id, _ := c.IDOf(it.(map[string]any))
		ids = append(ids, id)
	}
	return ids
}

func dig(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// walk follows the answers from the first page to the last and returns
// every id seen, in order.
func walk(t *testing.T, s *store.Store, c store.Collection, first url.Values, next func(map[string]any) (url.Values, bool)) []string {
	t.Helper()
	var seen []string
	q := first
	for range 100 {
		answer := fetch(t, s, c, q)
		seen = append(seen, idsIn(t, c, answer)...)
		var more bool
		if q, more = next(answer); !more {
			return seen
		}
	}
	t.Fatal("more than 100 pages")
	return nil
}

func followURL(field string) func(map[string]any) (url.Values, bool) {
	return func(a map[string]any) (url.Values, bool) {
		link, _ := dig(a, field).(string)
		if link == "" {
			return nil, false
		}
		u, err := url.Parse(link)
		if err != nil {
			return nil, false
		}
		return u.Query(), true
	}
}

func TestWalkEveryStyle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		coll  string
		shape func(store.ListShape) store.ListShape
		first url.Values
		next  func(map[string]any) (url.Values, bool)
	}{
		{"limit/offset by next link", "orders", nil, url.Values{"limit": {"5"}}, followURL("next")},
		{"page/per_page by total_pages", "catalog.products", nil, url.Values{"per_page": {"4"}}, func(a map[string]any) (url.Values, bool) {
			page, pages := dig(a, "meta.page").(int), dig(a, "meta.total_pages").(int)
			return url.Values{"per_page": {"4"}, "page": {fmt.Sprint(page + 1)}}, page < pages
		}},
		{"zero-based pages by next_page_url (Twilio)", "catalog.products", func(l store.ListShape) store.ListShape {
			l.FirstPage, l.NextURLField = 0, "meta.next_page_url"
			return l
		}, url.Values{"per_page": {"6"}}, followURL("meta.next_page_url")},
		{"starting_after while has_more (Stripe)", "events", nil, url.Values{"limit": {"3"}}, func(a map[string]any) (url.Values, bool) {
			data := a["data"].([]any)
			last := data[len(data)-1].(map[string]any)["id"].(string)
			return url.Values{"limit": {"3"}, "starting_after": {last}}, a["has_more"].(bool)
		}},
		{"opaque page_token", "widgets", nil, url.Values{"page_size": {"7"}}, func(a map[string]any) (url.Values, bool) {
			tok, ok := a["next_page_token"].(string)
			return url.Values{"page_size": {"7"}, "page_token": {tok}}, ok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c, ids := seeded(t, tt.coll, walkRecords)
			if tt.shape != nil {
				c.List = tt.shape(c.List)
			}
			got := walk(t, s, c, tt.first, tt.next)
			if d := cmp.Diff(ids, got); d != "" {
				t.Fatalf("walking all pages (-want +got):\n%s", d)
			}
		})
	}
}

func TestWalkBackward(t *testing.T) {
	t.Parallel()
	s, c, ids := seeded(t, "events", walkRecords)
	var got []string
	q := url.Values{"limit": {"4"}, "ending_before": {ids[len(ids)-1]}}
	for range 100 {
		a := fetch(t, s, c, q)
		got = append(idsIn(t, c, a), got...)
		if !a["has_more"].(bool) {
			break
		}
		q.Set("ending_before", got[0])
	}
	if d := cmp.Diff(ids[:len(ids)-1], got); d != "" {
		t.Fatalf("walking back with ending_before (-want +got):\n%s", d)
	}
}

func TestRenderFields(t *testing.T) {
	t.Parallel()
	s, c, _ := seeded(t, "catalog.products", 10)
	a := fetch(t, s, c, url.Values{"per_page": {"4"}, "page": {"3"}})
	want := map[string]any{"page": 3, "per_page": 4, "total_pages": 3, "total_count": 10}
	if d := cmp.Diff(want, a["meta"]); d != "" {
		t.Fatalf("meta (-want +got):\n%s", d)
	}
	if n := len(a["data"].([]any)); n != 2 {
		t.Fatalf("last page holds %d, want 2", n)
	}
	// fill supplies the fields the store does not know; known ones are truthful.
	fill := func(sc *openapi3.Schema) any {
		return map[string]any{"tags": []any{"x"}, "meta": map[string]any{"total_count": 999, "page": 77}}
	}
	items, page, _ := s.List(c.Name, nil, store.PageRequest{Limit: 4})
	got := c.List.Render(items, page, fill).(map[string]any)
	if got["tags"].([]any)[0] != "x" || dig(got, "meta.total_count") != 10 || dig(got, "meta.page") != 1 {
		t.Fatalf("render over fill = %v", got)
	}
	// A bare array renders as a list of the records.
	as, ac, _ := seeded(t, "customers.addresses", 0)
	as.Create(ac.Name, []string{"c"}, store.Record{"city": "Lyon"})
	items, page, _ = as.List(ac.Name, []string{"c"}, store.PageRequest{})
	arr, ok := ac.List.Render(items, page, fill).([]any)
	if !ok || len(arr) != 1 {
		t.Fatalf("bare array rendered as %#v", arr)
	}
	// No next page: a nullable link is null, a plain one is removed.
	es, ec, _ := seeded(t, "orders", 2)
	if a := fetch(t, es, ec, url.Values{}); a["next"] != nil || a["total"] != 2 {
		t.Fatalf("last page: %v", a)
	} else if _, present := a["next"]; !present {
		t.Fatal("nullable next link removed instead of null")
	}
	ws, wc, _ := seeded(t, "widgets", 2)
	if a := fetch(t, ws, wc, url.Values{}); a["next_page_token"] != nil {
		t.Fatalf("last page has a next token: %v", a)
	} else if _, present := a["next_page_token"]; present {
		t.Fatal("a non-nullable token without value was kept")
	}
}

func TestPageRequestErrors(t *testing.T) {
	t.Parallel()
	s := shopStore(t)
	shape := func(name string) store.ListShape { c, _ := s.Collection(name); return c.List }
	tests := []struct {
		coll  string
		query string
		want  string // part of the error; empty: valid
	}{
		{"orders", "limit=5&offset=10", ""},
		{"orders", "limit=abc", `"limit": "abc" is not an integer`},
		{"orders", "limit=0", `"limit": 0 is below the minimum 1`},
		{"orders", "limit=51", `"limit": 51 is above the maximum 50`},
		{"orders", "offset=-1", `"offset": -1 is below the minimum 0`},
		{"catalog.products", "page=0", `"page": 0 is below the minimum 1`},
		{"catalog.products", "page=2&per_page=3", ""},
		{"widgets", "page_token=%25%25", `"page_token": "%%" is not a cursor`},
		{"events", "starting_after=a&ending_before=b", "cannot be used together"},
		{"catalog.products", "page=9223372036854775807", "beyond any page"},
		{"customers.addresses", "limit=abc", ""}, // no pagination declared: the parameter is not ours
	}
	for _, tt := range tests {
		t.Run(tt.coll+"?"+tt.query, func(t *testing.T) {
			t.Parallel()
			q, _ := url.ParseQuery(tt.query)
			_, err := shape(tt.coll).PageRequest(q)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, store.ErrBadRequest)):
				t.Fatalf("err = %v, want ErrBadRequest containing %q", err, tt.want)
			}
		})
	}
	// An offset past the end is an empty last page, however large.
	for range 2 {
		if _, err := s.Create("orders", nil, store.Record{}); err != nil {
			t.Fatal(err)
		}
	}
	items, page, err := s.List("orders", nil, store.PageRequest{Offset: int(^uint(0) >> 1), After: "1", Limit: 3})
	if err != nil || len(items) != 0 || page.HasMore {
		t.Fatalf("huge offset: %v %+v %v", items, page, err)
	}
	req, _ := shape("catalog.products").PageRequest(url.Values{"page": {"3"}, "per_page": {"5"}})
	if req != (store.PageRequest{Offset: 10, Limit: 5}) {
		t.Fatalf("page 3 of 5 = %+v", req)
	}
}

// FuzzPageRequest: any query either gives a request the store accepts or
// an ErrBadRequest, never a panic.
func FuzzPageRequest(f *testing.F) {
	for _, q := range []string{"limit=5&offset=10", "page=2&per_page=3", "starting_after=x", "page_token=eA", "limit=-3", "page=99999999999999999999"} {
		f.Add(q)
	}
	s := shopStore(f)
	_, _ = s.Create("orders", nil, store.Record{})
	var shapes []store.Collection
	for _, n := range s.Collections() {
		c, _ := s.Collection(n)
		shapes = append(shapes, c)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, c := range shapes {
			req, err := c.List.PageRequest(q)
			if err != nil {
				if !errors.Is(err, store.ErrBadRequest) {
					t.Fatalf("%s: %v is not ErrBadRequest", c.Name, err)
				}
				continue
			}
			items, page, err := s.List(c.Name, nil, req)
			if err != nil && !errors.Is(err, store.ErrBadRequest) {
				t.Fatalf("%s: list: %v", c.Name, err)
			}
			_ = c.List.Render(items, page, nil)
		}
	})
}

func TestLinkHeader(t *testing.T) {
	t.Parallel()
	shape := store.ListShape{Style: store.StylePage, PageParam: "page", LimitParam: "per_page", FirstPage: 1}
	page := store.PageInfo{Total: 10, Offset: 4, Limit: 2, Count: 2, HasMore: true, HasPrev: true,
		URL: "http://127.0.0.1:9/repos", Query: url.Values{"page": {"3"}, "per_page": {"2"}, "sort": {"name"}}}
	want := `<http://127.0.0.1:9/repos?page=4&per_page=2&sort=name>; rel="next", ` +
		`<http://127.0.0.1:9/repos?page=2&per_page=2&sort=name>; rel="prev", ` +
		`<http://127.0.0.1:9/repos?page=1&per_page=2&sort=name>; rel="first"`
	if got := shape.LinkHeader(page); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	last := page
	last.HasMore, last.Offset = false, 8
	if got := shape.LinkHeader(last); strings.Contains(got, `rel="next"`) {
		t.Fatalf("last page links to a next one: %s", got)
	}
	if got := (store.ListShape{}).LinkHeader(page); got != "" {
		t.Fatalf("no pagination, yet links: %s", got)
	}
	page.URL = ""
	if got := shape.LinkHeader(page); got != "" {
		t.Fatalf("no URL, yet links: %s", got)
	}
}

// Twilio's answers name their array in meta.key; its SDKs read the list there.
func TestRenderTwilioMeta(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t, corpustest.File(t, "openapi", "twilio__twilio_conversations_v1.json"))
	var c store.Collection
	for _, col := range store.Infer(doc) {
		if col.Name == "Conversations" {
			c = col
		}
	}
	s := store.New(c)
	for range 5 {
		if _, err := s.Create(c.Name, nil, store.Record{}); err != nil {
			t.Fatal(err)
		}
	}
	q := url.Values{"PageSize": {"2"}, "Page": {"1"}}
	req, err := c.List.PageRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	items, page, _ := s.List(c.Name, nil, req)
	page.URL, page.Query = "http://127.0.0.1:9/v1/Conversations", q
	meta := c.List.Render(items, page, nil).(map[string]any)["meta"].(map[string]any)
	want := map[string]any{
		"key": "conversations", "page": 1, "page_size": 2,
		"url":               "http://127.0.0.1:9/v1/Conversations",
		"first_page_url":    "http://127.0.0.1:9/v1/Conversations?Page=0&PageSize=2",
		"next_page_url":     "http://127.0.0.1:9/v1/Conversations?Page=2&PageSize=2",
		"previous_page_url": "http://127.0.0.1:9/v1/Conversations?Page=0&PageSize=2",
	}
	if d := cmp.Diff(want, meta); d != "" {
		t.Fatalf("meta (-want +got):\n%s", d)
	}
	// Each conversation id matches Twilio's pattern.
	for _, it := range items {
		if sid, _ := it["sid"].(string); !regexp.MustCompile(`^CH[0-9a-fA-F]{32}$`).MatchString(sid) {
			t.Fatalf("sid %q does not match ^CH[0-9a-fA-F]{32}$", sid)
		}
	}
}
