// Package reqgen builds a valid request for an operation of an OpenAPI
// contract: path, query, header and cookie parameters generated from their
// schemas, credentials for the operation's first security requirement and a
// body generated from the request schema. The mocks' tests use it to call
// every operation of real contracts.
package reqgen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/paramstyle"
)

// Op names one operation of a document.
type Op struct {
	Template  string
	Method    string
	PathItem  *openapi3.PathItem
	Operation *openapi3.Operation
}

// Ops lists a document's operations in a stable order.
func Ops(doc *openapi3.T) []Op {
	var out []Op
	if doc.Paths == nil {
		return nil
	}
	for _, t := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(t)
		if item == nil {
			continue
		}
		for method, op := range item.Operations() {
			out = append(out, Op{Template: t, Method: method, PathItem: item, Operation: op})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Template != out[j].Template {
			return out[i].Template < out[j].Template
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Name is the operation's id, or "METHOD /template".
func (o Op) Name() string {
	if o.Operation.OperationID != "" {
		return o.Operation.OperationID
	}
	return o.Method + " " + o.Template
}

// Credential gives the credential to send for the security scheme named
// name: an API key, a token, or "user:password" for HTTP basic. ok false
// sends none for that scheme.
type Credential func(name string, s *openapi3.SecurityScheme) (value string, ok bool)

// TestCredential is the credential Build sends: fixed test values, which
// the mocks accept.
func TestCredential(_ string, s *openapi3.SecurityScheme) (string, bool) {
	switch {
	case s.Type == "apiKey":
		return "key_test_123", true
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		return "user:pass", true
	}
	return "token_test_123", true
}

// Build returns a request for op against baseURL (scheme, host and base
// path), with TestCredential's credentials.
func Build(doc *openapi3.T, baseURL string, op Op, seed int64) (*http.Request, error) {
	return BuildWith(doc, baseURL, op, seed, TestCredential)
}

// BuildWith is Build with the credentials cred gives.
func BuildWith(doc *openapi3.T, baseURL string, op Op, seed int64, cred Credential) (*http.Request, error) {
	params := effectiveParams(op)
	path := op.Template
	q := url.Values{}
	header := http.Header{}
	var cookies []*http.Cookie
	for _, p := range params {
		if p.In != openapi3.ParameterInPath && !p.Required {
			continue
		}
		v := paramValue(p, seed)
		switch p.In {
		case openapi3.ParameterInPath:
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(paramstyle.Simple(v)))
		case openapi3.ParameterInQuery:
			addQuery(q, p, v)
		case openapi3.ParameterInHeader:
			header.Set(p.Name, paramstyle.Simple(v))
		case openapi3.ParameterInCookie:
			cookies = append(cookies, &http.Cookie{Name: p.Name, Value: url.QueryEscape(paramstyle.Simple(v))})
		}
	}
	addCredentials(doc, op, q, header, cred)
	body, ct, err := requestBody(op, seed)
	if err != nil {
		return nil, err
	}
	u := strings.TrimSuffix(baseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(op.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("reqgen: %s: %w", op.Name(), err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req, nil
}

// effectiveParams merges path-item and operation parameters, the
// operation's winning.
func effectiveParams(op Op) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	seen := map[string]bool{}
	for _, ps := range []openapi3.Parameters{op.Operation.Parameters, op.PathItem.Parameters} {
		for _, ref := range ps {
			if ref == nil || ref.Value == nil {
				continue
			}
			key := ref.Value.In + "\x00" + ref.Value.Name
			if !seen[key] {
				seen[key] = true
				out = append(out, ref.Value)
			}
		}
	}
	return out
}

func paramValue(p *openapi3.Parameter, seed int64) any {
	s := p.Schema
	if s == nil {
		for _, mt := range p.Content {
			if mt.Schema != nil {
				s = mt.Schema
				break
			}
		}
	}
	if s == nil || s.Value == nil {
		return "x"
	}
	v := contracts.Sample(s.Value, contracts.SampleOptions{Seed: seed, Direction: contracts.Request, Name: p.Name})
	if p.Content != nil {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return v
}

func addQuery(q url.Values, p *openapi3.Parameter, v any) {
	explode := p.Explode == nil || *p.Explode
	switch t := v.(type) {
	case []any:
		if !explode || p.Style == "pipeDelimited" || p.Style == "spaceDelimited" {
			sep := map[string]string{"pipeDelimited": "|", "spaceDelimited": " "}[p.Style]
			if sep == "" {
				sep = ","
			}
			parts := make([]string, len(t))
			for i, e := range t {
				parts[i] = paramstyle.Simple(e)
			}
			q.Add(p.Name, strings.Join(parts, sep))
			return
		}
		for _, e := range t {
			q.Add(p.Name, paramstyle.Simple(e))
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if p.Style == "deepObject" {
				q.Add(p.Name+"["+k+"]", paramstyle.Simple(t[k]))
			} else {
				q.Add(k, paramstyle.Simple(t[k]))
			}
		}
	default:
		q.Add(p.Name, paramstyle.Simple(v))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addCredentials satisfies the operation's first security requirement
// with the credentials cred gives.
func addCredentials(doc *openapi3.T, op Op, q url.Values, h http.Header, cred Credential) {
	reqs := op.Operation.Security
	if reqs == nil {
		reqs = &doc.Security
	}
	if reqs == nil || len(*reqs) == 0 || doc.Components == nil {
		return
	}
	for name := range (*reqs)[0] {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		v, ok := cred(name, s)
		if !ok {
			continue
		}
		switch {
		case s.Type == "apiKey" && s.In == "header":
			h.Set(s.Name, v)
		case s.Type == "apiKey" && s.In == "query":
			q.Set(s.Name, v)
		case s.Type == "apiKey" && s.In == "cookie":
			h.Add("Cookie", s.Name+"="+v)
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)))
		case s.Type == "http" && !strings.EqualFold(s.Scheme, "bearer"):
			h.Set("Authorization", s.Scheme+" "+v)
		default:
			h.Set("Authorization", "Bearer "+v)
		}
	}
}

// requestBody generates a body in the operation's best media type.
func requestBody(op Op, seed int64) ([]byte, string, error) {
	rb := op.Operation.RequestBody
	if rb == nil || rb.Value == nil || len(rb.Value.Content) == 0 {
		return nil, "", nil
	}
	media := pickMedia(rb.Value.Content)
	mt := rb.Value.Content[media]
	var v any = map[string]any{}
	if mt.Schema != nil && mt.Schema.Value != nil {
		v = contracts.Sample(mt.Schema.Value, contracts.SampleOptions{Seed: seed, Direction: contracts.Request})
	}
	base, _, _ := strings.Cut(strings.ToLower(media), ";")
	switch {
	case strings.Contains(base, "json") || strings.Contains(base, "*"):
		ct := media
		if strings.Contains(base, "*") {
			ct = "application/json"
		}
		b, err := json.Marshal(v)
		return b, ct, err
	case base == "application/x-www-form-urlencoded":
		return []byte(formValues(v).Encode()), media, nil
	case base == "multipart/form-data":
		return multipartBody(v)
	}
	return []byte(paramstyle.Simple(v)), media, nil
}

func pickMedia(c openapi3.Content) string {
	types := make([]string, 0, len(c))
	for k := range c {
		types = append(types, k)
	}
	rank := func(t string) int {
		switch b := strings.ToLower(t); {
		case strings.HasPrefix(b, "application/json"):
			return 0
		case strings.Contains(b, "json"):
			return 1
		case strings.HasPrefix(b, "application/x-www-form-urlencoded"):
			return 2
		case strings.HasPrefix(b, "multipart/form-data"):
			return 3
		case strings.HasPrefix(b, "text/plain"):
			return 4
		}
		return 5
	}
	sort.Slice(types, func(i, j int) bool {
		if rank(types[i]) != rank(types[j]) {
			return rank(types[i]) < rank(types[j])
		}
		return types[i] < types[j]
	})
	return types[0]
}

// formValues encodes an object as a form: top-level arrays of scalars
// repeat their key, nested objects and arrays use the brackets Stripe reads
// (card[exp_month]=12, items[0][price]=p).
func formValues(v any) url.Values {
	q := url.Values{}
	obj, ok := v.(map[string]any)
	if !ok {
		return q
	}
	for _, k := range sortedKeys(obj) {
		if list, ok := obj[k].([]any); ok && scalars(list) {
			for _, e := range list {
				q.Add(k, paramstyle.Simple(e)) // Twilio's repeated keys
			}
			continue
		}
		addForm(q, k, obj[k])
	}
	return q
}

func scalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case []any, map[string]any:
			return false
		}
	}
	return true
}

func addForm(q url.Values, key string, v any) {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			addForm(q, fmt.Sprintf("%s[%d]", key, i), e)
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			addForm(q, key+"["+k+"]", t[k])
		}
	default:
		q.Add(key, paramstyle.Simple(v))
	}
}

func multipartBody(v any) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if obj, ok := v.(map[string]any); ok {
		for _, k := range sortedKeys(obj) {
			val := obj[k]
			if _, isObj := val.(map[string]any); isObj {
				b, _ := json.Marshal(val)
				val = string(b)
			}
			if err := w.WriteField(k, paramstyle.Simple(val)); err != nil {
				return nil, "", err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
