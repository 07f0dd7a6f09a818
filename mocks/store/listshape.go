package store

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Style is how a list operation pages through its records.
type Style string

// The pagination styles a contract can declare.
const (
	StyleNone   Style = ""       // every record in one answer
	StyleLimit  Style = "limit"  // only a page size: the first N records
	StyleOffset Style = "offset" // limit/offset (count/offset, skip...)
	StylePage   Style = "page"   // page/per_page (page_size, PageSize...)
	StyleCursor Style = "cursor" // starting_after/ending_before, cursor, after, page_token...
)

// DefaultLimit is the page size used when the contract declares pagination
// but no default for its page-size parameter.
const DefaultLimit = 10

// ListShape is how a contract's list operation answers: a bare array, or an
// object wrapping the array, and the pagination it declares. Parameter names
// are as in the contract; wrapper fields are dotted paths into the answer
// ("has_more", "meta.next_page_url"), empty when the answer has no such field.
type ListShape struct {
	Wrapped    bool             // the answer is an object, not a bare array
	Schema     *openapi3.Schema // the list answer's schema
	ItemsField string           // the wrapper property holding the array ("data", "items", "products")

	Style        Style
	LimitParam   string // limit, per_page, page_size, PageSize, count...
	OffsetParam  string // offset, skip, start
	PageParam    string // page, Page, page_number
	FirstPage    int    // the first page's number: 1, or 0 when the page parameter's minimum is 0 (Twilio)
	CursorParam  string // starting_after, cursor, after, page_token...
	BeforeParam  string // ending_before, before
	RawCursor    bool   // cursors are record ids (Stripe's starting_after); otherwise opaque tokens
	DefaultLimit int    // the page size when the request gives none: the parameter's default, else DefaultLimit
	MinLimit     int    // the smallest page size accepted (at least 1)
	MaxLimit     int    // the largest page size accepted; 0 when unbounded

	HasMoreField    string // has_more, hasMore, has_next
	TotalField      string // total, total_count, total_items, count
	TotalPagesField string // total_pages
	NextCursorField string // next_cursor, next_page_token, paging.next.after
	NextURLField    string // next_page_url, next, links.next
	PrevURLField    string // previous_page_url, prev
	FirstURLField   string // first_page_url
	URLField        string // url, meta.url
	PageField       string // page, meta.page
	PageSizeField   string // page_size, per_page, limit
	OffsetField     string // offset
	KeyField        string // meta.key: the name of the array property (Twilio)

	// Filters are the query parameters that select records by a property
	// (see Filter); Uninterpreted the declared ones that neither page,
	// shape the answer nor select by a property the mock can read.
	Filters       []Filter
	Uninterpreted []string
}

// PageRequest is one page asked of Store.List, in the store's terms whatever
// the contract's style: skip Offset records after the After cursor (or from
// the start), return at most Limit, or, with Before, the Limit records just
// before that one. Cursors are record ids.
type PageRequest struct {
	Offset int
	Limit  int // 0: no limit
	After  string
	Before string
}

// PageInfo describes the page Store.List returned. URL and Query are not set
// by the store: the caller sets them to the request's URL (without query)
// and query so Render can write truthful links.
type PageInfo struct {
	Total      int    // live records under this parent
	Offset     int    // index of the first returned record among them
	Limit      int    // the page size applied (0: none)
	Count      int    // records on this page
	HasMore    bool   // more records in the direction of travel
	HasPrev    bool   // records before this page
	NextCursor string // the id to continue after (last record), set when HasMore
	PrevCursor string // the id of the first record, set when HasPrev
	Backward   bool   // the page was asked with Before

	URL   string     // set by the caller: the list URL the client called, without query
	Query url.Values // set by the caller: the client's query, kept in links
}

// PageRequest reads the pagination parameters of a list request. Bad values
// (not a number, out of the declared bounds, a cursor that is not one of
// ours) return an error wrapping ErrBadRequest that names the parameter.
func (s ListShape) PageRequest(query url.Values) (PageRequest, error) {
	req := PageRequest{}
	if s.Style == StyleNone {
		return req, nil
	}
	limit, err := s.intParam(query, s.LimitParam, s.DefaultLimit, s.MinLimit, s.MaxLimit)
	if err != nil {
		return req, err
	}
	req.Limit = limit
	switch s.Style {
	case StyleOffset:
		if req.Offset, err = s.intParam(query, s.OffsetParam, 0, 0, 0); err != nil {
			return req, err
		}
	case StylePage:
		page, err := s.intParam(query, s.PageParam, s.FirstPage, s.FirstPage, 0)
		if err != nil {
			return req, err
		}
		if limit > 0 && page-s.FirstPage > math.MaxInt32/limit {
			return req, fmt.Errorf("store: query parameter %q: %d is beyond any page: %w", s.PageParam, page, ErrBadRequest)
		}
		req.Offset = (page - s.FirstPage) * limit
	case StyleCursor:
		if req.After, err = s.cursorParam(query, s.CursorParam); err != nil {
			return req, err
		}
		if req.Before, err = s.cursorParam(query, s.BeforeParam); err != nil {
			return req, err
		}
		if req.After != "" && req.Before != "" {
			return req, fmt.Errorf("store: query parameters %q and %q cannot be used together: %w", s.CursorParam, s.BeforeParam, ErrBadRequest)
		}
	}
	return req, nil
}

func (s ListShape) intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	if name == "" || q.Get(name) == "" {
		return def, nil
	}
	raw := q.Get(name)
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, fmt.Errorf("store: query parameter %q: %q is not an integer: %w", name, raw, ErrBadRequest)
	}
	if n < lo {
		return 0, fmt.Errorf("store: query parameter %q: %d is below the minimum %d: %w", name, n, lo, ErrBadRequest)
	}
	if hi > 0 && n > hi {
		return 0, fmt.Errorf("store: query parameter %q: %d is above the maximum %d: %w", name, n, hi, ErrBadRequest)
	}
	return n, nil
}

func (s ListShape) cursorParam(q url.Values, name string) (string, error) {
	if name == "" || q.Get(name) == "" {
		return "", nil
	}
	raw := q.Get(name)
	if s.RawCursor {
		return raw, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("store: query parameter %q: %q is not a cursor this mock issued: %w", name, raw, ErrBadRequest)
	}
	return string(b), nil
}

// EncodeCursor turns a record id into the cursor a client sends back: the id
// itself for raw cursors, an opaque URL-safe token otherwise.
func (s ListShape) EncodeCursor(id string) string {
	if s.RawCursor || id == "" {
		return id
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// Render builds the list answer for items. A bare array is returned as
// []any. A wrapper starts from fill(s.Schema) when fill is given (the mock's
// sample generator, so fields the store knows nothing of still validate),
// then the array and every pagination field the shape knows are set from
// page: has_more, totals, cursors, page numbers and, when page.URL is set,
// the url and next/previous links. A link or cursor with no value is set to
// null when its schema is nullable and removed otherwise.
func (s ListShape) Render(items []Record, page PageInfo, fill func(*openapi3.Schema) any) any {
	arr := make([]any, len(items))
	for i, it := range items {
		arr[i] = it
	}
	if !s.Wrapped {
		return arr
	}
	out := map[string]any{}
	if fill != nil {
		if m, ok := fill(s.Schema).(map[string]any); ok && m != nil {
			out = m
		}
	}
	s.set(out, s.ItemsField, arr)
	s.set(out, s.HasMoreField, page.HasMore)
	s.set(out, s.TotalField, page.Total)
	s.set(out, s.TotalPagesField, totalPages(page))
	s.set(out, s.PageSizeField, page.Limit)
	s.set(out, s.OffsetField, page.Offset)
	s.set(out, s.KeyField, s.ItemsField)
	if s.PageField != "" && page.Limit > 0 {
		s.set(out, s.PageField, page.Offset/page.Limit+s.FirstPage)
	}
	s.setOptional(out, s.NextCursorField, page.HasMore, s.EncodeCursor(page.NextCursor))
	if page.URL != "" {
		s.set(out, s.URLField, page.URL)
		s.setOptional(out, s.NextURLField, page.HasMore, s.link(page, true))
		s.setOptional(out, s.PrevURLField, page.HasPrev, s.link(page, false))
		s.setOptional(out, s.FirstURLField, true, s.firstLink(page))
	}
	return out
}

func totalPages(p PageInfo) int {
	if p.Limit <= 0 {
		if p.Total > 0 {
			return 1
		}
		return 0
	}
	return (p.Total + p.Limit - 1) / p.Limit
}

// link returns the URL of the next (or previous) page.
func (s ListShape) link(p PageInfo, next bool) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = append([]string(nil), v...)
	}
	switch s.Style {
	case StyleOffset:
		off := p.Offset + p.Count
		if !next {
			off = max(p.Offset-p.Limit, 0)
		}
		q.Set(s.OffsetParam, strconv.Itoa(off))
	case StylePage:
		page := p.Offset/max(p.Limit, 1) + s.FirstPage
		if next {
			page++
		} else {
			page--
		}
		q.Set(s.PageParam, strconv.Itoa(max(page, s.FirstPage)))
	case StyleCursor:
		q.Del(s.CursorParam)
		if s.BeforeParam != "" {
			q.Del(s.BeforeParam)
		}
		switch {
		case next && p.Backward && s.BeforeParam != "":
			q.Set(s.BeforeParam, s.EncodeCursor(p.NextCursor))
		case next:
			q.Set(s.CursorParam, s.EncodeCursor(p.NextCursor))
		case s.BeforeParam != "":
			q.Set(s.BeforeParam, s.EncodeCursor(p.PrevCursor))
		}
	default:
		return ""
	}
	if s.LimitParam != "" && p.Limit > 0 {
		q.Set(s.LimitParam, strconv.Itoa(p.Limit))
	}
	return p.URL + "?" + q.Encode()
}

func (s ListShape) firstLink(p PageInfo) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = append([]string(nil), v...)
	}
	for _, name := range []string{s.OffsetParam, s.PageParam, s.CursorParam, s.BeforeParam} {
		if name != "" {
			q.Del(name)
		}
	}
	if s.PageParam != "" {
		q.Set(s.PageParam, strconv.Itoa(s.FirstPage))
	}
	if s.LimitParam != "" && p.Limit > 0 {
		q.Set(s.LimitParam, strconv.Itoa(p.Limit))
	}
	if len(q) == 0 {
		return p.URL
	}
	return p.URL + "?" + q.Encode()
}

func (s ListShape) set(out map[string]any, path string, v any) {
	if path == "" {
		return
	}
	parts := strings.Split(path, ".")
	m := out
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// setOptional sets a link or cursor when present; otherwise null when the
// schema allows it, else removes the field.
func (s ListShape) setOptional(out map[string]any, path string, present bool, v string) {
	if path == "" {
		return
	}
	if present && v != "" {
		s.set(out, path, v)
		return
	}
	fs := s.fieldSchema(path)
	if fs != nil && (fs.Nullable || fs.Type.IncludesNull()) {
		s.set(out, path, nil)
		return
	}
	parts := strings.Split(path, ".")
	m := out
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
}

func (s ListShape) fieldSchema(path string) *openapi3.Schema {
	cur := s.Schema
	for _, p := range strings.Split(path, ".") {
		ref := properties(cur)[p]
		if ref == nil {
			return nil
		}
		cur = ref.Value
	}
	return cur
}

func (s ListShape) itemsSchema() *openapi3.Schema {
	arr := s.Schema
	if s.Wrapped {
		arr = s.fieldSchema(s.ItemsField)
	}
	if arr == nil || arr.Items == nil {
		return nil
	}
	return arr.Items.Value
}

// listNames are the usual names of a wrapper's array, folded by norm.
var listNames = map[string]bool{
	"data": true, "items": true, "results": true, "records": true, "elements": true,
	"entries": true, "values": true, "list": true, "content": true, "collection": true,
	"rows": true, "objects": true, "nodes": true, "edges": true, "hits": true,
}

// detectListShape reads the list answer's shape and the pagination declared
// by the list operation's query parameters and the wrapper's fields.
func detectListShape(op *openapi3.Operation, pathParams openapi3.Parameters, resp, item *openapi3.Schema, lastSeg string) (ListShape, bool) {
	if resp == nil {
		return ListShape{}, false
	}
	shape := ListShape{Schema: resp, FirstPage: 1}
	if resp.Type.Includes("array") {
		shape.Wrapped = false
	} else {
		field := pickArray(resp, item, lastSeg)
		if field == "" || hasIDProperty(resp) {
			return ListShape{}, false // no array, or a record that holds arrays
		}
		shape.Wrapped, shape.ItemsField = true, field
		shape.detectFields()
	}
	shape.detectParams(append(append(openapi3.Parameters{}, pathParams...), op.Parameters...))
	return shape, true
}

// pickArray chooses the wrapper property that holds the records.
func pickArray(resp, item *openapi3.Schema, lastSeg string) string {
	props := properties(resp)
	best, bestScore := "", 0
	names := sortedKeys(props)
	itemProps := properties(item)
	for _, name := range names {
		ref := props[name]
		if ref == nil || ref.Value == nil || !ref.Value.Type.Includes("array") || linkArray(ref.Value) {
			continue
		}
		score := 1
		if isArrayOfObjects(ref.Value) {
			score += 5
			elem := ref.Value.Items.Value
			if item != nil && elem == item {
				score += 100
			}
			if len(itemProps) > 0 {
				shared := 0
				for p := range properties(elem) {
					if itemProps[p] != nil {
						shared++
					}
				}
				score += 10 * shared / len(itemProps)
			}
		}
		if listNames[norm(name)] {
			score += 10
		}
		if lastSeg != "" && norm(name) == norm(lastSeg) {
			score += 10
		}
		if score > bestScore {
			best, bestScore = name, score
		}
	}
	if bestScore < 6 { // an array of scalars with an unusual name: not a list
		return ""
	}
	return best
}

// linkArray reports whether an array holds hypermedia links ({href, rel,
// method}, as PayPal's "links" of every resource), never the records of a list.
func linkArray(s *openapi3.Schema) bool {
	if s.Items == nil {
		return false
	}
	props := properties(s.Items.Value)
	return props["href"] != nil && props["rel"] != nil
}

// hasIDProperty reports whether a schema has an "id" property: a record,
// never a list wrapper.
func hasIDProperty(s *openapi3.Schema) bool {
	for name := range properties(s) {
		if norm(name) == "id" {
			return true
		}
	}
	return false
}

// strong reports whether the shape surely is a list, without an item path to
// confirm it: a bare array, pagination, or an array under a list-like name.
func (s ListShape) strong(lastSeg string) bool {
	return !s.Wrapped || s.Style != StyleNone || listNames[norm(s.ItemsField)] || norm(s.ItemsField) == norm(lastSeg)
}

func sortedKeys(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LinkHeader returns an RFC 8288 Link header value for the page (rel next,
// prev and first), as APIs that answer a bare array page with it (GitHub:
// page and per_page). It is empty when page.URL is unset or the shape does
// not page.
func (s ListShape) LinkHeader(page PageInfo) string {
	if page.URL == "" || s.Style == StyleNone || s.Style == StyleLimit {
		return ""
	}
	var links []string
	if page.HasMore {
		links = append(links, "<"+s.link(page, true)+`>; rel="next"`)
	}
	if page.HasPrev && (s.Style != StyleCursor || s.BeforeParam != "") {
		links = append(links, "<"+s.link(page, false)+`>; rel="prev"`)
	}
	links = append(links, "<"+s.firstLink(page)+`>; rel="first"`)
	return strings.Join(links, ", ")
}
