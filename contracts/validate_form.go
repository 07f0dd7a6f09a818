package contracts

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

var registerFormOnce sync.Once

// registerFormDecoder replaces kin-openapi's decoder of
// application/x-www-form-urlencoded bodies, which cannot decode properties
// with anyOf or oneOf schemas (nearly every Stripe body) nor nested objects,
// with DecodeForm. Registration is kin-openapi's documented extension point;
// it is process-wide, so it is done once.
func registerFormDecoder() {
	registerFormOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/x-www-form-urlencoded", formBodyDecoder)
	})
}

func formBodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	var s *openapi3.Schema
	if schema != nil {
		s = schema.Value
	}
	return DecodeForm(string(data), s)
}

// DecodeForm decodes a form body the way Stripe and Twilio clients write
// them: nested objects in brackets (card[exp_month]=12), array items by index
// or with empty brackets (items[0][price]=p, expand[]=a) or by repeating the
// key (Twilio), scalar strings converted to the types the schema asks for
// (numbers, booleans), trying each alternative of anyOf and oneOf. What
// cannot be converted is left a string, for validation to report.
func DecodeForm(body string, schema *openapi3.Schema) (any, error) {
	values, err := url.ParseQuery(body)
	if err != nil {
		return nil, fmt.Errorf("malformed form: %w", err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tree := map[string]any{}
	for _, k := range keys {
		path := formPath(k)
		vs := values[k]
		var v any = vs[0]
		if len(vs) > 1 || (len(path) > 1 && path[len(path)-1] == "") {
			items := make([]any, len(vs))
			for i, s := range vs {
				items[i] = s
			}
			v = items
			if len(path) > 1 && path[len(path)-1] == "" {
				path = path[:len(path)-1]
			}
		}
		formInsert(tree, path, v)
	}
	return formCoerce(tree, schema, 0), nil
}

// formPath splits "a[b][0][]" into a, b, 0, "".
func formPath(key string) []string {
	i := strings.IndexByte(key, '[')
	if i <= 0 || !strings.HasSuffix(key, "]") {
		return []string{key}
	}
	path := []string{key[:i]}
	rest := key[i:]
	for len(rest) > 0 && rest[0] == '[' {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return []string{key}
		}
		path = append(path, rest[1:j])
		rest = rest[j+1:]
	}
	if rest != "" {
		return []string{key}
	}
	return path
}

func formInsert(node map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := node[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[p] = next
		}
		node = next
	}
	last := path[len(path)-1]
	if prev, ok := node[last]; ok {
		// A[] repeated with different bracket forms: merge into one list.
		if list, ok := prev.([]any); ok {
			if more, ok := v.([]any); ok {
				node[last] = append(list, more...)
				return
			}
			node[last] = append(list, v)
			return
		}
	}
	node[last] = v
}

const formMaxDepth = 32

// formCoerce converts a decoded form value to the types schema asks for.
func formCoerce(v any, s *openapi3.Schema, depth int) any {
	if s == nil || depth > formMaxDepth {
		return v
	}
	if alts := append(append([]*openapi3.SchemaRef{}, s.AnyOf...), s.OneOf...); len(alts) > 0 {
		var first any
		for i, alt := range alts {
			if alt == nil || alt.Value == nil {
				continue
			}
			c := formCoerce(v, alt.Value, depth+1)
			if i == 0 {
				first = c
			}
			if alt.Value.VisitJSON(c, openapi3.MultiErrors()) == nil {
				return c
			}
		}
		if first != nil {
			return first
		}
	}
	for _, part := range s.AllOf {
		if part != nil && part.Value != nil {
			v = formCoerce(v, part.Value, depth+1)
		}
	}
	switch t := v.(type) {
	case string:
		return formScalar(t, s, depth)
	case []any:
		if s.Items == nil || s.Items.Value == nil {
			return t
		}
		for i := range t {
			t[i] = formCoerce(t[i], s.Items.Value, depth+1)
		}
		return t
	case map[string]any:
		if s.Type != nil && s.Type.Includes("array") {
			return formCoerce(indexedList(t), s, depth+1)
		}
		for k, val := range t {
			if p := s.Properties[k]; p != nil && p.Value != nil {
				t[k] = formCoerce(val, p.Value, depth+1)
			} else if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
				t[k] = formCoerce(val, ap.Value, depth+1)
			}
		}
		return t
	}
	return v
}

func formScalar(str string, s *openapi3.Schema, depth int) any {
	switch {
	case s.Type == nil:
		return str
	case s.Type.Includes("integer"):
		if n, err := strconv.ParseInt(str, 10, 64); err == nil {
			return float64(n)
		}
	case s.Type.Includes("number"):
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			return f
		}
	case s.Type.Includes("boolean"):
		if b, err := strconv.ParseBool(str); err == nil {
			return b
		}
	case s.Type.Includes("array") && str != "":
		return formCoerce([]any{str}, s, depth+1)
	}
	return str
}

// indexedList turns {"0": a, "1": b} into [a, b], ordered by index.
func indexedList(m map[string]any) any {
	idx := make([]int, 0, len(m))
	byIdx := make(map[int]any, len(m))
	for k, v := range m {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			return m
		}
		idx = append(idx, n)
		byIdx[n] = v
	}
	sort.Ints(idx)
	out := make([]any, len(idx))
	for i, n := range idx {
		out[i] = byIdx[n]
	}
	return out
}
