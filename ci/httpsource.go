package ci

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of an HTTPSource.
const (
	DefaultMaxPages    = 10_000
	DefaultReadTimeout = 2 * time.Minute
	MaxPageBytes       = 64 << 20
)

// PagingKind says how a list endpoint hands out its next page.
type PagingKind string

// The pagination schemes an HTTPSource follows.
const (
	PagingNone   PagingKind = ""       // one page
	PagingLink   PagingKind = "link"   // RFC 8288 Link header, rel="next" (GitHub, Shopify)
	PagingNext   PagingKind = "next"   // a body field holds the next page's URL (Twilio meta.next_page_url), or a links array with rel "next" (PayPal)
	PagingCursor PagingKind = "cursor" // a body field holds a cursor sent back in a query parameter (Stripe's starting_after, Slack)
	PagingPage   PagingKind = "page"   // a page number parameter; a short or empty page is the last
	PagingOffset PagingKind = "offset" // an offset parameter advanced by the items read; a short or empty page is the last
	// PagingAfterLast: the last record's field (Next, default "id") is sent
	// back in Param while the More field is true (Stripe's starting_after and has_more).
	PagingAfterLast PagingKind = "after-last"
)

// Paging configures how an HTTPSource walks the pages.
type Paging struct {
	Kind      PagingKind `json:"kind,omitempty" yaml:"kind,omitempty"`
	Next      string     `json:"next,omitempty" yaml:"next,omitempty"`             // next, cursor: dotted path of the field in the body; after-last: the record's field
	More      string     `json:"more,omitempty" yaml:"more,omitempty"`             // after-last: dotted path of the "more pages" flag
	Param     string     `json:"param,omitempty" yaml:"param,omitempty"`           // cursor, page, offset: the query parameter
	SizeParam string     `json:"size_param,omitempty" yaml:"size_param,omitempty"` // the page-size parameter, if any
	Size      int        `json:"size,omitempty" yaml:"size,omitempty"`             // the page size to ask for
	First     int        `json:"first,omitempty" yaml:"first,omitempty"`           // page: the first page number (default 1)
}

// Auth names the environment variables that hold a list endpoint's
// credentials; the values never appear in errors or logs.
type Auth struct {
	BearerEnv   string `json:"bearer_env,omitempty" yaml:"bearer_env,omitempty"`     // Authorization: Bearer $VAR
	Header      string `json:"header,omitempty" yaml:"header,omitempty"`             // an API-key header name...
	HeaderEnv   string `json:"header_env,omitempty" yaml:"header_env,omitempty"`     // ...and the variable with its value
	UserEnv     string `json:"user_env,omitempty" yaml:"user_env,omitempty"`         // basic auth user...
	PasswordEnv string `json:"password_env,omitempty" yaml:"password_env,omitempty"` // ...and password
}

// HTTPSource reads a collection from a list endpoint, following its
// pagination, bounded in pages and time: the same check runs against a mock
// and against staging.
type HTTPSource struct {
	URL    string
	Items  string // dotted path of the records array in a page; "" when the page is the array
	Paging Paging
	Auth   Auth
	Header http.Header // extra request headers

	Client   *http.Client        // http.DefaultClient when nil
	Getenv   func(string) string // os.Getenv when nil
	MaxPages int                 // DefaultMaxPages when 0; more pages is an error, not a silent cut
	Timeout  time.Duration       // DefaultReadTimeout when 0, for the whole read
}

// Records reads every page.
func (s *HTTPSource) Records(ctx context.Context) ([]map[string]any, error) {
	var out []map[string]any
	err := s.Stream(ctx, func(r map[string]any) error { out = append(out, r); return nil })
	return out, err
}

// Stream reads page after page and yields each record.
func (s *HTTPSource) Stream(ctx context.Context, yield func(map[string]any) error) error {
	timeout, maxPages := s.Timeout, s.MaxPages
	if timeout <= 0 {
		timeout = DefaultReadTimeout
	}
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	next, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("ci: list endpoint %q: %w", s.URL, err)
	}
	p := s.Paging
	page, offset := p.First, 0
	if p.Kind == PagingPage && page == 0 {
		page = 1
	}
	seen := map[string]bool{}
	for n := 1; next != nil; n++ {
		if n > maxPages {
			return fmt.Errorf("ci: list endpoint %s: more than %d pages", s.URL, maxPages)
		}
		u := *next
		q := u.Query()
		if p.SizeParam != "" && p.Size > 0 {
			q.Set(p.SizeParam, strconv.Itoa(p.Size))
		}
		switch p.Kind {
		case PagingPage:
			q.Set(p.Param, strconv.Itoa(page))
		case PagingOffset:
			q.Set(p.Param, strconv.Itoa(offset))
		}
		u.RawQuery = q.Encode()
		if seen[u.String()] {
			return fmt.Errorf("ci: list endpoint %s: page %d: %s was already read: the pagination loops", s.URL, n, u.Redacted())
		}
		seen[u.String()] = true
		items, body, hdr, err := s.fetch(ctx, &u)
		if err != nil {
			return fmt.Errorf("ci: list endpoint %s: page %d: %w", s.URL, n, err)
		}
		for _, it := range items {
			if err := yield(it); err != nil {
				return err
			}
		}
		next = nil
		switch p.Kind {
		case PagingLink:
			if l := nextLink(hdr.Values("Link")); l != "" {
				next, err = u.Parse(l)
			}
		case PagingNext:
			if v := nextHref(lookup(body, p.Next)); v != "" {
				next, err = u.Parse(v)
			}
		case PagingAfterLast:
			if len(items) > 0 && truthy(lookup(body, p.More)) {
				field := p.Next
				if field == "" {
					field = "id"
				}
				c := cursorText(lookup(items[len(items)-1], field))
				if c == "" {
					err = fmt.Errorf("the last record has no %q", field)
					break
				}
				nu := u
				cq := nu.Query()
				cq.Set(p.Param, c)
				nu.RawQuery = cq.Encode()
				next = &nu
			}
		case PagingCursor:
			if c := cursorText(lookup(body, p.Next)); c != "" && len(items) > 0 {
				nu := u
				cq := nu.Query()
				cq.Set(p.Param, c)
				nu.RawQuery = cq.Encode()
				next = &nu
			}
		case PagingPage, PagingOffset:
			if len(items) > 0 && (p.Size <= 0 || len(items) >= p.Size) {
				page++
				offset += len(items)
				nu := u
				next = &nu
			}
		}
		if err != nil {
			return fmt.Errorf("ci: list endpoint %s: page %d: next page: %w", s.URL, n, err)
		}
	}
	return nil
}

// fetch reads one page.
func (s *HTTPSource) fetch(ctx context.Context, u *url.URL) ([]map[string]any, any, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	for k, vs := range s.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	if err := s.authorize(req); err != nil {
		return nil, nil, nil, err
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, nil, nil, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	var body any
	dec := json.NewDecoder(io.LimitReader(resp.Body, MaxPageBytes))
	if err := dec.Decode(&body); err != nil {
		return nil, nil, nil, fmt.Errorf("decode JSON: %w", err)
	}
	raw, found := lookupOK(body, s.Items)
	list, ok := raw.([]any)
	switch {
	case !found:
		return nil, nil, nil, fmt.Errorf("field %q: not in the page", s.Items)
	case raw == nil: // an empty page, as Go servers encode a nil slice
	case !ok:
		return nil, nil, nil, fmt.Errorf("field %q: want an array of records, got %T", s.Items, raw)
	}
	items := make([]map[string]any, 0, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, nil, nil, fmt.Errorf("record %d: want an object, got %T", i, it)
		}
		items = append(items, m)
	}
	return items, body, resp.Header, nil
}

// authorize sets the credentials read from the environment.
func (s *HTTPSource) authorize(req *http.Request) error {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	need := func(name string) (string, error) {
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("auth: environment variable %s is empty", name)
		}
		return v, nil
	}
	a := s.Auth
	if a.BearerEnv != "" {
		v, err := need(a.BearerEnv)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+v)
	}
	if a.HeaderEnv != "" {
		if a.Header == "" {
			return fmt.Errorf("auth: header_env %s names no header", a.HeaderEnv)
		}
		v, err := need(a.HeaderEnv)
		if err != nil {
			return err
		}
		req.Header.Set(a.Header, v)
	}
	if a.UserEnv != "" {
		u, err := need(a.UserEnv)
		if err != nil {
			return err
		}
		req.SetBasicAuth(u, getenv(a.PasswordEnv))
	}
	return nil
}

// lookup follows a dotted path through decoded JSON; "" is the value itself.
func lookup(v any, path string) any {
	v, _ = lookupOK(v, path)
	return v
}

// lookupOK is lookup that also reports whether the path exists.
func lookupOK(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// nextHref reads a next-page field: a URL, or a HATEOAS links array whose
// rel "next" entry holds it in href.
func nextHref(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		for _, l := range v {
			if m, ok := l.(map[string]any); ok && m["rel"] == "next" {
				h, _ := m["href"].(string)
				return h
			}
		}
	}
	return ""
}

func truthy(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

func cursorText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// nextLink returns the target of the rel="next" link in Link header values.
func nextLink(values []string) string {
	for _, v := range values {
		for _, link := range splitLinks(v) {
			link = strings.TrimSpace(link)
			end := strings.Index(link, ">")
			if !strings.HasPrefix(link, "<") || end < 0 {
				continue
			}
			for _, param := range strings.Split(link[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return link[1:end]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header on the commas between links, not those
// inside <...> or quotes.
func splitLinks(h string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			out = append(out, h[start:i])
			start = i + 1
		}
	}
	return append(out, h[start:])
}
