package openapi

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/paramstyle"
)

// buildAnswer makes the answer for a key: declared headers with generated
// values, and the body from the preferred example, the operation's first
// example that validates, or a value generated from the schema.
func (m *Mock) buildAnswer(key answerKey, op *operation, resp *openapi3.Response) (*answer, error) {
	a := &answer{status: key.status, header: http.Header{}}
	for name, h := range resp.Headers {
		if h == nil || h.Value == nil || strings.EqualFold(name, "Content-Type") || strings.EqualFold(name, "Content-Length") {
			continue
		}
		if s := h.Value.Schema; s != nil && s.Value != nil {
			a.header.Set(name, paramstyle.Simple(m.sample(s.Value, op.seed, name, contracts.Response)))
		}
	}
	if key.media == "" {
		if key.example != "" {
			return nil, fmt.Errorf("example=%q: the %d answer has no body", key.example, key.status)
		}
		return a, nil
	}
	mt := resp.Content[key.media]
	value, source, err := m.pickBody(key, op, mt)
	if err != nil {
		return nil, err
	}
	body, ct, err := encodeBody(key.media, value)
	if err != nil {
		return nil, fmt.Errorf("mocks: encode the %d answer of %s: %w", key.status, op.id, err)
	}
	a.header.Set("Content-Type", ct)
	a.body, a.source = body, source
	return a, nil
}

func (m *Mock) pickBody(key answerKey, op *operation, mt *openapi3.MediaType) (any, string, error) {
	var schema *openapi3.Schema
	if mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	}
	if key.example != "" {
		ex := mt.Examples[key.example]
		if ex == nil || ex.Value == nil {
			return nil, "", fmt.Errorf("example=%q: the %d answer's examples are %s", key.example, key.status, exampleNames(mt))
		}
		if v, ok := m.usableExample(schema, ex.Value.Value); ok {
			return v, "example " + key.example, nil
		}
		m.logger.Warn("mock: example breaks its schema; answering a generated body", "mock", m.name, "operation", op.id, "example", key.example)
	} else {
		for _, c := range exampleCandidates(mt, schema) {
			if v, ok := m.usableExample(schema, c.value); ok {
				return v, "example " + c.name, nil
			}
		}
	}
	if schema == nil {
		return map[string]any{}, "generated", nil
	}
	v := normalize(m.sample(schema, op.seed, "", contracts.Response))
	if vs := m.validator.ValidateValue(schema, v, true); len(vs) > 0 {
		m.logger.Warn("mock: generated body breaks its schema", "mock", m.name, "operation", op.id, "status", key.status, "violation", vs[0].String())
	}
	return v, "generated", nil
}

type candidate struct {
	name  string
	value any
}

// exampleCandidates lists the examples of a media type in the order they are
// tried: example, then examples by name, then the schema's own example.
func exampleCandidates(mt *openapi3.MediaType, schema *openapi3.Schema) []candidate {
	var out []candidate
	if mt == nil {
		return nil
	}
	if mt.Example != nil {
		out = append(out, candidate{"example", mt.Example})
	}
	names := make([]string, 0, len(mt.Examples))
	for n := range mt.Examples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ex := mt.Examples[n]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			out = append(out, candidate{n, ex.Value.Value})
		}
	}
	if schema != nil && schema.Example != nil {
		out = append(out, candidate{"schema", schema.Example})
	}
	return out
}

func exampleNames(mt *openapi3.MediaType) string {
	if mt == nil || len(mt.Examples) == 0 {
		return "none"
	}
	names := make([]string, 0, len(mt.Examples))
	for n := range mt.Examples {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// usableExample reports whether an example may be sent: it validates
// against the schema (a mock never sends what breaks its contract).
func (m *Mock) usableExample(schema *openapi3.Schema, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	v = normalize(v)
	if schema == nil {
		return v, true
	}
	return v, len(m.validator.ValidateValue(schema, v, true)) == 0
}

// sample generates a value for a schema, deterministic for the seed.
func (m *Mock) sample(s *openapi3.Schema, seed int64, name string, dir contracts.Direction) any {
	return contracts.Sample(s, contracts.SampleOptions{Seed: seed, Direction: dir, Name: name})
}

// normalize gives a copy of a value in the shapes encoding/json decodes to
// (float64 numbers, map[string]any objects), which schema validation expects.
func normalize(v any) any { return contracts.JSONValue(v) }

func formEncode(obj map[string]any) string {
	q := url.Values{}
	for k, v := range obj {
		q.Set(k, paramstyle.Simple(v))
	}
	return q.Encode()
}
