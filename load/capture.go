package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// A capture reads one value from a step's answer: a JSON path into the body
// ("$.id", "data.items[0].id") or a response header ("header:Location").
type capture struct {
	name   string
	header string   // header name, when the capture reads a header
	path   []pathEl // JSON path otherwise
}

type pathEl struct {
	key   string
	index int // -1 for an object key
}

// parseCapture compiles a capture expression; errors name the offset.
func parseCapture(name, expr string) (capture, error) {
	c := capture{name: name}
	if h, ok := strings.CutPrefix(expr, "header:"); ok {
		h = strings.TrimSpace(h)
		if h == "" {
			return c, fmt.Errorf("offset 7: header name missing after \"header:\"")
		}
		c.header = http.CanonicalHeaderKey(h)
		return c, nil
	}
	p, err := parseJSONPath(expr)
	c.path = p
	return c, err
}

// parseJSONPath reads "$.a.b[0].c", "a.b[0]" or "$" (the whole body).
func parseJSONPath(expr string) ([]pathEl, error) {
	s := expr
	off := 0
	if strings.HasPrefix(s, "$") {
		s, off = s[1:], 1
		if strings.HasPrefix(s, ".") {
			s, off = s[1:], 2
		}
	} else if s == "" {
		return nil, fmt.Errorf("offset 0: empty path (write $.field or field.sub[0])")
	}
	var out []pathEl
	for i := 0; i < len(s); {
		switch {
		case s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("offset %d: unterminated [", off+i)
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("offset %d: index %q is not a non-negative integer", off+i+1, s[i+1:i+end])
			}
			out = append(out, pathEl{index: n})
			i += end + 1
		case s[i] == '.':
			if i == 0 || i+1 >= len(s) || s[i+1] == '.' || s[i+1] == '[' {
				return nil, fmt.Errorf("offset %d: empty field name", off+i)
			}
			i++
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				if s[j] == ']' {
					return nil, fmt.Errorf("offset %d: unexpected ]", off+j)
				}
				j++
			}
			out = append(out, pathEl{key: s[i:j], index: -1})
			i = j
		}
	}
	return out, nil
}

// needsBody reports whether the capture reads the body.
func (c capture) needsBody() bool { return c.header == "" }

// extract returns the captured value as text: strings as they are, numbers
// and booleans as JSON writes them, objects and arrays as JSON.
func (c capture) extract(doc any, hdr http.Header) (string, error) {
	if c.header != "" {
		v := hdr.Get(c.header)
		if v == "" {
			return "", fmt.Errorf("capture %s: no %s header in the answer", c.name, c.header)
		}
		return v, nil
	}
	v := doc
	for _, el := range c.path {
		switch {
		case el.index >= 0:
			arr, ok := v.([]any)
			if !ok || el.index >= len(arr) {
				return "", fmt.Errorf("capture %s: no element [%d]", c.name, el.index)
			}
			v = arr[el.index]
		default:
			obj, ok := v.(map[string]any)
			if !ok {
				return "", fmt.Errorf("capture %s: no field %q (not an object)", c.name, el.key)
			}
			if v, ok = obj[el.key]; !ok {
				return "", fmt.Errorf("capture %s: no field %q", c.name, el.key)
			}
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", fmt.Errorf("capture %s: value is null", c.name)
	case json.Number:
		return x.String(), nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

// decodeBody parses a JSON answer, keeping numbers exact.
func decodeBody(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("answer is not JSON: %w", err)
	}
	return v, nil
}
