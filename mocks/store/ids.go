package store

import (
	"encoding/json"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
)

// idKind is how a collection makes ids.
type idKind int

const (
	idSeq       idKind = iota // 1, 2, 3... as integers
	idSeqString               // "1", "2", "3"...
	idUUID                    // a version 4 UUID
	idPattern                 // a string matching the id schema's pattern
	idPrefixed                // the example's prefix and random characters: "cus_" + 14
)

// prefixedLen is the number of random characters after a Stripe-like prefix.
const prefixedLen = 14

// idMaker makes the ids of one collection. It is used under the
// collection's lock; gofakeit's Faker is also safe on its own.
type idMaker struct {
	kind    idKind
	pattern string
	re      *regexp.Regexp
	also    *regexp.Regexp // the id parameter's pattern, when both have one
	prefix  string
	minLen  int
	maxLen  int // 0: no limit
	fake    *gofakeit.Faker
}

func newIDMaker(c Collection, seed uint64) *idMaker {
	m := &idMaker{kind: idSeqString}
	if seed != 0 {
		h := fnv.New64a()
		h.Write([]byte(c.Name))
		seed ^= h.Sum64() | 1
	}
	m.fake = gofakeit.New(seed)
	s, p := c.IDSchema, c.IDParamSchema
	if s == nil {
		s, p = p, nil
	}
	if s == nil {
		return m
	}
	if p == nil {
		p = &openapi3.Schema{} // no second constraint
	}
	// The limits of both schemas hold: the tighter of each.
	m.minLen = int(max(s.MinLength, p.MinLength))
	for _, l := range []*uint64{s.MaxLength, p.MaxLength} {
		if l != nil && (m.maxLen == 0 || int(*l) < m.maxLen) {
			m.maxLen = int(*l)
		}
	}
	numeric := func(x *openapi3.Schema) bool { return x.Type.Includes("integer") || x.Type.Includes("number") }
	switch {
	case numeric(s):
		m.kind = idSeq
	case numeric(p):
		m.kind = idSeqString // a string property the path reads as a number: "1", "2"...
	case s.Format == "uuid" && !compiles(p.Pattern):
		m.kind = idUUID
	case compiles(s.Pattern):
		m.kind, m.pattern, m.re = idPattern, s.Pattern, regexp.MustCompile(s.Pattern)
		if compiles(p.Pattern) {
			m.also = regexp.MustCompile(p.Pattern)
		}
	case compiles(p.Pattern):
		m.kind, m.pattern, m.re = idPattern, p.Pattern, regexp.MustCompile(p.Pattern)
	case examplePrefix(s) != "":
		m.kind, m.prefix = idPrefixed, examplePrefix(s)
	case m.maxLen > 0 && m.maxLen < 36:
		m.kind = idSeqString
	default:
		m.kind = idUUID
	}
	return m
}

// compiles reports whether a pattern is set and Go's regexp can run it (a
// look-ahead cannot: such a pattern is ignored).
func compiles(pattern string) bool {
	if pattern == "" {
		return false
	}
	_, err := regexp.Compile(pattern)
	return err == nil
}

// examplePrefix returns "cus_" for an example "cus_123abc": the characters up
// to the last underscore, when they are a short lower-case word.
var prefixRe = regexp.MustCompile(`^([a-z]{2,8}_)[A-Za-z0-9]+$`)

func examplePrefix(s *openapi3.Schema) string {
	ex, ok := s.Example.(string)
	if !ok {
		return ""
	}
	if m := prefixRe.FindStringSubmatch(ex); m != nil {
		return m[1]
	}
	return ""
}

func (m *idMaker) next(c *coll) any {
	switch m.kind {
	case idSeq:
		c.lastInt++
		return c.lastInt
	case idUUID:
		return m.fake.UUID()
	case idPattern:
		for range 16 {
			if v := m.fake.Regex(m.pattern); m.fits(v) {
				return v
			}
		}
		return m.fake.UUID() // gofakeit could not honour the pattern
	case idPrefixed:
		return m.prefix + m.fake.Password(true, true, true, false, false, prefixedLen)
	}
	c.lastInt++
	v := strconv.FormatInt(c.lastInt, 10)
	if len(v) < m.minLen {
		v = strings.Repeat("0", m.minLen-len(v)) + v
	}
	return v
}

// fits reports whether a generated id keeps the id schemas' patterns and
// length limits: a pattern like ^[a-zA-Z0-9]*$ also yields "", which
// minLength 1 forbids.
func (m *idMaker) fits(v string) bool {
	n := utf8.RuneCountInString(v)
	return m.re.MatchString(v) && (m.also == nil || m.also.MatchString(v)) &&
		n >= m.minLen && (m.maxLen == 0 || n <= m.maxLen)
}

// typedID turns an id from a URL into the stored value: an integer when the
// collection makes integer ids and the text is one, the text otherwise.
func (c *coll) typedID(id string) any {
	if c.ids.kind == idSeq {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			return n
		}
	}
	return id
}

// noteID keeps integer sequences above ids given by clients and seeds.
func (c *coll) noteID(v any) {
	var n int64
	switch x := v.(type) {
	case float64:
		n = int64(x)
	case int:
		n = int64(x)
	case int64:
		n = x
	case json.Number:
		n, _ = x.Int64()
	case string:
		n, _ = strconv.ParseInt(x, 10, 64)
	}
	if n > c.lastInt {
		c.lastInt = n
	}
}

// idString renders an id value the way it appears in a URL.
func idString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Conventional names, folded by norm, of the timestamps the store sets.
var (
	createdNames = []string{"created", "createdat", "createtime", "datecreated", "creationdate", "createdon", "createdtime", "insertedat", "createdate",
		// Events a record is born with: an invoice is issued, a form
		// submitted, a payment received when the vendor creates it.
		"issuedat", "issuedon", "issuedate", "dateissued", "submittedat", "receivedat", "registeredat"}
	updatedNames = []string{"updated", "updatedat", "updatetime", "dateupdated", "modifiedat", "lastmodified", "datemodified", "updatedon", "lastupdated", "updatedtime", "lastmodifieddate", "modified"}
)

// serverFields finds in the item schema the timestamps the store stamps and
// the other readOnly properties a filler completes.
func serverFields(c Collection) (created, updated, fillers []field) {
	for name, ref := range properties(c.ItemSchema) {
		if ref == nil || ref.Value == nil || name == c.idField() || slices.ContainsFunc(c.Stamps, func(st Stamp) bool { return st.Field == name }) {
			continue // declared stamps are written by stampDeclared
		}
		s, n := ref.Value, norm(name)
		isTime := s.Type.Includes("integer") || s.Type.Includes("string") && (s.Format == "date-time" || s.Format == "date" || s.Format == "")
		switch {
		case isTime && in(n, createdNames...):
			created = append(created, field{name, s})
		case isTime && in(n, updatedNames...):
			updated = append(updated, field{name, s})
		case s.ReadOnly:
			fillers = append(fillers, field{name, s})
		}
	}
	sortFields(created)
	sortFields(updated)
	sortFields(fillers)
	return created, updated, fillers
}

func stampAbsent(rec Record, fs []field, now time.Time) {
	for _, f := range fs {
		if _, ok := rec[f.name]; !ok {
			rec[f.name] = stamp(f.schema, now)
		}
	}
}

// stamp renders now for a timestamp schema: Unix seconds for integers, a
// date for format date, RFC 3339 in UTC otherwise.
func stamp(s *openapi3.Schema, now time.Time) any {
	switch {
	case s.Type.Includes("integer"):
		return now.Unix()
	case s.Format == "date":
		return now.UTC().Format(time.DateOnly)
	}
	return now.UTC().Format(time.RFC3339)
}
