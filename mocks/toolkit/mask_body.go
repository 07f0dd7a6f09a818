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
// decoded JSON value, and reports whether it masked any.
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
			masked = maskFields(x) || masked
		}
	case []any:
		for _, x := range t {
			masked = maskFields(x) || masked
		}
	}
	return masked
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
