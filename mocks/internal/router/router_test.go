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
	r := New(templates)
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

// TestMatchKeepsTwins: templates that differ only in their parameter names
// (Xero's attachments by id and by file name) all match, in the order given,
// each with its own parameter names; the most specific still come first.
func TestMatchKeepsTwins(t *testing.T) {
	t.Parallel()
	r := New([]string{
		"/{Resource}/{ResourceID}/Attachments/{AttachmentID}",   // 0
		"/{Resource}/{ResourceId}/Attachments/{FileName}",       // 1
		"/Invoices/{InvoiceID}/Attachments/{FileName}",          // 2
		"/{Resource}/{ResourceId}/Attachments/{AttachmentName}", // 3
		"/a/{x}", // 4
		"/a/{x}", // 5: the same template twice
	})
	tests := []struct {
		path string
		want []Match
	}{
		{"/Quotes/q1/Attachments/a.pdf", []Match{
			{0, map[string]string{"Resource": "Quotes", "ResourceID": "q1", "AttachmentID": "a.pdf"}},
			{1, map[string]string{"Resource": "Quotes", "ResourceId": "q1", "FileName": "a.pdf"}},
			{3, map[string]string{"Resource": "Quotes", "ResourceId": "q1", "AttachmentName": "a.pdf"}},
		}},
		{"/Invoices/i1/Attachments/a%20b.pdf", []Match{
			{2, map[string]string{"InvoiceID": "i1", "FileName": "a b.pdf"}},
			{0, map[string]string{"Resource": "Invoices", "ResourceID": "i1", "AttachmentID": "a b.pdf"}},
			{1, map[string]string{"Resource": "Invoices", "ResourceId": "i1", "FileName": "a b.pdf"}},
			{3, map[string]string{"Resource": "Invoices", "ResourceId": "i1", "AttachmentName": "a b.pdf"}},
		}},
		{"/a/1", []Match{{4, map[string]string{"x": "1"}}, {5, map[string]string{"x": "1"}}}},
		{"/Quotes/q1/Attachments", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, r.MatchAll(tt.path)); diff != "" {
				t.Errorf("MatchAll(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func FuzzMatchAll(f *testing.F) {
	r := New([]string{"/orders/{id}", "/orders/latest", "/files/{a}.{b}", "/x/{y}/z", "/x/{w}/z"})
	for _, s := range []string{"/orders/1", "/files/a.b.c", "/x//z", "%", "/orders/%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		for _, m := range r.MatchAll(p) {
			if m.Index < 0 || m.Index > 4 {
				t.Fatalf("index %d out of range", m.Index)
			}
		}
	})
}
