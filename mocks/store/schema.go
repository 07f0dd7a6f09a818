package store

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxDepth bounds every walk through schemas, which may form cycles.
const maxDepth = 8

// responseSchema returns the JSON schema of the lowest declared 2xx answer.
func responseSchema(op *openapi3.Operation) *openapi3.Schema {
	if op == nil || op.Responses == nil {
		return nil
	}
	codes := op.Responses.Keys()
	sort.Strings(codes)
	for _, code := range codes {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		if _, err := strconv.Atoi(code); err != nil && !strings.EqualFold(code, "2XX") {
			continue
		}
		ref := op.Responses.Value(code)
		if ref == nil || ref.Value == nil {
			continue
		}
		if s := jsonSchema(ref.Value.Content); s != nil {
			return s
		}
	}
	return nil
}

// requestSchema returns the schema of the operation's body, JSON or form.
func requestSchema(op *openapi3.Operation) *openapi3.Schema {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	c := op.RequestBody.Value.Content
	if s := jsonSchema(c); s != nil {
		return s
	}
	for _, mt := range []string{"application/x-www-form-urlencoded", "multipart/form-data"} {
		if m := c.Get(mt); m != nil && m.Schema != nil {
			return m.Schema.Value
		}
	}
	return nil
}

func jsonSchema(c openapi3.Content) *openapi3.Schema {
	if m := c.Get("application/json"); m != nil && m.Schema != nil && m.Schema.Value != nil {
		return m.Schema.Value
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m := c[k]; (strings.Contains(k, "json") || k == "*/*") && m != nil && m.Schema != nil && m.Schema.Value != nil {
			return m.Schema.Value
		}
	}
	return nil
}

// properties returns the properties of an object schema, merged through
// allOf (and through a single oneOf/anyOf alternative).
func properties(s *openapi3.Schema) openapi3.Schemas {
	out := openapi3.Schemas{}
	collectProps(s, out, 0)
	return out
}

func collectProps(s *openapi3.Schema, out openapi3.Schemas, depth int) {
	if s == nil || depth > maxDepth {
		return
	}
	for name, ref := range s.Properties {
		if _, ok := out[name]; !ok {
			out[name] = ref
		}
	}
	for _, ref := range s.AllOf {
		if ref != nil {
			collectProps(ref.Value, out, depth+1)
		}
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) == 1 && alts[0] != nil {
			collectProps(alts[0].Value, out, depth+1)
		}
	}
}

// isObject reports whether a schema describes a JSON object.
func isObject(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	if s.Type.Includes("object") {
		return true
	}
	return len(s.Type.Slice()) == 0 && len(properties(s)) > 0
}

// isArrayOfObjects reports whether a schema is an array whose items are records.
func isArrayOfObjects(s *openapi3.Schema) bool {
	return s != nil && s.Type.Includes("array") && s.Items != nil && isObject(s.Items.Value)
}
