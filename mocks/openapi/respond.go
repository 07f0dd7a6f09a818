package openapi

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// answer is a ready-to-send response, built once per operation, status,
// media type and example and then served from the cache.
type answer struct {
	status int
	header http.Header
	body   []byte
	source string // "example NAME", "generated" or "" (no body)
}

type answerKey struct {
	op      int
	status  int
	media   string
	example string
}

// preference is what a client asked for with the Prefer header, as Prism
// reads it: code=NNN picks the status, example=NAME the named example.
type preference struct {
	code    int
	example string
}

func parsePrefer(values []string) (preference, error) {
	var p preference
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "code":
				n, err := strconv.Atoi(val)
				if err != nil || n < 100 || n > 599 {
					return p, fmt.Errorf("code=%q is not an HTTP status", val)
				}
				p.code = n
			case "example":
				p.example = val
			}
		}
	}
	return p, nil
}

// respond answers a valid request from the contract.
func (m *Mock) respond(w http.ResponseWriter, x *exchange) {
	pref, err := parsePrefer(x.Request.Header.Values("Prefer"))
	if err != nil {
		m.refuse(w, x.Entry, http.StatusBadRequest, "Unusable Prefer header", []toolkit.Violation{{In: "header", Name: "Prefer", Message: err.Error()}})
		return
	}
	status, resp, types, err := x.op.defaults()
	if pref.code != 0 {
		status, resp, err = pickStatus(x.op.op, pref.code)
		types = sortedMedia(resp)
	}
	if err != nil {
		m.refuse(w, x.Entry, http.StatusBadRequest, "Unusable Prefer header", []toolkit.Violation{{In: "header", Name: "Prefer", Message: err.Error()}})
		return
	}
	media, err := negotiate(types, x.Request.Header.Get("Accept"))
	if err != nil {
		m.refuse(w, x.Entry, http.StatusNotAcceptable, "Not acceptable", []toolkit.Violation{{In: "header", Name: "Accept", Message: err.Error()}})
		return
	}
	key := answerKey{op: x.op.index, status: status, media: media, example: pref.example}
	a, err := m.cachedAnswer(key, x.op, resp)
	if err != nil {
		m.refuse(w, x.Entry, http.StatusBadRequest, "Unusable Prefer header", []toolkit.Violation{{In: "header", Name: "Prefer", Message: err.Error()}})
		return
	}
	writeAnswer(w, a)
}

func writeAnswer(w http.ResponseWriter, a *answer) {
	h := w.Header()
	for k, vs := range a.header {
		h[k] = vs
	}
	if a.body != nil {
		h["Content-Length"] = []string{strconv.Itoa(len(a.body))}
	}
	w.WriteHeader(a.status)
	if a.body != nil {
		w.Write(a.body)
	}
}

func (m *Mock) cachedAnswer(key answerKey, op *operation, resp *openapi3.Response) (*answer, error) {
	if a, ok := m.answers.Load(key); ok {
		return a.(*answer), nil
	}
	a, err := m.buildAnswer(key, op, resp)
	if err != nil {
		return nil, err
	}
	got, _ := m.answers.LoadOrStore(key, a)
	return got.(*answer), nil
}

// pickStatus chooses the status to answer: the one the client prefers when
// the operation declares it (or has a default), else the lowest 2xx, else
// default (as 200), else the lowest declared status.
func pickStatus(op *openapi3.Operation, prefer int) (int, *openapi3.Response, error) {
	rs := op.Responses
	if rs == nil || rs.Len() == 0 {
		return http.StatusOK, &openapi3.Response{}, nil
	}
	declared := declaredStatuses(rs)
	if prefer != 0 {
		if r := responseFor(rs, prefer); r != nil {
			return prefer, r, nil
		}
		return 0, nil, fmt.Errorf("code=%d: the operation declares %s", prefer, strings.Join(declared, ", "))
	}
	codes := make([]int, 0, len(declared))
	for _, s := range declared {
		if n, err := strconv.Atoi(s); err == nil {
			codes = append(codes, n)
		} else if len(s) == 3 && s[1:] == "XX" && s[0] >= '1' && s[0] <= '5' {
			codes = append(codes, int(s[0]-'0')*100)
		}
	}
	sort.Ints(codes)
	for _, c := range codes {
		if c >= 200 && c < 300 {
			return c, responseFor(rs, c), nil
		}
	}
	if d := rs.Default(); d != nil && d.Value != nil {
		return http.StatusOK, d.Value, nil
	}
	if len(codes) > 0 {
		return codes[0], responseFor(rs, codes[0]), nil
	}
	return http.StatusOK, &openapi3.Response{}, nil
}

func declaredStatuses(rs *openapi3.Responses) []string {
	var out []string
	for k := range rs.Map() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// responseFor finds the response for a status: exact, its NXX range, default.
func responseFor(rs *openapi3.Responses, status int) *openapi3.Response {
	if r := rs.Status(status); r != nil && r.Value != nil {
		return r.Value
	}
	if r := rs.Value(strconv.Itoa(status/100) + "XX"); r != nil && r.Value != nil {
		return r.Value
	}
	if d := rs.Default(); d != nil && d.Value != nil {
		return d.Value
	}
	return nil
}

// responseSchema finds the schema of the answer with status and content
// type: the status's response, else the default, and the media type sent;
// nil unless it is a JSON one.
func responseSchema(op *openapi3.Operation, status int, contentType string) *openapi3.Schema {
	if op == nil || op.Responses == nil {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	media := ref.Value.Content.Get(mt)
	if media == nil || media.Schema == nil || !strings.Contains(mt, "json") {
		return nil
	}
	return media.Schema.Value
}

// sortedMedia lists the media types of a response, the best to answer first.
func sortedMedia(resp *openapi3.Response) []string {
	if resp == nil || len(resp.Content) == 0 {
		return nil
	}
	types := make([]string, 0, len(resp.Content))
	for mt := range resp.Content {
		types = append(types, mt)
	}
	sort.Slice(types, func(i, j int) bool {
		ri, rj := mediaRank(types[i]), mediaRank(types[j])
		if ri != rj {
			return ri < rj
		}
		return types[i] < types[j]
	})
	return types
}

// negotiate picks among sorted types the first the Accept header allows.
func negotiate(types []string, accept string) (string, error) {
	if len(types) == 0 {
		return "", nil
	}
	if accept == "" || accept == "*/*" || strings.TrimSpace(accept) == "" {
		return types[0], nil
	}
	for _, want := range strings.Split(accept, ",") {
		want, _, _ = strings.Cut(want, ";")
		want = strings.ToLower(strings.TrimSpace(want))
		for _, t := range types {
			if mediaMatches(want, t) {
				return t, nil
			}
		}
	}
	return "", fmt.Errorf("%q: the operation answers %s", accept, strings.Join(types, ", "))
}

func mediaMatches(want, declared string) bool {
	base, _, _ := strings.Cut(strings.ToLower(declared), ";")
	base = strings.TrimSpace(base)
	switch {
	case want == "*/*" || want == base || base == "*/*":
		return true
	case strings.HasSuffix(want, "/*"):
		return strings.HasPrefix(base, strings.TrimSuffix(want, "*"))
	case strings.HasSuffix(base, "/*"):
		return strings.HasPrefix(want, strings.TrimSuffix(base, "*"))
	}
	return false
}

// mediaRank orders media types by how well a mock can answer with them.
func mediaRank(mt string) int {
	base, _, _ := strings.Cut(strings.ToLower(mt), ";")
	switch base = strings.TrimSpace(base); {
	case base == "application/json":
		return 0
	case strings.HasSuffix(base, "+json") || strings.Contains(base, "json"):
		return 1
	case base == "*/*" || base == "application/*":
		return 2
	case strings.HasPrefix(base, "text/plain"):
		return 3
	case base == "application/x-www-form-urlencoded":
		return 4
	case strings.HasSuffix(base, "xml"):
		return 9
	}
	return 5
}

// encodeBody writes a value in the media type's encoding.
func encodeBody(media string, v any) ([]byte, string, error) {
	base, _, _ := strings.Cut(strings.ToLower(media), ";")
	base = strings.TrimSpace(base)
	ct := media
	if strings.Contains(base, "*") {
		ct, base = "application/json", "application/json"
	}
	if s, ok := v.(string); ok && !strings.Contains(base, "json") {
		return []byte(s), ct, nil
	}
	if base == "application/x-www-form-urlencoded" {
		if obj, ok := v.(map[string]any); ok {
			return []byte(formEncode(obj)), ct, nil
		}
	}
	b, err := json.Marshal(v)
	return b, ct, err
}
