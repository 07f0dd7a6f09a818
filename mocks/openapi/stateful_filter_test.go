package openapi

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// syncBuffer is a log sink the mock's goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// filterServer serves testdata/filters.yaml statefully with six activities
// created through POST: refs r0..r5, r1 and r4 done, created 1000..1005,
// updated at the start of days 1..6 of January 2024, owners a@x.io or b@x.io.
func filterServer(t *testing.T) (*Server, *syncBuffer, []string) {
	t.Helper()
	logs := &syncBuffer{}
	c := loadContract(t, filepath.Join("testdata", "filters.yaml"))
	srv, err := NewServer(c, WithStateful(true), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	var ids []string
	for i := range 6 {
		status, owner := "open", "a@x.io"
		if i == 1 || i == 4 {
			status = "done"
		}
		if i%2 == 1 {
			owner = "b@x.io"
		}
		body := fmt.Sprintf(`{"external_ref":"r%d","status":%q,"created":%d,"updated_at":"2024-01-0%dT00:00:00Z","owner":{"email":%q}}`,
			i, status, 1000+i, i+1, owner)
		code, rec := sendChecked(t, srv, "POST", "/v1/activities", body)
		if code != 201 {
			t.Fatalf("create %d: %d %v", i, code, rec)
		}
		ids = append(ids, rec["id"].(string))
	}
	return srv, logs, ids
}

// refs lists the external_ref of each record of a list answer.
func refs(t *testing.T, body map[string]any) []string {
	t.Helper()
	data, ok := body["data"].([]any)
	if !ok {
		t.Fatalf("no data array in %v", body)
	}
	out := []string{}
	for _, d := range data {
		out = append(out, d.(map[string]any)["external_ref"].(string))
	}
	return out
}

// TestStatefulListFilters: a list's query parameters that name a record
// property select records, with pagination computed on the filtered list.
func TestStatefulListFilters(t *testing.T) {
	t.Parallel()
	srv, _, ids := filterServer(t)
	tests := []struct {
		name, query string
		want        []string
		hasMore     bool
	}{
		{"no filter: control, all on one page", "", []string{"r0", "r1", "r2", "r3", "r4", "r5"}, false},
		{"exact property", "external_ref=r3", []string{"r3"}, false},
		{"no match", "external_ref=nope", []string{}, false},
		{"enum property", "status=done", []string{"r1", "r4"}, false},
		{"pagination on the filtered list", "status=open&limit=2", []string{"r0", "r2"}, true},
		{"next page of the filtered list", "status=open&limit=2&starting_after=" + ids[2], []string{"r3", "r5"}, false},
		{"range gte", "created[gte]=1004", []string{"r4", "r5"}, false},
		{"range gt and lt", "created[gt]=1001&created[lt]=1004", []string{"r2", "r3"}, false},
		{"range lte as RFC 3339", "created[lte]=" + url.QueryEscape("1970-01-01T00:16:41Z"), []string{"r0", "r1"}, false},
		{"equal on a timestamp", "created=1002", []string{"r2"}, false},
		{"since", "updated_since=" + url.QueryEscape("2024-01-05T00:00:00Z"), []string{"r4", "r5"}, false},
		{"ids, a comma list", "ids=" + ids[0] + "," + ids[5], []string{"r0", "r5"}, false},
		{"nested property by dots", "owner.email=b@x.io", []string{"r1", "r3", "r5"}, false},
		{"filters combine", "owner.email=b@x.io&status=done", []string{"r1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := sendChecked(t, srv, "GET", "/v1/activities?"+tt.query, "")
			if code != 200 {
				t.Fatalf("%d %v", code, body)
			}
			if got := refs(t, body); !slices.Equal(got, tt.want) {
				t.Errorf("?%s = %v, want %v", tt.query, got, tt.want)
			}
			if body["has_more"] != tt.hasMore {
				t.Errorf("?%s has_more = %v, want %v", tt.query, body["has_more"], tt.hasMore)
			}
		})
	}
}

// TestStatefulListFilterBadBound: a bound that is neither a number nor an
// instant is a 400 naming the parameter, not an unfiltered list.
func TestStatefulListFilterBadBound(t *testing.T) {
	t.Parallel()
	srv, _, _ := filterServer(t)
	code, body := sendChecked(t, srv, "GET", "/v1/activities?updated_since=yesterday", "")
	if code != 400 || !strings.Contains(fmt.Sprint(body["detail"]), "updated_since") {
		t.Errorf("updated_since=yesterday answered %d %v, want 400 naming the parameter", code, body)
	}
}

// TestStatefulListIgnoredParameter: a query parameter the mock cannot
// interpret is named once in the log per operation and parameter, and on
// every journal entry of a list it shaped; a list that sends none has no mark.
func TestStatefulListIgnoredParameter(t *testing.T) {
	t.Parallel()
	srv, logs, _ := filterServer(t)
	for range 3 {
		if code, body := sendChecked(t, srv, "GET", "/v1/activities?q=kitchen&external_ref=r2", ""); code != 200 || !slices.Equal(refs(t, body), []string{"r2"}) {
			t.Fatalf("answered %d %v", code, body)
		}
	}
	sendChecked(t, srv, "GET", "/v1/activities?external_ref=r2", "")
	if n := strings.Count(logs.String(), "parameter=q"); n != 1 {
		t.Errorf("the log names q %d times, want once:\n%s", n, logs)
	}
	var marked, clean int
	for _, e := range srv.Mock.Journal().Entries(toolkit.Filter{}) {
		if e.Method != "GET" {
			continue
		}
		switch {
		case slices.Equal(e.Ignored, []string{"q"}):
			marked++
		case len(e.Ignored) == 0:
			clean++
		default:
			t.Errorf("entry %s?%s marked %v", e.Path, e.Query, e.Ignored)
		}
	}
	if marked != 3 || clean != 1 {
		t.Errorf("%d entries marked and %d clean, want 3 and 1", marked, clean)
	}
}
