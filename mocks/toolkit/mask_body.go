package toolkit

import (
	"bytes"
	"encoding/json"
	"mime"
	"regexp"
	"strings"
)

// MaskBody returns body with the values of credential-shaped fields
// masked, for the journal: in a JSON body every field, at any depth, whose
// name looks like a secret (see secretish: password, token, api_key,
// client_secret...); in a form body (application/x-www-form-urlencoded)
// the same names and those of a query (code, sig). Other bodies, and
// bodies without such a field, come back as they are; a masked body is a
// new slice, so the request's own body is never touched. A JSON body the
// journal cut short (MaxJournalBody) is masked field by field as text.
func (s Secrets) MaskBody(contentType string, body []byte) []byte {
	if len(body) == 0 {
		return body
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if masked := s.MaskQuery(string(body)); masked != string(body) {
			return []byte(masked)
		}
		return body
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(body)):
		return maskJSON(body)
	}
	return body
}

func maskJSON(body []byte) []byte {
	if !secretish.Match(body) {
		return body
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return maskJSONText(body)
	}
	if !maskFields(v) {
		return body
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return maskJSONText(body)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// maskFields masks, in place, the values of secret-named fields of a
// decoded JSON value, and reports whether it masked any. A string field
// named query is read as a GraphQL document too: a secret written into it
// as an argument or input field (login(password: "...")) is masked there.
func maskFields(v any) bool {
	masked := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if looksSecret(k) {
				if x != nil {
					t[k] = Masked
					masked = true
				}
				continue
			}
			if q, ok := x.(string); ok && k == "query" {
				if mq, changed := maskGraphQLArguments(q); changed {
					t[k] = mq
					masked = true
				}
				continue
			}
			masked = maskFields(x) || masked
		}
	case []any:
		for _, x := range t {
			masked = maskFields(x) || masked
		}
	}
	return masked
}

// graphQLArgument finds name: value pairs in a GraphQL document whose
// value is a literal: a block string, a string or a number. Variables
// ($p) carry no secret in the text; their values are in variables.
var graphQLArgument = regexp.MustCompile(`([_A-Za-z][_0-9A-Za-z]*)(\s*:\s*)("""(?:[^"\\]|\\.|"[^"]|""[^"])*"""|"(?:[^"\\\n]|\\.)*"|-?[0-9][-0-9.eE+]*)`)

// maskGraphQLArguments masks the literal values of secret-named arguments
// and input fields in a GraphQL document, and reports whether it did.
func maskGraphQLArguments(q string) (string, bool) {
	if !secretish.MatchString(q) {
		return q, false
	}
	changed := false
	out := graphQLArgument.ReplaceAllStringFunc(q, func(m string) string {
		sub := graphQLArgument.FindStringSubmatch(m)
		if !looksSecret(sub[1]) {
			return m
		}
		changed = true
		return sub[1] + sub[2] + `"` + Masked + `"`
	})
	return out, changed
}

// jsonField finds "name": value pairs with a string, number or literal
// value in JSON text that may not parse (cut short).
var jsonField = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[-0-9.eE+]+|true|false)`)

func maskJSONText(body []byte) []byte {
	changed := false
	out := jsonField.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := jsonField.FindSubmatch(m)
		if !looksSecret(string(sub[1])) {
			return m
		}
		changed = true
		return []byte(`"` + string(sub[1]) + `"` + string(sub[2]) + `"` + Masked + `"`)
	})
	if !changed {
		return body
	}
	return out
}
