package store

import (
	"math"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Parameter names, folded by norm, that declare each pagination role.
var (
	limitParams  = []string{"limit", "perpage", "pagesize", "maxresults", "size", "pagelimit", "top", "first"}
	offsetParams = []string{"offset", "skip", "start", "startindex", "pageoffset"}
	pageParams   = []string{"page", "pagenumber", "pageno", "pagenum", "pageindex"}
	cursorParams = []string{"startingafter", "cursor", "after", "pagetoken", "nextpagetoken", "nexttoken", "continuationtoken", "continuation", "startcursor", "pagecursor"}
	beforeParams = []string{"endingbefore", "before"}
)

// detectParams finds the pagination parameters among the list operation's
// query parameters and picks the style: a page number wins over a cursor
// (Twilio declares Page, PageSize and PageToken and pages by number), a
// cursor over an offset, an offset over a page size alone. An offset whose
// description says it numbers pages pages by number.
func (s *ListShape) detectParams(params openapi3.Parameters) {
	// The first declared of the parameters a name folds to (page_size,
	// pageSize) stands for it; among a role's names the list's order
	// decides, not the contract's: a "size" filter declared before "limit"
	// must not page.
	byNorm := map[string]*openapi3.Parameter{}
	for _, ref := range params {
		if ref == nil || ref.Value == nil || ref.Value.In != "query" {
			continue
		}
		if n := norm(ref.Value.Name); byNorm[n] == nil {
			byNorm[n] = ref.Value
		}
	}
	find := func(names []string) *openapi3.Parameter {
		for _, n := range names {
			if p := byNorm[n]; p != nil {
				return p
			}
		}
		return nil
	}
	limit := find(limitParams)
	offset := find(offsetParams)
	if limit == nil && offset != nil {
		limit = byNorm["count"] // Postmark pages with count and offset
	}
	page, cursor, before := find(pageParams), find(cursorParams), find(beforeParams)
	if page == nil && offset != nil && pageNumbered(offset) {
		page, offset = offset, nil // Adyen's offset on payout executions: "The page number to be returned."
	}
	switch {
	case page != nil:
		s.Style, s.PageParam = StylePage, page.Name
		if min := paramMin(page); min != nil && *min == 0 {
			s.FirstPage = 0
		}
	case cursor != nil:
		s.Style, s.CursorParam = StyleCursor, cursor.Name
		n := norm(cursor.Name)
		s.RawCursor = n == "startingafter"
		if before != nil {
			s.BeforeParam = before.Name
		}
	case offset != nil:
		s.Style, s.OffsetParam = StyleOffset, offset.Name
	case limit != nil:
		s.Style = StyleLimit
	default:
		return
	}
	s.DefaultLimit, s.MinLimit = DefaultLimit, 1
	if limit == nil {
		return
	}
	s.LimitParam = limit.Name
	if limit.Schema != nil && limit.Schema.Value != nil {
		ls := limit.Schema.Value
		if ls.Max != nil && *ls.Max < math.MaxInt32 {
			s.MaxLimit = int(*ls.Max)
		}
		if ls.Min != nil && *ls.Min > 1 {
			s.MinLimit = int(*ls.Min)
		}
		if d, ok := number(ls.Default); ok && d >= 1 {
			s.DefaultLimit = int(d)
		}
	}
	if s.MaxLimit > 0 && s.DefaultLimit > s.MaxLimit {
		s.DefaultLimit = s.MaxLimit
	}
	if s.DefaultLimit < s.MinLimit {
		s.DefaultLimit = s.MinLimit
	}
}

// pageNumbered reports whether a parameter named like an offset counts
// pages, not records: its description says so ("The page number to be
// returned."), whatever its name.
func pageNumbered(p *openapi3.Parameter) bool {
	d := strings.ToLower(p.Description)
	if p.Schema != nil && p.Schema.Value != nil && d == "" {
		d = strings.ToLower(p.Schema.Value.Description)
	}
	for _, phrase := range []string{"page number", "number of the page", "page to return", "page to be returned", "page index"} {
		if strings.Contains(d, phrase) {
			return true
		}
	}
	return false
}

func paramMin(p *openapi3.Parameter) *float64 {
	if p.Schema == nil || p.Schema.Value == nil {
		return nil
	}
	return p.Schema.Value.Min
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// detectFields finds the wrapper fields the store can fill truthfully,
// breadth first so a top-level field wins over a nested one.
func (s *ListShape) detectFields() {
	type node struct {
		path, parent string
		schema       *openapi3.Schema
	}
	queue := []node{{schema: s.Schema}}
	for depth := 0; depth < 3 && len(queue) > 0; depth++ {
		var next []node
		for _, n := range queue {
			props := properties(n.schema)
			for _, name := range sortedKeys(props) {
				ref := props[name]
				if ref == nil || ref.Value == nil {
					continue
				}
				path := name
				if n.path != "" {
					path = n.path + "." + name
				}
				if path == s.ItemsField {
					continue
				}
				s.classifyField(path, name, n.parent, ref.Value)
				if isObject(ref.Value) {
					next = append(next, node{path: path, parent: name, schema: ref.Value})
				}
			}
		}
		queue = next
	}
}

func (s *ListShape) classifyField(path, name, parent string, fs *openapi3.Schema) {
	n, pn := norm(name), norm(parent)
	isStr, isInt := fs.Type.Includes("string"), fs.Type.Includes("integer") || fs.Type.Includes("number")
	isURL := isStr && (fs.Format == "uri" || fs.Format == "url" || strings.Contains(n, "url") || strings.Contains(n, "uri") || strings.Contains(n, "link") ||
		in(pn, "links", "link") || n == "href" && in(pn, "next", "prev", "previous", "first", "self")) // JSON:API and HAL: links.next is a URL
	claim := func(field *string) {
		if *field == "" {
			*field = path
		}
	}
	switch {
	case fs.Type.Includes("boolean") && in(n, "hasmore", "hasnext", "hasnextpage", "more", "hasmoreitems", "hasmoreresults"):
		claim(&s.HasMoreField)
	case isInt && in(n, "total", "totalcount", "totalitems", "totalresults", "totalsize", "totalrecords", "count", "totalelements"):
		claim(&s.TotalField)
	case isInt && in(n, "totalpages", "pagecount", "numpages"):
		claim(&s.TotalPagesField)
	case isInt && in(n, "page", "pagenumber", "currentpage"):
		claim(&s.PageField)
	case isInt && in(n, "pagesize", "perpage", "limit"):
		claim(&s.PageSizeField)
	case isInt && in(n, "offset", "skip", "start"):
		claim(&s.OffsetField)
	case isURL && (in(n, "nextpageurl", "nexturl", "nextlink", "nextpageuri", "nexturi") || n == "next" || pn == "next" && in(n, "link", "href", "url")):
		claim(&s.NextURLField)
	case isURL && (in(n, "previouspageurl", "prevpageurl", "previousurl", "prevurl", "previouspageuri", "prevlink", "previous", "prev") || in(pn, "prev", "previous") && in(n, "link", "href", "url")):
		claim(&s.PrevURLField)
	case isURL && in(n, "firstpageurl", "firstpageuri", "firsturl"):
		claim(&s.FirstURLField)
	case isURL && in(n, "url", "uri", "self") && pn != "next" && pn != "prev" && pn != "previous":
		claim(&s.URLField)
	case isStr && n == "key" && in(pn, "meta", "metadata"):
		claim(&s.KeyField)
	case isStr && (in(n, "nextcursor", "nextpagetoken", "nexttoken", "endcursor", "cursor", "next", "nextpagecursor") || pn == "next" && n == "after"):
		claim(&s.NextCursorField)
	}
}

func in(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
