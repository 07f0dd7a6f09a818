package router

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchPrefersLiteralsAndBacktracks(t *testing.T) {
	t.Parallel()
	templates := []string{
		"/orders/{id}",                // 0
		"/orders/latest",              // 1
		"/orders/{orderId}/items",     // 2
		"/orders/latest/items/{n}",    // 3
		"/files/{name}.{ext}",         // 4
		"/files/{name}.json",          // 5
		"/",                           // 6
		"/v1/Services/{Sid}/Channels", // 7
	}
	r, err := New(templates)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []Match
	}{
		{"/orders/latest", []Match{{1, map[string]string{}}, {0, map[string]string{"id": "latest"}}}},
		{"/orders/42", []Match{{0, map[string]string{"id": "42"}}}},
		{"/orders/42/", []Match{{0, map[string]string{"id": "42"}}}},
		{"/orders/a%2Fb", []Match{{0, map[string]string{"id": "a/b"}}}},
		{"/orders/latest/items", []Match{{2, map[string]string{"orderId": "latest"}}}},
		{"/orders/latest/items/3", []Match{{3, map[string]string{"n": "3"}}}},
		{"/files/report.json", []Match{{5, map[string]string{"name": "report"}}, {4, map[string]string{"name": "report", "ext": "json"}}}},
		{"/files/report.csv", []Match{{4, map[string]string{"name": "report", "ext": "csv"}}}},
		{"/", []Match{{6, map[string]string{}}}},
		{"/v1/Services/IS1/Channels", []Match{{7, map[string]string{"Sid": "IS1"}}}},
		{"/orders", nil},
		{"/orders//items", nil},
		{"/nothing/here", nil},
		{"/orders/%zz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got := r.MatchAll(tt.path)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MatchAll(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestNewReportsDuplicateTemplates(t *testing.T) {
	t.Parallel()
	r, err := New([]string{"/a/{x}", "/a/{y}"})
	if err == nil {
		t.Fatal("two templates matching the same paths were accepted silently")
	}
	if got := r.MatchAll("/a/1"); len(got) != 1 || got[0].Index != 0 {
		t.Fatalf("the first template should win, got %+v", got)
	}
}

func FuzzMatchAll(f *testing.F) {
	r, _ := New([]string{"/orders/{id}", "/orders/latest", "/files/{a}.{b}", "/x/{y}/z"})
	for _, s := range []string{"/orders/1", "/files/a.b.c", "/x//z", "%", "/orders/%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		for _, m := range r.MatchAll(p) {
			if m.Index < 0 || m.Index > 3 {
				t.Fatalf("index %d out of range", m.Index)
			}
		}
	})
}
